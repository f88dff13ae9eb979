"""The recompute service: stored snapshots, fingerprints, staleness, signals and query counts."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import DirtyMark
from metrics.periods import Period
from plans import signals
from plans.models import BottleneckReport, Plan, ScorecardSnapshot
from plans.selectors import bottleneck_report_for, scorecard_for
from plans.services import plan_create, scorecards_recompute
from tests.clients.factories import ClientFactory
from tests.plans.builders import big_client, measure, plan_document

pytestmark = pytest.mark.django_db

JUNE = Period.parse("2026-06")


@pytest.fixture
def client_with_plan():
    client = ClientFactory()
    plan_create(client=client, raw=plan_document(), actor=None)
    measure(
        client,
        [
            ("leads", "2026-04", 160),
            ("leads", "2026-06", 330),
            ("churn_rate", "2026-06", "0.06"),
            ("visitors", "2026-06", 2000),
            ("new_customers", "2026-06", 20),
        ],
    )
    return client


def test_a_month_is_computed_and_stored_as_worked_by_hand(client_with_plan):
    client = client_with_plan

    result = scorecards_recompute(client_id=client.pk, period=JUNE)

    assert "2026-06" in result.computed
    card = scorecard_for(client=client, period=JUNE)
    lines = {line["kpi"]: line for line in card.payload["lines"]}
    # Leads: the spring milestone (>= 150 in April) is a waypoint: 100 in Dec -> 150 in Apr ->
    # 500 in Dec, +43.75 a month after April, so June's must is 237.5. Stretch 100 -> 800 is
    # 450 in June. 330 / 237.5 = 1.389474.
    assert (lines["leads"]["must_target"], lines["leads"]["stretch_target"]) == (
        D("237.5"),
        450,
    )
    assert lines["leads"]["attainment"] == D("1.389474")
    assert lines["leads"]["status"] == "on_track"
    # Churn: must 0.08 - 0.05 x 6/12 = 0.055 against 0.06: 0.055 / 0.06 = 0.916667, at risk.
    assert lines["churn"]["attainment"] == D("0.916667")
    assert lines["churn"]["status"] == "at_risk"
    # Score: 100 x (1 + 0.9166...) / 2 = 95.833333, green.
    assert (card.score, card.health, card.at_risk, card.off_track) == (
        D("95.833333"),
        "green",
        1,
        0,
    )
    # April had 160 leads >= 150: the spring milestone was achieved at the end of April.
    spring = card.payload["milestones"][0]
    assert (spring["status"], spring["achieved_on"]) == ("achieved", "2026-04-30")
    assert card.stale is False

    report = bottleneck_report_for(client=client, period=JUNE, funnel=None)
    # Leads 330 / 2000 = 0.165 meets 15%; customers 20 / 330 misses 10%: 330 x 0.1 - 20 = 13.
    assert report.payload["bottleneck"] == "Customer"
    assert [s["lost_output"] for s in report.payload["stages"]] == [None, 0, 13]
    assert card.bottleneck == "Customer"


def test_unchanged_inputs_are_not_recomputed(client_with_plan):
    first = scorecards_recompute(client_id=client_with_plan.pk, period=JUNE)
    stamp = ScorecardSnapshot.objects.get(period_start=JUNE.start).computed_at

    again = scorecards_recompute(client_id=client_with_plan.pk, period=JUNE)

    assert first.computed
    assert again.computed == []
    assert again.unchanged == len(first.computed)
    assert ScorecardSnapshot.objects.get(period_start=JUNE.start).computed_at == stamp


def test_a_measurement_change_makes_later_months_stale_and_only_they_are_recomputed(
    client_with_plan,
):
    client = client_with_plan
    scorecards_recompute(client_id=client.pk, period=JUNE)

    measure(client, [("leads", "2026-06", 200)])

    assert scorecard_for(client=client, period=JUNE).stale is True
    result = scorecards_recompute(client_id=client.pk, period=JUNE)
    assert "2026-06" in result.computed
    assert "2026-05" not in result.computed
    card = scorecard_for(client=client, period=JUNE)
    assert card.stale is False
    leads = next(line for line in card.payload["lines"] if line["kpi"] == "leads")
    assert (leads["actual"], leads["attainment"]) == (200, D("0.842105"))  # 200 / 237.5
    assert not DirtyMark.objects.filter(client=client).exists()


def test_a_plan_change_recomputes_every_month(client_with_plan):
    client = client_with_plan
    first = scorecards_recompute(client_id=client.pk, period=JUNE)
    plan = Plan.objects.get(client=client)
    from plans.services import plan_update

    plan_update(plan=plan, fields={"name": "FY2026 (revised)"}, actor=None)
    # The name is not an input of the arithmetic; a target is.
    assert scorecards_recompute(client_id=client.pk, period=JUNE).computed == []
    document = plan_document()
    document["kpis"][0]["must"] = 700
    from plans.services import plan_replace

    plan_replace(plan=plan, raw=document, actor=None)
    assert scorecards_recompute(client_id=client.pk, period=JUNE).computed == first.computed


def test_a_client_without_an_active_plan_computes_nothing_and_clears_its_mark():
    client = ClientFactory()
    measure(client, [("leads", "2026-06", 1)])
    assert DirtyMark.objects.filter(client=client).exists()

    result = scorecards_recompute(client_id=client.pk)

    assert (result.plan_id, result.computed) == (None, [])
    assert not DirtyMark.objects.filter(client=client).exists()


def test_a_mark_restamped_during_a_recompute_stays(client_with_plan):
    client = client_with_plan
    # The recompute read the mark as it was; a change since re-stamped it.
    from clients.services.dirty_marks import dirty_marks_clear

    read = DirtyMark.objects.get(client=client).marked_at
    measure(client, [("leads", "2026-07", 1)])

    dirty_marks_clear(marks=[(client.pk, read)])

    assert DirtyMark.objects.filter(client=client).exists()


def test_signals_fire_after_commit(client_with_plan, django_capture_on_commit_callbacks):
    computed, achieved = [], []

    def on_computed(sender, **kwargs):
        computed.append(kwargs["period"])

    def on_achieved(sender, **kwargs):
        achieved.append((kwargs["key"], kwargs["achieved_on"]))

    signals.scorecard_computed.connect(on_computed)
    signals.milestone_achieved.connect(on_achieved)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = scorecards_recompute(client_id=client_with_plan.pk, period=JUNE)
        with django_capture_on_commit_callbacks(execute=True):
            scorecards_recompute(client_id=client_with_plan.pk, period=JUNE, force=True)
    finally:
        signals.scorecard_computed.disconnect(on_computed)
        signals.milestone_achieved.disconnect(on_achieved)

    assert computed[: len(result.computed)] == result.computed
    # Achieved once: the forced second run finds it achieved already.
    assert achieved == [("spring", "2026-04-30")]


def test_a_plan_without_funnels_has_one_report_with_its_sensitivity():
    client = ClientFactory()
    document = plan_document(funnels=[])
    document["kpis"] = [
        {
            "key": "ltv_cac",
            "metric": "ltv_cac",
            "baseline": {"period": "2025-12", "value": 2},
            "must": 5,
            "target_period": "2026-12",
        },
        {
            "key": "ltv",
            "metric": "ltv",
            "parent": "ltv_cac",
            "baseline": {"period": "2025-12", "value": 200000},
            "must": 400000,
            "target_period": "2026-12",
        },
        {
            "key": "cac",
            "metric": "cac",
            "parent": "ltv_cac",
            "baseline": {"period": "2025-12", "value": 100000},
            "must": 80000,
            "target_period": "2026-12",
        },
    ]
    document["milestones"] = []
    plan_create(client=client, raw=document, actor=None)
    measure(client, [("ltv", "2026-06", 300000), ("cac", "2026-06", 100000)])

    scorecards_recompute(client_id=client.pk, period=JUNE)

    report = BottleneckReport.objects.get(period_start=JUNE.start)
    assert (report.funnel_key, report.payload["stages"]) == ("", [])
    # LTV/CAC is 3 in June. LTV's June must is 300,000 (200k + 200k x 6/12), its actual already:
    # gain 0. CAC's June must is 90,000: 300,000 / 90,000 - 3 = 0.333333.
    assert report.payload["kpi_sensitivity"] == [
        {"kpi": "cac", "parent": "ltv_cac", "gain": D("0.333333"), "rank": 1},
        {"kpi": "ltv", "parent": "ltv_cac", "gain": 0, "rank": 2},
    ]


# --- a fixed number of queries ------------------------------------------------------------------


def queries_of_a_recompute(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        scorecards_recompute(client_id=client.pk, force=True)
    # SAVEPOINT/RELEASE appear only because the test itself runs inside a transaction.
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_recompute_takes_a_fixed_number_of_queries_whatever_the_kpis_and_months():
    small = queries_of_a_recompute(big_client(kpis=3, months=6))
    large = queries_of_a_recompute(big_client(kpis=30, months=24))

    assert len(large) == len(small) <= 15, "\n".join(large)


def test_the_fingerprint_is_the_same_in_every_process(tmp_path):
    # Formulas carry frozensets, whose order follows the process's hash seed; the fingerprint
    # must not. Two interpreters with different seeds digest the same inputs alike.
    import subprocess
    import sys

    script = (
        "from metrics.formulas import parse\n"
        "from plans.arithmetic.bottlenecks import TreeNode\n"
        "import hashlib\n"
        "node = TreeNode('x', 'ltv_cac', None, True, None, parse('ltv / cac + arpa - nps'))\n"
        "print(hashlib.sha256(repr(node).encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],  # pure modules: no Django to set up
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1


def test_a_batch_of_clients_takes_the_queries_of_one():
    from plans.services import scorecards_recompute_many

    one = [big_client(kpis=3, months=6)]
    four = [big_client(kpis=3, months=6) for _ in range(4)]

    def queries(clients):
        with CaptureQueriesContext(connection) as captured:
            results = scorecards_recompute_many(client_ids=[c.pk for c in clients], force=True)
        assert all(result.computed for result in results)
        return [q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]

    assert len(queries(four)) == len(queries(one))
