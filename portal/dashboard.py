"""The consultants' morning page, the admin's home: every client the consultant may see,
riskiest first, with what needs attention (health, score, lines off track and at risk,
missed milestones, the bottleneck and its lost output, how fresh the data is, the last
diagnostic's level). The same few queries for five clients or two hundred."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from clients.models import ClientAssignment, User
from clients.principals import Principal
from diagnostics.models import DiagnosticRun
from plans.models import BottleneckReport, Plan, ScorecardSnapshot
from plans.selectors import HEALTH_ORDER, portfolio_for

STALE_AFTER = timedelta(days=35)  # no new measurement for this long: the data is stale
HEALTHS = (*HEALTH_ORDER, "no_data")


@dataclass(frozen=True)
class Filters:
    consultant: uuid.UUID | None = None  # a user's id: the clients assigned to them
    health: str | None = None
    industry: str | None = None
    stale: bool = False

    @classmethod
    def from_query(cls, query) -> Filters:
        try:
            consultant = uuid.UUID(query.get("consultant", ""))
        except ValueError:
            consultant = None
        health = query.get("health") or None
        return cls(
            consultant=consultant,
            health=health if health in HEALTHS else None,
            industry=query.get("industry") or None,
            stale=query.get("stale") == "1",
        )


@dataclass(frozen=True)
class PortfolioRow:
    client: object  # the Client, annotated by ``portfolio_for``
    missed: int  # milestones missed in the month shown
    bottleneck: str
    lost_output: Decimal | None
    stale: bool
    diagnostic_level: int | None


@dataclass
class Dashboard:
    rows: list[PortfolioRow]
    filters: Filters
    counts: dict[str, int]  # health -> how many of the rows
    consultants: list[User] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)


def portfolio_dashboard(principal: Principal, filters: Filters) -> Dashboard:
    """Five queries whatever the number of clients: the rows, the consultants and industries
    to filter by (and the session's)."""
    latest = ScorecardSnapshot.objects.filter(
        client_id=OuterRef("pk"),
        plan__status=Plan.Status.ACTIVE,
        period_start__lt=timezone.now().date().replace(day=1),
    ).order_by("-period_start")
    stages = BottleneckReport.objects.filter(
        client_id=OuterRef("pk"),
        plan__status=Plan.Status.ACTIVE,
        period_start=OuterRef("scorecard_period"),
        position=0,
    ).values("payload__stages")[:1]
    # The level as text, cast: a JSON number read through a subquery is not JSON on SQLite.
    level = (
        DiagnosticRun.objects.filter(client_id=OuterRef("pk"), status=DiagnosticRun.Status.SCORED)
        .order_by("-scored_at")
        .annotate(level=Cast(KeyTextTransform("level", "result"), IntegerField()))
        .values("level")[:1]
    )
    visible = portfolio_for(principal)
    rows = visible.annotate(
        milestone_statuses=Subquery(latest.values("milestone_statuses")[:1]),
        stages=Subquery(stages),
        diagnostic_level=Subquery(level),
    )
    cutoff = timezone.now() - STALE_AFTER
    if filters.consultant is not None:
        rows = rows.filter(assignments__user_id=filters.consultant)
    if filters.health == "no_data":
        rows = rows.filter(health__isnull=True)
    elif filters.health:
        rows = rows.filter(health=filters.health)
    if filters.industry:
        rows = rows.filter(industry=filters.industry)
    if filters.stale:
        rows = rows.filter(Q(last_measurement_at__lt=cutoff) | Q(last_measurement_at__isnull=True))
    shown = [_row(client, cutoff) for client in rows]
    counts = {health: 0 for health in HEALTHS}
    for row in shown:
        counts[row.client.health or "no_data"] += 1
    client_ids = visible.values("pk")
    return Dashboard(
        rows=shown,
        filters=filters,
        counts=counts,
        consultants=list(
            User.objects.filter(
                pk__in=ClientAssignment.objects.filter(client_id__in=client_ids).values("user_id")
            ).order_by("full_name", "email")
        ),
        industries=sorted(
            set(visible.exclude(industry="").values_list("industry", flat=True).distinct())
        ),
    )


def _row(client, cutoff) -> PortfolioRow:
    statuses = client.milestone_statuses or {}
    stages = client.stages or []
    first = next((stage for stage in stages if stage.get("rank") == 1), None)
    received = client.last_measurement_at
    return PortfolioRow(
        client=client,
        missed=sum(1 for status in statuses.values() if status == "missed"),
        bottleneck=first["name"] if first else "",
        lost_output=Decimal(str(first["lost_output"])) if first else None,
        stale=received is None or received < cutoff,
        diagnostic_level=client.diagnostic_level,
    )
