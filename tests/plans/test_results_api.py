"""The scorecard, bottleneck, job and portfolio endpoints (API.md, "Scorecards, reports, jobs")."""

from decimal import Decimal as D

import pytest

from clients.models import Job
from clients.services.tenants import client_create
from plans.models import ScorecardSnapshot
from plans.services import plan_create, scorecards_recompute
from tests.tenancy import WORLD_MONTH, minimal_plan

pytestmark = pytest.mark.django_db

SCORECARD_KEYS = {
    "client",
    "plan",
    "period",
    "as_of",
    "computed_at",
    "stale",
    "score",
    "health",
    "coverage",
    "lines",
    "milestones",
}
LINE_KEYS = {
    "kpi",
    "metric",
    "parent",
    "actual",
    "must_target",
    "stretch_target",
    "attainment",
    "progress",
    "status",
    "change",
    "partial",
    "growth_rate",
    "forecast",
}


def scorecard_url(client):
    return f"/api/v1/clients/{client.pk}/scorecard/"


def test_the_scorecard_has_every_field_of_the_contract(world):
    response = world.api("viewer").get(scorecard_url(world.a1), {"period": "2026-09"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= SCORECARD_KEYS
    assert (body["client"], body["period"], body["stale"]) == (str(world.a1.pk), "2026-09", False)
    line = body["lines"][0]
    assert set(line) >= LINE_KEYS
    assert set(line["change"]) == {"abs", "pct"}
    # A1 has 1 lead in September; must 100 + 400 x 9/12 = 400: attainment 1/400 = 0.0025.
    assert (line["actual"], line["must_target"], line["attainment"]) == (1, 400, 0.0025)
    assert line["status"] == "off_track"
    assert body["milestones"][0]["key"] == "launch"
    assert {"key", "name", "due", "kind", "status", "achieved_on", "conditions"} <= set(
        body["milestones"][0]
    )


def test_a_month_without_a_stored_scorecard_is_404_and_a_bad_period_400(world):
    api = world.api("owner")
    # The plan's months are all computed; the year before it is not.
    assert api.get(scorecard_url(world.a1), {"period": "2025-06"}).status_code == 404
    response = api.get(scorecard_url(world.a1), {"period": "2026-Q3"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period"
    assert api.get(scorecard_url(world.a1), {"period": "2999-01"}).status_code == 400


def test_a_recompute_request_answers_202_with_a_job_to_follow(world):
    api = world.api("client_key_write")

    response = api.post(
        f"{scorecard_url(world.a1)}recompute/", {"period": "2026-08"}, format="json"
    )

    assert response.status_code == 202, response.content
    job = response.json()["job"]
    assert job["status"] == "queued"
    assert response["Location"] == job["url"]
    followed = api.get(job["url"])
    assert followed.status_code == 200
    assert followed.json()["kind"] == "scorecard_recompute"
    assert followed.json()["result_url"] == f"{scorecard_url(world.a1)}?period=2026-08"
    assert Job.objects.get(pk=job["id"]).params == {"period": "2026-08"}


def test_the_bottleneck_report_defaults_to_the_first_funnel(world):
    plan = world.a1.plans.get()
    from plans.services import plan_replace

    document = minimal_plan(
        funnels=[
            {
                "key": key,
                "name": key.title(),
                "stages": [
                    {"name": "Visitor", "metric": "visitors"},
                    {"name": "Lead", "metric": "leads", "target_conversion": "0.15"},
                ],
            }
            for key in ("web", "events")
        ]
    )
    plan_replace(plan=plan, raw=document, actor=None)
    scorecards_recompute(client_id=world.a1.pk, period=WORLD_MONTH)
    api = world.api("viewer")
    url = f"/api/v1/clients/{world.a1.pk}/bottlenecks/"

    first = api.get(url, {"period": "2026-09"}).json()
    second = api.get(url, {"period": "2026-09", "funnel": "events"}).json()

    assert (first["funnel"], second["funnel"]) == ("web", "events")
    # No visitors measured: no conversion, no loss, no bottleneck - nulls, not errors.
    assert first["stages"][1]["volume"] == 1
    assert first["stages"][1]["conversion"] is None
    assert first["bottleneck"] is None
    assert first["target_overall_conversion"] == 0.15
    assert api.get(url, {"period": "2026-09", "funnel": "nope"}).status_code == 404


@pytest.mark.parametrize(("kind", "client_name"), [("consultant", "a2"), ("foreign_owner", "a1")])
def test_a_job_of_a_client_out_of_reach_is_404(world, kind, client_name):
    job = Job.objects.filter(client=getattr(world, client_name)).first()
    assert world.api(kind).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_a_job_without_a_client_is_visible_to_no_api_caller(world):
    job = Job.objects.create(kind="nightly_recompute")
    assert world.api("owner").get(f"/api/v1/jobs/{job.pk}/").status_code == 404


# --- portfolio ----------------------------------------------------------------------------------


def set_snapshot(client, **fields):
    ScorecardSnapshot.objects.filter(client=client).update(**fields)


def test_the_portfolio_puts_the_riskiest_first(world):
    set_snapshot(world.a1, health="green", score=D(95), off_track=0)
    set_snapshot(world.a2, health="red", score=D(40), off_track=2)
    extra = client_create(consultancy=world.a, name="A3", slug="a3", actor=None)
    plan_create(client=extra, raw=minimal_plan(), actor=None)
    scorecards_recompute(client_id=extra.pk, period=WORLD_MONTH)
    set_snapshot(extra, health="red", score=D(40), off_track=5)
    none_yet = client_create(consultancy=world.a, name="A0", slug="a0", actor=None)

    rows = world.api("owner").get("/api/v1/portfolio/").json()["results"]

    # Red before green before none; equal scores: more off-track lines first.
    assert [row["name"] for row in rows] == ["A3", "A2", "A1", "A0"]
    assert rows[0]["client"] == str(extra.pk)
    assert (rows[0]["health"], rows[0]["score"], rows[0]["off_track"]) == ("red", 40, 5)
    assert rows[3]["health"] == "no_data"
    assert rows[3]["score"] is None
    assert rows[2]["last_measurement_at"] is not None
    assert rows[2]["next_milestone"] is None  # its one milestone, due in June, was missed
    assert none_yet.pk


def test_the_portfolio_takes_the_same_queries_for_more_clients(
    world, django_assert_max_num_queries
):
    api = world.api("owner")
    api.get("/api/v1/portfolio/")  # warm caches (auth, throttles)
    with django_assert_max_num_queries(8) as few:
        api.get("/api/v1/portfolio/")
    for number in range(5):
        client = client_create(
            consultancy=world.a, name=f"More {number}", slug=f"m{number}", actor=None
        )
        plan_create(client=client, raw=minimal_plan(), actor=None)
        scorecards_recompute(client_id=client.pk, period=WORLD_MONTH)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get("/api/v1/portfolio/")
    assert response.json()["count"] == 7
