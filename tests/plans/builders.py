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
