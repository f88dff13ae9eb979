"""The stored scorecards in the admin, month by month; the action queues a recompute."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from clients.admin import ReadOnlyAdminMixin
from clients.admin_scoping import TenantScopedAdmin, principal_of
from clients.principals import Action
from clients.selectors import client_actions
from metrics.periods import Granularity, Period
from plans.admin.plan import PlanAdmin
from plans.models import ScorecardSnapshot
from plans.services.recompute.jobs import recompute_job_create


@admin.register(ScorecardSnapshot)
class ScorecardSnapshotAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """The stored scorecards, month by month; the action queues a recompute."""

    list_display = [
        "client",
        "plan",
        "month",
        "score",
        "health",
        "off_track",
        "at_risk",
        "bottleneck",
        "computed_at",
    ]
    list_filter = ["health", ("client", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["client", "plan"]
    search_fields = ["client__name", "plan__name"]
    exclude = ["payload"]
    readonly_fields = ["lines_table"]
    actions = ["recompute"]

    @admin.display(description=_("month"), ordering="period_start")
    def month(self, obj):
        return f"{obj.period_start:%Y-%m}"

    @admin.display(description=_("lines"))
    def lines_table(self, obj):
        show = PlanAdmin._show
        return PlanAdmin._table(
            [_("KPI"), _("actual"), _("must"), _("stretch"), _("attainment"), _("status")],
            [
                (
                    line["kpi"],
                    show(line["actual"]),
                    show(line["must_target"]),
                    show(line["stretch_target"]),
                    show(line["attainment"]),
                    line["status"],
                )
                for line in obj.payload["lines"]
            ],
        )

    @admin.action(description=_("Recompute the selected months now"))
    def recompute(self, request, queryset):
        principal = principal_of(request)
        queued = 0
        for snapshot in queryset.select_related("client"):
            if not request.user.is_superuser and Action.WRITE not in client_actions(
                principal, snapshot.client
            ):
                continue
            recompute_job_create(
                client=snapshot.client,
                period=Period.containing(Granularity.MONTH, snapshot.period_start),
                force=True,
                actor=principal,
            )
            queued += 1
        messages.info(request, _("%(count)d recomputes queued.") % {"count": queued})
