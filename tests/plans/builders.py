"""Building clients with plans and data for tests: a plan document to vary, measurements in
one call, and a client of any size (for query counts that must not grow with it)."""

from metrics.models import Metric
from metrics.periods import Period
from metrics.services import measurements_upsert
from plans.services import plan_create
from tests.clients.factories import ClientFactory


def plan_document(**changes):
    return {
        "name": "FY2026",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "status": "active",
        "kpis": [
            {
                "key": "leads",
                "metric": "leads",
                "baseline": {"period": "2025-12", "value": 100},
                "must": 500,
                "stretch": 800,
                "target_period": "2026-12",
            },
            {
                "key": "churn",
                "metric": "churn_rate",
                "baseline": {"period": "2025-12", "value": "0.08"},
                "must": "0.03",
                "target_period": "2026-12",
            },
        ],
        "milestones": [
            {
                "key": "spring",
                "name": "Spring",
                "due": "2026-04-30",
                "kind": "state",
                "conditions": [{"metric": "leads", "op": "gte", "value": 150}],
            }
        ],
        "funnels": [
            {
                "key": "journey",
                "name": "Journey",
                "stages": [
                    {"name": "Visitor", "metric": "visitors"},
                    {"name": "Lead", "metric": "leads", "target_conversion": "0.15"},
                    {"name": "Customer", "metric": "new_customers", "target_conversion": "0.1"},
                ],
            }
        ],
        **changes,
    }


def measure(client, rows):
    measurements_upsert(
        client=client,
        actor=None,
        rows=[{"metric": m, "period": p, "value": v} for m, p, v in rows],
    )


def big_client(kpis: int, months: int, **client_fields):
    """A client with ``kpis`` monthly KPIs and ``months`` months of data for each."""
    client = ClientFactory(**client_fields)
    # The first measured (not derived) built-in metrics, in catalogue order.
    measured = list(
        Metric.objects.filter(consultancy=None, formula="")
        .order_by("pk")
        .values_list("key", "direction")[:kpis]
    )
    assert len(measured) == kpis
    first = Period.parse("2025-01")
    nodes = []
    for key, direction in measured:
        higher = direction == "higher_is_better"
        nodes.append(
            {
                "key": key,
                "metric": key,
                "baseline": {"period": "2024-12", "value": 10 if higher else 20},
                "must": 20 if higher else 10,
                "stretch": 30 if higher else 5,
                "target_period": "2026-12",
            }
        )
    # With a state milestone and a funnel, so that every kind of row is read: the worst case.
    milestone = {
        "key": "m",
        "name": "M",
        "due": "2025-06-30",
        "kind": "state",
        "conditions": [{"metric": measured[0][0], "op": "gte", "value": 1}],
    }
    funnel = {
        "key": "f",
        "name": "F",
        "stages": [
            {"name": "Visitor", "metric": "visitors"},
            {"name": "Lead", "metric": "leads", "target_conversion": "0.1"},
        ],
    }
    document = plan_document(
        starts_on="2025-01-01", kpis=nodes, milestones=[milestone], funnels=[funnel]
    )
    plan_create(client=client, raw=document, actor=None)
    measure(
        client,
        [
            (key, str(first.shift(step)), 10 + step % 7)
            for key, _direction in measured
            for step in range(months)
        ],
    )
    return client


def mrr_plan() -> dict:
    """A plan worked by hand in the display and portal tests."""
    # MRR from 12,000,000 (Dec 2025) to a must of 100,000,000 in Dec 2026, through the Q3
    # milestone's 60,000,000 in September; leads -> consultations (25%) -> customers (80%).
    return {
        "name": "ARR 12億円",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "status": "active",
        "kpis": [
            {
                "key": "mrr",
                "metric": "mrr",
                "baseline": {"period": "2025-12", "value": 12_000_000},
                "must": 100_000_000,
                "stretch": 150_000_000,
                "target_period": "2026-12",
            }
        ],
        "milestones": [
            {
                "key": "q3",
                "name": "Q3 MRR",
                "due": "2026-09-30",
                "kind": "state",
                "conditions": [{"metric": "mrr", "op": "gte", "value": 60_000_000}],
            },
            {
                "key": "q4",
                "name": "Q4 MRR",
                "due": "2026-12-31",
                "kind": "state",
                "conditions": [{"metric": "mrr", "op": "gte", "value": 100_000_000}],
            },
        ],
        "funnels": [
            {
                "key": "acquisition",
                "name": "Acquisition",
                "stages": [
                    {"name": "Leads", "metric": "leads"},
                    {
                        "name": "Consultations",
                        "metric": "consultations",
                        "target_conversion": 0.25,
                    },
                    {"name": "Customers", "metric": "new_customers", "target_conversion": 0.8},
                ],
            }
        ],
    }
