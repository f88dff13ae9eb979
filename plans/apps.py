from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from clients import demo, jobs
        from plans import demo as plans_demo
        from plans import tasks

        for kind in tasks.KINDS:
            jobs.register(kind, tasks.run_recompute_job)
        demo.register_step(order=30, name="plans", step=plans_demo.plans_and_data)
