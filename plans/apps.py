from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from clients import demo
        from clients.services.dirty_marks import dirty_marks_handled_by
        from clients.services.jobs import job_kind_register
        from plans import demo as plans_demo
        from plans import tasks
        from plans.services.recompute.jobs import DIRTY_KIND, KINDS

        for kind, label in KINDS.items():
            job_kind_register(kind, tasks.run_recompute_job, label)
        dirty_marks_handled_by(DIRTY_KIND)
        demo.register_step(order=30, name="plans", step=plans_demo.plans_and_data)
