"""Bad input is a 4xx problem document that names what is wrong, never a 500, and stores
nothing: each case here was a 500 once (found by probing the running API)."""

import io
import json

import pytest

from config.chunked import ChunkedBodyMiddleware
from metrics.models import Measurement
from plans.models import Plan
from tests.tenancy import minimal_plan

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def bulk(world):
    return f"/api/v1/clients/{world.a1.pk}/measurements/bulk/"


def post_raw(api, url, body: str):
    return api.post(url, body, content_type="application/json")


def test_json_nested_a_thousand_deep_is_a_400(world):
    api = world.api("owner")
    body = '{"measurements": ' + "[" * 1000 + "]" * 1000 + "}"
    before = Measurement.objects.count()

    response = post_raw(api, bulk(world), body)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "nested deeper than 32 levels" in response.json()["detail"]
    assert Measurement.objects.count() == before


def test_nesting_just_past_the_limit_is_refused_and_a_real_document_is_not(world):
    api = world.api("owner")
    # 33 levels: the object, then 32 lists.
    deep = '{"measurements": ' + "[" * 32 + "]" * 32 + "}"

    assert post_raw(api, bulk(world), deep).status_code == 400
    # A plan document nests five levels (plan, funnels, funnel, stages, stage).
    plan = json.dumps(minimal_plan(status="draft"))
    assert post_raw(api, f"/api/v1/clients/{world.a1.pk}/plans/", plan).status_code == 201


@pytest.mark.parametrize(
    ("raw_value", "message"),
    [
        ("1e999999999", "has more than 14 digits before the point"),
        ('"1E+999999999999999999"', "has more than 14 digits before the point"),
        ("1e-999999999", "has more than 6 digits after the point"),
        # More digits than a Decimal context holds (28): rounding would have made it 1.
        ('"1.00000000000000000000000000000001"', "has more than 6 digits after the point"),
    ],
)
def test_a_value_too_large_or_too_fine_names_its_row_and_field(world, raw_value, message):
    api = world.api("owner")
    body = (
        '{"measurements": [{"metric": "leads", "period": "2026-10", "value": 5},'
        f' {{"metric": "leads", "period": "2026-11", "value": {raw_value}}}]}}'
    )

    response = post_raw(api, bulk(world), body)

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"field": "measurements[1].value", "message": message, "row": 1}
    ]
    assert (
        not Measurement.objects.filter(client=world.a1, metric__key="leads")
        .exclude(period_start__month=9)
        .exists()
    )


@pytest.mark.parametrize(
    "path",
    [
        "measurements/?metric=a%00",
        "bottlenecks/?funnel=a%00",
        "series/?metrics=leads%00",
        "measurements/?from=2026%00",
    ],
)
def test_a_nul_character_in_the_query_is_a_400(world, path):
    response = world.api("owner").get(f"/api/v1/clients/{world.a1.pk}/{path}")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "NUL" in response.json()["detail"]


def test_a_nul_character_in_the_path_is_a_400(world):
    plan = Plan.objects.filter(client=world.a1).get()
    url = f"/api/v1/clients/{world.a1.pk}/plans/{plan.pk}/milestones/launch%00/achieve/"

    response = world.api("owner").post(url, {"achieved_on": "2026-03-01"}, format="json")

    assert response.status_code == 400


def test_a_nul_character_on_an_admin_search_is_a_400(client, world):
    client.force_login(world.users["owner"])

    assert client.get("/admin/clients/client/?q=a%00").status_code == 400


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "FY\x002026", "must not contain NUL characters"),
        ("vision", "grow \ud800", "is not valid Unicode text (it holds a lone surrogate)"),
    ],
)
def test_text_no_column_can_hold_is_refused_at_its_field(world, field, value, message):
    api = world.api("owner")
    # json.dumps writes both as escapes (\u0000, \ud800), as a partner's JSON would.
    body = json.dumps(minimal_plan(status="draft", **{field: value}))
    plans_before = Plan.objects.count()

    response = post_raw(api, f"/api/v1/clients/{world.a1.pk}/plans/", body)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "message": message}]
    assert Plan.objects.count() == plans_before


def test_bad_text_inside_a_list_names_the_row(world):
    body = json.dumps(
        {"measurements": [{"metric": "leads", "period": "2026-10", "value": 1, "source": "\x00"}]}
    )

    response = post_raw(world.api("owner"), bulk(world), body)

    assert response.json()["errors"] == [
        {"field": "measurements[0].source", "message": "must not contain NUL characters", "row": 0}
    ]


@pytest.mark.parametrize("kind", ["scorecard", "bottlenecks"])
def test_options_on_a_recompute_route_describes_it(world, kind):
    response = world.api("owner").options(f"/api/v1/clients/{world.a1.pk}/{kind}/recompute/")

    assert response.status_code == 200
    assert "period" in response.json()["actions"]["POST"]


# --- Transfer-Encoding: chunked -------------------------------------------------------------------


def _environ(body: bytes, *, terminated=True, path="/api/v1/x/"):
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": terminated,
    }


def _call(environ):
    seen, started = {}, {}

    def inner(environ, start_response):
        seen["length"] = environ.get("CONTENT_LENGTH")
        seen["body"] = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [])
        return [b"ok"]

    def start_response(status, headers):
        started["status"] = status

    body = b"".join(ChunkedBodyMiddleware(inner)(environ, start_response))
    return started["status"], body, seen


def test_a_chunked_body_the_server_decoded_reaches_the_view_with_its_length():
    status, _body, seen = _call(_environ(b'{"measurements": []}'))

    assert status == "200 OK"
    assert seen == {"length": "20", "body": b'{"measurements": []}'}


def test_a_chunked_body_the_server_did_not_decode_is_411():
    status, body, seen = _call(_environ(b"5\r\nhello\r\n0\r\n\r\n", terminated=False))

    assert status == "411 Length Required"
    assert json.loads(body)["status"] == 411
    assert seen == {}


def test_a_chunked_body_over_the_limit_is_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    status, _body, seen = _call(_environ(b"x" * 11))

    assert status.startswith("413")
    assert seen == {}


@pytest.mark.parametrize("page_size", ["abc", "0", "-1", "501", "1.5", "9" * 5000])
def test_a_page_size_that_is_not_1_to_500_is_a_400(world, page_size):
    response = world.api("owner").get("/api/v1/clients/", {"page_size": page_size})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["page_size"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/clients/", {"name": "N", "slug": 0}, "slug"),
        ("/api/v1/clients/", {"name": 12, "slug": "n12"}, "name"),
        ("/api/v1/webhooks/", {"url": 5, "events": ["diagnostic.scored"]}, "url"),
    ],
)
def test_a_number_where_text_is_asked_for_is_a_400(world, url, body, field):
    response = world.api("owner").post(url, body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
