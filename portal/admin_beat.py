"""The schedules of Waypoint's periodic work (django-celery-beat's tables) in the admin's theme:
the consultancies' owners and managers read them (when does the nightly recompute run?); only
the platform's superusers change them, or run one now."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from unfold.admin import ModelAdmin

from clients.admin_scoping import principal_of
from clients.principals import Action
from clients.selectors import consultancies_managed_by

# What each of Waypoint's tasks does, for the people who read the schedule.
PURPOSES = {
    "clients.dispatch_dirty_marks": _("Recompute the clients whose figures or plan changed"),
    "clients.sweep_jobs": _("Retry or fail jobs whose worker stopped answering"),
    "plans.nightly_recompute": _("Recompute every client's scorecard for the night"),
    "clients.purge_idempotency_keys": _("Forget API idempotency keys older than a day"),
}


class PeriodicTaskAdmin(BeatPeriodicTaskAdmin, ModelAdmin):
    list_display = ["name", "purpose", "when", "enabled", "last_run_at", "total_run_count"]
    list_filter = ["enabled"]
    change_form_template = None  # the theme's; the package's has inline script, which CSP stops

    @admin.display(description=_("what it does"))
    def purpose(self, obj):
        return PURPOSES.get(obj.task, obj.task)

    @admin.display(description=_("when"))
    def when(self, obj):
        if obj.crontab_id:
            return f"{obj.crontab.human_readable} ({obj.crontab.timezone})"
        return str(obj.interval or obj.solar or obj.clocked or "–")

    def _reads(self, request) -> bool:
        user = request.user
        return user.is_active and (
            user.is_superuser
            or consultancies_managed_by(principal_of(request), Action.MANAGE_ACCESS).exists()
        )

    def has_module_permission(self, request):
        return self._reads(request)

    def has_view_permission(self, request, obj=None):
        return self._reads(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_actions(self, request):
        # Enable, disable and "run now" change the platform's schedule: superusers only.
        return super().get_actions(request) if request.user.is_superuser else {}


def register(site: admin.AdminSite) -> None:
    """Put this admin in place of the package's (called once every app's admin is loaded)."""
    if site.is_registered(PeriodicTask):
        site.unregister(PeriodicTask)
    site.register(PeriodicTask, PeriodicTaskAdmin)
