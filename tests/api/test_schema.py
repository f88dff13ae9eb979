"""The OpenAPI schema describes every endpoint without warnings."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_and_validates_without_warnings():
    out = StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)

    schema = out.getvalue()
    assert "/api/v1/clients/{client_id}/audit-log/:" in schema
    assert "ApiKey:" in schema


def test_schema_and_docs_are_served(client):
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200


def _schema(client):
    return client.get("/api/v1/schema/?format=json").json()


def test_every_operation_lists_its_problem_answers_and_a_typed_success(client):
    schema = _schema(client)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "401", "403", "404", "429"} <= set(responses), (method, path)
            if method in ("post", "put", "patch"):
                assert {"413", "415"} <= set(responses), (method, path)
            ok = [code for code in responses if code.startswith("2")]
            assert ok, (method, path)
            for code in ok:
                content = responses[code].get("content", {}).get("application/json")
                if content is None:
                    assert code == "204", (method, path)
                    continue
                shape = content["schema"]
                # A named shape or a list of one, never a bare "object".
                assert "$ref" in shape or "$ref" in shape.get("items", {}), (method, path, shape)
    bulk = schema["paths"]["/api/v1/clients/{client_id}/measurements/bulk/"]["post"]
    assert "422" in bulk["responses"]
    problem = bulk["responses"]["400"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/ValidationProblem"}


def test_the_schema_says_what_is_nullable_and_what_is_closed(client):
    components = _schema(client)["components"]["schemas"]

    assert components["Metric"]["properties"]["consultancy"]["nullable"] is True
    assert components["MeasurementRowRequest"]["additionalProperties"] is False
    assert "additionalProperties" not in components["ClientCreateRequest"]
    assert components["Scorecard"]["properties"]["score"]["nullable"] is True
