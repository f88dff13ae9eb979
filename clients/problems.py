"""API errors as RFC 9457 problem documents (``application/problem+json``).

``{"type", "title", "status", "detail"}``, plus ``"errors": [{"field", "message"[, "row"]}]`` for
validation, where ``row`` is the index in the request's list of rows (the first list in the path).

Titles, details and messages are in the caller's language (``Accept-Language``, read by the
locale middleware): DRF's own messages through its catalogue, ours through gettext, and the
checkers' English sentences through ``problem_words``. Fields, types and statuses never change.
"""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

from clients.problem_words import problem_text

CONTENT_TYPE = "application/problem+json"
VALIDATION_TYPE = "urn:waypoint:problem:validation-error"
# The statuses the API answers with, titled in the caller's language (others: the HTTP phrase).
TITLES = {
    400: _("Bad Request"),
    401: _("Unauthorized"),
    403: _("Forbidden"),
    404: _("Not Found"),
    405: _("Method Not Allowed"),
    406: _("Not Acceptable"),
    409: _("Conflict"),
    411: _("Length Required"),
    413: _("Content Too Large"),
    415: _("Unsupported Media Type"),
    422: _("Unprocessable Content"),
    429: _("Too Many Requests"),
    500: _("Internal Server Error"),
    503: _("Service Unavailable"),
}


class Conflict(exceptions.APIException):
    """A write to something closed (e.g. a submitted diagnostic)."""

    status_code = 409
    default_detail = _("The resource is closed to changes.")
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request is too large.")
    default_code = "payload_too_large"


class UnprocessableEntity(exceptions.APIException):
    status_code = 422
    default_detail = _("The request cannot be processed.")
    default_code = "unprocessable"


def problem(status: int, detail: str, *, type_: str = "about:blank", errors=None) -> dict:
    title = str(TITLES.get(status, HTTPStatus(status).phrase))
    body = {"type": type_, "title": title, "status": status, "detail": worded(str(detail))}
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
            elif isinstance(key, int):  # a list field's item (DRF keys them by index)
                errors += flatten_errors(value, f"{path}[{key}]", row)
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


def worded(message: str) -> str:
    """A message in the active language: a checker's English sentence translated when the
    caller reads Japanese (gettext'd messages are translated already)."""
    return problem_text(message, get_language())


def _error(path: str, message, row: int | None) -> dict:
    error = {"field": path or None, "message": worded(str(message))}
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
        exc = PayloadTooLarge(
            _("The body is over %(limit)s bytes.")
            % {"limit": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"}
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            response.status_code,
            _("The request has invalid fields."),
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
    return problem_response(404, _("Not found."))


def api_server_error(request):
    return problem_response(500, _("The server failed to handle the request."))
