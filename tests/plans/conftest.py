"""Fixtures of the plans tests."""

import pytest

from metrics.services import metric_create
from plans.services import plan_create
from tests.clients.factories import ClientFactory
from tests.plans.builders import measure

MONTH = "2026-09"


def kpi(key, metric, parent=None, formula="", must=1, stretch=None):
    return {
        "key": key,
        "metric": metric,
        "parent": parent,
        "formula": formula,
        "baseline": {"period": "2025-12", "value": 1},
        "must": must,
        "stretch": stretch,
        "target_period": "2026-12",
    }


@pytest.fixture
def sales_plan():
    """sales = customers x unit_price; customers = visitors x conversion. In September: 2,000
    visitors at 40% make 800 customers at ¥1,250: ¥1,000,000 of sales (a must of ¥3,000,000
    for December)."""
    client = ClientFactory()
    metric_create(
        consultancy=client.consultancy,
        actor=None,
        key="visit_conversion",
        name="Visit to customer",
        name_ja="訪問→顧客転換率",
        unit="ratio",
        direction="higher_is_better",
        aggregation="avg",
    )
    document = {
        "name": "Sales x3",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "status": "active",
        "kpis": [
            kpi(
                "sales",
                "revenue",
                formula="customers * unit_price",
                must=3_000_000,
                stretch=4_000_000,
            ),
            kpi("customers", "new_customers", "sales", formula="visitors * conversion", must=2400),
            kpi("unit_price", "arpa", "sales", must=1250),
            kpi("visitors", "visitors", "customers", must=6000),
            kpi("conversion", "visit_conversion", "customers", must="0.4"),
        ],
        "funnels": [
            {
                "key": "acquisition",
                "name": "Acquisition",
                "stages": [
                    {"name": "Visitors", "metric": "visitors"},
                    {"name": "Leads", "metric": "leads", "target_conversion": "0.15"},
                    {
                        "name": "Consultations",
                        "metric": "consultations",
                        "target_conversion": "0.25",
                    },
                    {"name": "Customers", "metric": "new_customers", "target_conversion": "0.80"},
                ],
            }
        ],
    }
    plan = plan_create(client=client, raw=document, actor=None)
    measure(
        client,
        [
            ("revenue", MONTH, 1_000_000),
            ("new_customers", MONTH, 800),
            ("arpa", MONTH, 1250),
            ("visitors", MONTH, 2000),
            ("visit_conversion", MONTH, "0.4"),
            ("leads", MONTH, 300),
            ("consultations", MONTH, 90),
        ],
    )
    return plan
