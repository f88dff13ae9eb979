"""The stored scorecards in the admin, month by month, as a consultant reads them: the month,
score and health, each KPI by its name with formatted values and its status, the milestones.
Read-only; the action queues a recompute."""

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.admin import ReadOnlyAdminMixin
from clients.admin_scoping import TenantScopedAdmin, principal_of
from clients.models import Client
from clients.principals import Action
from clients.selectors import client_actions
from metrics import display
from metrics.periods import Granularity, Period, latest_closed_month
from metrics.selectors import client_today
from plans.display import HEALTH
from plans.models import ScorecardSnapshot
from plans.selectors import scorecard_rows
from plans.services.recompute.jobs import recompute_job_create
from plans.templatetags.plans_display import health_badge


def _month(snapshot) -> Period:
    return Period.containing(Granularity.MONTH, snapshot.period_start)


class HealthFilter(admin.SimpleListFilter):
    title = _("health")
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [(health, badge.word) for health, badge in HEALTH.items()]

    def queryset(self, request, queryset):
        return queryset.filter(health=self.value()) if self.value() else queryset


@admin.register(ScorecardSnapshot)
class ScorecardSnapshotAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """The stored scorecards, month by month; the action queues a recompute."""

    list_display = [
        "client",
        "plan",
        "month",
        "score_shown",
        "health_shown",
        "off_track_shown",
        "at_risk_shown",
        "bottleneck_shown",
        "computed_at",
    ]
    list_filter = [HealthFilter, ("client", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["client", "plan"]
    search_fields = ["client__name", "plan__name"]
    fields = [
        ("client", "plan"),
        ("month", "as_of_shown"),
        ("score_shown", "health_shown", "coverage_shown"),
        ("off_track_shown", "at_risk_shown", "bottleneck_shown"),
        "next_milestone_shown",
        "computed_at",
        "lines_table",
        "milestones_table",
    ]
    readonly_fields = [
        name for row in fields for name in (row if isinstance(row, tuple) else [row])
    ]
    actions = ["recompute"]

    class Media:
        css = {"all": ["plans/display.css"]}

    @admin.display(description=_("month"), ordering="period_start")
    def month(self, obj):
        return display.period(_month(obj), get_language())

    @admin.display(description=_("as of"))
    def as_of_shown(self, obj):
        return display.day(obj.as_of, get_language())

    @admin.display(description=_("score"), ordering="score")
    def score_shown(self, obj):
        return display.plain(obj.score, get_language()).text

    @admin.display(description=_("health"), ordering="health")
    def health_shown(self, obj):
        return render_to_string("plans/partials/badge.html", health_badge(obj.health))

    @admin.display(description=_("coverage"))
    def coverage_shown(self, obj):
        return display.ratio(obj.payload.get("coverage"), get_language()).text

    @admin.display(description=_("KPIs off track"), ordering="off_track")
    def off_track_shown(self, obj):
        return obj.off_track

    @admin.display(description=_("KPIs at risk"), ordering="at_risk")
    def at_risk_shown(self, obj):
        return obj.at_risk

    @admin.display(description=_("bottleneck stage"), ordering="bottleneck")
    def bottleneck_shown(self, obj):
        return obj.bottleneck or display.MISSING

    @admin.display(description=_("next milestone"))
    def next_milestone_shown(self, obj):
        upcoming = obj.next_milestone
        if not upcoming:
            return display.MISSING
        return _("%(name)s, due %(due)s") % {
            "name": upcoming["name"],
            "due": display.day(upcoming["due"], get_language()),
        }

    @staticmethod
    def _rows(obj):
        if not hasattr(obj, "_shown_rows"):  # the lines and milestones share one read
            obj._shown_rows = scorecard_rows(obj)
        return obj._shown_rows

    @admin.display(description=_("KPIs"))
    def lines_table(self, obj):
        rows, _milestones = self._rows(obj)
        return render_to_string(
            "plans/partials/scorecard_lines.html", {"rows": rows, "client": obj.client}
        )

    @admin.display(description=_("milestones"))
    def milestones_table(self, obj):
        _lines, milestones = self._rows(obj)
        return render_to_string(
            "plans/partials/milestone_rows.html", {"milestones": milestones, "client": obj.client}
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
                client=snapshot.client, period=_month(snapshot), force=True, actor=principal
            )
            queued += 1
        messages.info(request, _("%(count)d recomputes queued.") % {"count": queued})


# --- "recompute" on the client list -------------------------------------------------------------


@admin.action(description=_("Recompute the selected clients' latest closed month now"))
def recompute_clients(modeladmin, request, queryset):
    """One recompute job per selected client the person may write (the job also brings any
    other month whose inputs changed up to date); each is followed on the client's hub."""
    principal = principal_of(request)
    queued = 0
    for client in queryset.select_related("consultancy"):
        if not request.user.is_superuser and Action.WRITE not in client_actions(principal, client):
            continue
        month = latest_closed_month(client_today(client))  # in the client's time zone
        recompute_job_create(client=client, period=month, force=True, actor=principal)
        queued += 1
    messages.info(request, _("%(count)d recomputes queued.") % {"count": queued})


def add_client_actions(site: admin.AdminSite) -> None:
    """The client list is the clients app's; recomputing is this app's work, so the action is
    added from here (clients does not import plans)."""
    client_admin = site._registry[Client]
    client_admin.actions = [*client_admin.actions, recompute_clients]
