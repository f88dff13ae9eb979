"""The OpenAPI schema's own parts: the API-key authentication (an extension, loaded by
ClientsConfig.ready) and the problem documents every operation can answer with (a hook)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "clients.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key wp_<prefix>_<secret>`",
        }


# --- errors: what each operation can answer besides success -------------------------------------

PROBLEM = {
    "type": "object",
    "description": "An RFC 9457 problem document (application/problem+json), in the caller's "
    "language.",
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Not Found"},
        "status": {"type": "integer", "example": 404},
        "detail": {"type": "string", "example": "Not found."},
    },
    "required": ["type", "title", "status", "detail"],
}
VALIDATION_PROBLEM = {
    "type": "object",
    "description": "Invalid input: every field at fault, by its path; `row` is the index in "
    "the request's list of rows. Nothing was written.",
    "properties": {
        **PROBLEM["properties"],
        "type": {"type": "string", "example": "urn:waypoint:problem:validation-error"},
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "The request has invalid fields."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "example": "measurements[0].period",
                    },
                    "message": {"type": "string", "example": "must be a number"},
                    "row": {"type": "integer", "example": 0},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": [*PROBLEM["required"]],
}
EVERY_OPERATION = {
    400: "Invalid input (a query parameter or the body); nothing is written.",
    401: "No valid credentials (`WWW-Authenticate: Api-Key`).",
    403: "The caller sees the resource but lacks the scope or role for this.",
    404: "Not found, or outside the caller's clients.",
    406: "The `Accept` header asks for something other than JSON.",
    429: "Rate limited (see `Retry-After`), or too many invalid keys from the address.",
}
WITH_BODY = {
    411: "A chunked body that could not be read whole: send a Content-Length.",
    413: "The body is over the size limit.",
    415: "The body is not JSON.",
}
# Answers particular to some operations, by (method, a path ending).
PARTICULAR = {
    ("put", "/answers/"): {409: "The diagnostic was submitted: its answers are final."},
    ("post", "/submit/"): {409: "The diagnostic was submitted already."},
    ("post", "/measurements/bulk/"): {
        413: "The body is over the size limit, or it holds more than 10,000 measurements.",
        422: "The Idempotency-Key was used before for a different request.",
    },
}


HEADERS = {
    401: {"WWW-Authenticate": "`Api-Key`: the scheme to authenticate with."},
    429: {"Retry-After": "Seconds to wait before trying again."},
}


def _header(description: str) -> dict:
    return {"description": description, "schema": {"type": "string"}}


def _problem_response(code: int, description: str) -> dict:
    schema = "ValidationProblem" if code == 400 else "Problem"
    response = {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }
    if code in HEADERS:
        response["headers"] = {name: _header(text) for name, text in HEADERS[code].items()}
    return response


# Request components that refuse fields they do not name (the schema says additionalProperties:
# false); the others ignore unknown fields (docs/api.md, "Unknown fields").
CLOSED_REQUESTS: set[str] = set()


def closed_request(serializer_class):
    """Mark a serializer's request shape as closed to unknown fields (a class decorator)."""
    name = serializer_class.__name__.removesuffix("Serializer")
    CLOSED_REQUESTS.add(f"{name}Request")
    return serializer_class


def problem_responses(result, generator, request, public):
    """A drf-spectacular postprocessing hook: the problem documents each operation can answer
    with (the codes it really returns), and the two shapes they take."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM
    schemas["ValidationProblem"] = VALIDATION_PROBLEM
    for name in CLOSED_REQUESTS & set(schemas):
        schemas[name]["additionalProperties"] = False
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = dict(EVERY_OPERATION)
            if method in ("post", "put", "patch"):
                codes.update(WITH_BODY)
            for (wanted, ending), extra in PARTICULAR.items():
                if method == wanted and path.endswith(ending):
                    codes.update(extra)
            responses = operation.setdefault("responses", {})
            for code, description in sorted(codes.items()):
                responses.setdefault(str(code), _problem_response(code, description))
            if "202" in responses and path.endswith("/recompute/"):
                responses["202"]["headers"] = {"Location": _header("The job's address.")}
            if method == "post" and path.endswith("/measurements/bulk/"):
                responses["200"]["headers"] = {
                    "Idempotent-Replayed": _header(
                        "`true` when this is the stored answer to an earlier request with the "
                        "same Idempotency-Key (nothing was written again)."
                    )
                }
    return result
