"""API errors as RFC 9457 problem documents (``application/problem+json``).

``{"type", "title", "status", "detail"}``, plus ``"errors": [{"field", "message"[, "row"]}]`` for
validation, where ``row`` is the index in the request's list of rows (the first list in the path).
"""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.views import exception_handler

CONTENT_TYPE = "application/problem+json"
VALIDATION_TYPE = "urn:waypoint:problem:validation-error"


class Conflict(exceptions.APIException):
    """A write to something closed (e.g. a submitted diagnostic)."""

    status_code = 409
    default_detail = "The resource is closed to changes."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request is too large."
    default_code = "payload_too_large"


class UnprocessableEntity(exceptions.APIException):
    status_code = 422
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


def problem(status: int, detail: str, *, type_: str = "about:blank", errors=None) -> dict:
    body = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def flatten_errors(data, path: str = "", row: int | None = None) -> list[dict]:
    """DRF's nested error structure as a flat list naming each field (and row) at fault."""
    if isinstance(data, dict):
        errors = []
        for key, value in data.items():
            if key in ("non_field_errors", "__all__"):
                errors += flatten_errors(value, path, row)
            else:
                errors += flatten_errors(value, f"{path}.{key}" if path else str(key), row)
        return errors
    if isinstance(data, list):
        if all(isinstance(item, str) for item in data):
            return [_error(path, message, row) for message in data]
        errors = []
        for index, item in enumerate(data):
            if item:
                errors += flatten_errors(item, f"{path}[{index}]", index if row is None else row)
        return errors
    return [_error(path, data, row)]


def _error(path: str, message, row: int | None) -> dict:
    error = {"field": path or None, "message": str(message)}
    if row is not None:
        error["row"] = row
    return error


def problem_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(f"The body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            response.status_code,
            "The request has invalid fields.",
            type_=VALIDATION_TYPE,
            errors=flatten_errors(response.data),
        )
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        body = problem(response.status_code, str(detail or HTTPStatus(response.status_code).phrase))
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


def problem_response(status: int, detail: str) -> JsonResponse:
    """A problem document answered outside DRF (middleware, error handlers)."""
    return JsonResponse(problem(status, detail), status=status, content_type=CONTENT_TYPE)


def api_not_found(request, exception=None):
    return problem_response(404, "Not found.")


def api_server_error(request):
    return problem_response(500, "The server failed to handle the request.")
