from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from clients import jobs
        from plans import tasks

        for kind in tasks.KINDS:
            jobs.register(kind, tasks.run_recompute_job)
