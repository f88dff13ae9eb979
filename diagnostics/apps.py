from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = _("Diagnostics")

    def ready(self):
        from clients.services.jobs import job_kind_register
        from diagnostics import services, tasks

        job_kind_register(services.SCORE_JOB, tasks.score_run_job, _("Diagnostic scoring"))
