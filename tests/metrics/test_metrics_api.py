"""The metric catalogue, the raw measurement list and series over the API."""

import pytest
from django.core.exceptions import ValidationError

from clients.models import AuditLogEntry, DirtyMark
from metrics.models import Metric
from metrics.services import measurements_upsert, metric_create, metric_update

pytestmark = pytest.mark.django_db

NEW = {
    "key": "demo_signups",
    "name": "Demo sign-ups",
    "name_ja": "デモ申込数",
    "unit": "count",
    "direction": "higher_is_better",
    "aggregation": "sum",
}


def test_the_catalogue_has_the_built_ins_and_the_consultancys_own(world):
    response = world.api("viewer").get("/api/v1/metrics/", {"page_size": 500})

    rows = {row["key"]: row for row in response.json()["results"]}
    assert rows["mrr"] == {
        "key": "mrr",
        "name": "MRR",
        "name_ja": "月次経常収益（MRR）",
        "unit": "money",
        "direction": "higher_is_better",
        "aggregation": "last",
        "formula": "",
        "consultancy": None,
        "builtin": True,
    }
    assert rows["arr"]["formula"] == "mrr * 12"
    assert rows["churn_rate"]["direction"] == "lower_is_better"
    assert rows["acme_only"]["consultancy"] == "acme"
    assert "bravo_only" not in rows
    assert len(rows) == 43  # 42 built-in + acme's own


def test_a_manager_adds_a_derived_metric(world):
    body = {
        **NEW,
        "key": "lead_cost",
        "unit": "money",
        "direction": "lower_is_better",
        "aggregation": "avg",
        "formula": "marketing_spend / leads",
    }

    response = world.api("manager").post("/api/v1/metrics/", body, format="json")

    assert response.status_code == 201
    assert response.json()["consultancy"] == "acme"
    assert AuditLogEntry.objects.filter(action="metric.created", object_repr="lead_cost").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": "mrr"}, "key"),  # shadows a built-in
        ({"key": "acme_only"}, "key"),  # already the consultancy's
        ({"key": "Bad Key"}, "key"),
        ({"formula": "leads / nope"}, "formula"),  # unknown key
        ({"formula": "bravo_only * 2"}, "formula"),  # another consultancy's metric
        ({"formula": "leads +"}, "formula"),
        ({"unit": "furlongs"}, "unit"),
    ],
)
def test_bad_metrics_are_refused_naming_the_field(world, change, field):
    response = world.api("owner").post("/api/v1/metrics/", {**NEW, **change}, format="json")

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_cycle_between_formulas_is_refused(world):
    metric_create(consultancy=world.a, actor=None, **{**NEW, "key": "x1", "formula": "leads * 2"})
    x1 = Metric.objects.get(key="x1")
    metric_create(consultancy=world.a, actor=None, **{**NEW, "key": "x2", "formula": "x1 + 1"})

    with pytest.raises(ValidationError, match=r"x1 → x2 → x1|x2 → x1 → x2"):
        metric_update(metric=x1, actor=None, formula="x2 / 2")


def test_editing_a_consultancy_metric_marks_all_its_clients_stale(world):
    DirtyMark.objects.all().delete()
    metric = Metric.objects.get(key="acme_only")

    metric_update(metric=metric, actor=None, aggregation="avg")

    marks = DirtyMark.objects.all()
    assert {m.client_id for m in marks} == {world.a1.pk, world.a2.pk}
    assert all(m.dirty_from is None and m.dirty_to is None for m in marks)  # everything


def test_built_in_metrics_cannot_be_edited():
    with pytest.raises(ValidationError):
        metric_update(metric=Metric.objects.get(key="mrr"), actor=None, name="Monthly")


def test_measurements_list_filters(world):
    measurements_upsert(
        client=world.a1,
        actor=None,
        rows=[
            {"metric": "leads", "period": "2026-07", "value": 10},
            {"metric": "leads", "period": "2026-08", "value": 20},
            {"metric": "mrr", "period": "2026-08", "value": 5},
        ],
    )
    url = f"/api/v1/clients/{world.a1.pk}/measurements/"

    response = world.api("viewer").get(url, {"metric": "leads", "from": "2026-08", "to": "2026-09"})

    rows = response.json()["results"]
    assert [(r["metric"], r["period"], r["value"]) for r in rows] == [
        ("leads", "2026-08", 20.0),
        ("leads", "2026-09", 1.0),
    ]
    bad = world.api("viewer").get(url, {"from": "August"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "from"


def test_series_rolls_up_and_derives(world):
    # Q3 2026 for A1: leads July 10, August 90, and the world's September 1; visitors July 100,
    # August 300. Quarterly leads = 101 (coverage 1); visitors 400 (coverage 2/3);
    # visit_to_lead = 101 / 400 = 0.2525 with the lower coverage, 2/3.
    measurements_upsert(
        client=world.a1,
        actor=None,
        rows=[
            {"metric": "leads", "period": "2026-07", "value": 10},
            {"metric": "leads", "period": "2026-08", "value": 90},
            {"metric": "visitors", "period": "2026-07", "value": 100},
            {"metric": "visitors", "period": "2026-08", "value": 300},
        ],
    )

    response = world.api("client_key_read").get(
        f"/api/v1/clients/{world.a1.pk}/series/",
        {
            "metrics": "leads,visit_to_lead",
            "granularity": "quarter",
            "from": "2026-Q2",
            "to": "2026-Q3",
        },
    )

    body = response.json()
    assert body["granularity"] == "quarter"
    assert body["periods"] == ["2026-Q2", "2026-Q3"]
    assert body["series"]["leads"] == [
        {"period": "2026-Q2", "value": None, "coverage": None},
        {"period": "2026-Q3", "value": 101.0, "coverage": 1.0},
    ]
    # Values are given to 6 places and coverage to 4, as exact JSON numbers.
    assert b'"value":0.252500,"coverage":0.6667' in response.content


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "metrics"),
        ({"metrics": "leads,nope"}, "metrics"),
        ({"metrics": "bravo_only"}, "metrics"),
        ({"metrics": "leads", "granularity": "fortnight"}, "granularity"),
        ({"metrics": "leads", "from": "2026-09", "to": "2026-01"}, "from"),
        (
            {"metrics": "leads", "granularity": "day", "from": "2020-01-01", "to": "2026-01-01"},
            "to",
        ),
    ],
)
def test_series_parameters_are_checked(world, params, field):
    response = world.api("owner").get(f"/api/v1/clients/{world.a1.pk}/series/", params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
