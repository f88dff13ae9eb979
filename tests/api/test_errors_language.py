"""Errors in the caller's language: with ``Accept-Language: ja`` titles, details and every
message are Japanese — DRF's, ours and the checkers' — while fields, rows, types and statuses
stay what the contract names. Without it, English."""

import pytest

pytestmark = pytest.mark.django_db

BAD_ROWS = {
    "measurements": [
        {"metric": "nope", "period": "2026-13", "value": "x"},
        {"period": "2026-01"},
    ]
}


def bulk(world, language=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return world.api("owner").post(
        f"/api/v1/clients/{world.a1.pk}/measurements/bulk/", BAD_ROWS, **headers
    )


def test_ingest_errors_are_japanese_when_asked(world):
    response = bulk(world, "ja")

    body = response.json()
    assert response.status_code == 400
    assert (body["title"], body["detail"]) == (
        "不正なリクエスト",
        "リクエストに不正な項目があります。",
    )
    assert [(e["row"], e["field"], e["message"]) for e in body["errors"]] == [
        (0, "measurements[0].metric", "'nope' という指標はありません"),
        (
            0,
            "measurements[0].period",
            "'2026-13' は実在する月ではありません。2026-09-15、2026-W38、2026-09、2026-Q3、"
            "2026 のように書いてください",
        ),
        (0, "measurements[0].value", "数値にしてください"),
        (1, "measurements[1].metric", "必須です"),
        (1, "measurements[1].value", "必須です"),
    ]


def test_the_same_errors_are_english_by_default(world):
    body = bulk(world).json()

    assert (body["title"], body["detail"]) == ("Bad Request", "The request has invalid fields.")
    assert body["errors"][0]["message"] == "'nope' is not a known metric"
    assert body["errors"][2]["message"] == "must be a number"


def test_a_missing_right_is_explained_in_japanese(world):
    response = world.api("viewer").post(
        f"/api/v1/clients/{world.a1.pk}/plans/", {"name": "x"}, HTTP_ACCEPT_LANGUAGE="ja"
    )

    assert response.status_code == 403
    assert response.json()["title"] == "権限がありません"
    assert response.json()["detail"] == "このクライアントに対する 'write' 権限が必要です。"


def test_a_plan_checker_problem_is_japanese(world):
    response = world.api("owner").get(
        f"/api/v1/clients/{world.a1.pk}/scorecard/?period=2026-1x", HTTP_ACCEPT_LANGUAGE="ja"
    )

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "period"
    assert error["message"].startswith("'2026-1x' は期間として読めません。")


def test_a_diagnostics_answer_problems_are_japanese(world):
    from diagnostics.models import DiagnosticRun

    run = DiagnosticRun.objects.filter(client=world.a1).first()

    response = world.api("owner").put(
        f"/api/v1/clients/{world.a1.pk}/diagnostics/{run.pk}/answers/",
        {"answers": {"nope": 1, "customer_defined": 9}},
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert response.status_code == 400
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "answers.nope": "この診断の質問ではありません",
        "answers.customer_defined": "1〜5 の整数にしてください",
    }
