"""The diagnostics API: templates, a run from start to scored result, and its refusals."""

import pytest

from clients.models import Job
from diagnostics.models import DiagnosticRun
from diagnostics.tasks import score_run_job

pytestmark = pytest.mark.django_db


def runs_url(client):
    return f"/api/v1/clients/{client.pk}/diagnostics/"


def start(api, client):
    response = api.post(runs_url(client), {"template": "strategy-quick-check"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_templates_list_the_builtin_with_questions_in_both_languages(world):
    api = world.api("viewer")
    listed = api.get("/api/v1/diagnostic-templates/").json()["results"]
    detail = api.get("/api/v1/diagnostic-templates/strategy-quick-check/").json()

    assert [t["key"] for t in listed] == ["strategy-quick-check"]
    question = detail["sections"][0]["questions"][0]
    assert {"key", "text", "text_ja", "type", "options", "weight"} <= set(question)
    assert question["text_ja"]
    numbers = [q for s in detail["sections"] for q in s["questions"] if q["type"] == "number"]
    assert numbers[0]["options"][0] == {"min": None, "max": 1, "score": 0}
    assert api.get("/api/v1/diagnostic-templates/nope/").status_code == 404


def test_answers_merge_and_null_clears(world):
    api = world.api("editor")
    run = start(api, world.a1)
    url = f"{runs_url(world.a1)}{run['id']}/answers/"

    api.put(url, {"answers": {"customer_defined": 4, "stages_measured": True}}, format="json")
    response = api.put(url, {"answers": {"customer_defined": None, "focus": "one"}}, format="json")

    assert response.status_code == 200
    assert response.json()["answers"] == {"stages_measured": True, "focus": "one"}


def test_unknown_keys_and_wrong_types_are_named_and_nothing_is_saved(world):
    api = world.api("editor")
    run = start(api, world.a1)
    url = f"{runs_url(world.a1)}{run['id']}/answers/"

    response = api.put(
        url,
        {"answers": {"customer_defined": 9, "nope": 1, "kpi_tree": "yes", "focus": "one"}},
        format="json",
    )

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"answers.customer_defined", "answers.nope", "answers.kpi_tree"}
    assert DiagnosticRun.objects.get(pk=run["id"]).answers == {}


def test_submit_lists_unanswered_required_questions(world):
    api = world.api("editor")
    run = start(api, world.a1)
    api.put(
        f"{runs_url(world.a1)}{run['id']}/answers/",
        {"answers": {"customer_defined": 4}},
        format="json",
    )

    response = api.post(f"{runs_url(world.a1)}{run['id']}/submit/")

    assert response.status_code == 400
    missing = {error["field"] for error in response.json()["errors"]}
    assert "answers.value_defined" in missing
    assert "answers.customer_defined" not in missing
    assert "answers.customer_sentence" not in missing  # optional


def complete_answers():
    from diagnostics.builtin import STRATEGY_QUICK_CHECK
    from diagnostics.definition import read_definition
    from tests.diagnostics.test_scoring import best_answers

    answers = best_answers(read_definition(STRATEGY_QUICK_CHECK))
    return {
        key: (float(value) if not isinstance(value, (bool, int, str)) else value)
        for key, value in answers.items()
    }


def test_a_run_goes_from_start_to_a_scored_result(world):
    api = world.api("editor")
    run = start(api, world.a1)
    base = f"{runs_url(world.a1)}{run['id']}/"
    api.put(f"{base}answers/", {"answers": complete_answers()}, format="json")

    submitted = api.post(f"{base}submit/")

    assert submitted.status_code == 202, submitted.content
    body = submitted.json()
    assert body["status"] == "submitted"
    job = Job.objects.get(pk=body["job"]["id"])
    assert (job.kind, job.status) == ("diagnostic_score", "queued")
    # Closed to further answers.
    closed = api.put(f"{base}answers/", {"answers": {"focus": "many"}}, format="json")
    assert closed.status_code == 409
    assert api.post(f"{base}submit/").status_code == 409

    score_run_job.apply(args=[str(job.pk)])  # what the worker does

    scored = api.get(base).json()
    assert scored["status"] == "scored"
    result = scored["result"]
    assert result["score"] >= 90
    assert [s["key"] for s in result["sections"]] == [
        "strategy",
        "process",
        "goals",
        "organisation",
        "money",
    ]
    # A1's plan (tests/tenancy.py) is one KPI and one event milestone: the data checks say so,
    # and the answers "milestones are KPI states" and "every stage measured" are contradicted.
    found = {f["key"] for f in result["findings"]}
    assert {"kgi_not_decomposed", "event_only_milestones", "no_funnel"} <= found
    contradicted = {
        f["evidence"]["rule"] for f in result["findings"] if f["key"] == "answer_contradicted"
    }
    assert contradicted == {"milestones_not_states", "stages_not_measured"}
    assert all(f["message"] and f["message_ja"] for f in result["findings"])
    assert Job.objects.get(pk=job.pk).status == "succeeded"


def test_the_checks_endpoint_shows_the_data_checks_alone(world):
    response = world.api("viewer").get(f"/api/v1/clients/{world.a1.pk}/checks/")
    assert response.status_code == 200
    keys = [finding["key"] for finding in response.json()["results"]]
    assert "kgi_not_decomposed" in keys
    assert "answer_contradicted" not in keys
