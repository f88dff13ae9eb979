"""Middleware of the API's edges.

``RejectNulCharactersMiddleware`` refuses, before any view runs, a request whose path or query
string holds a NUL character. No database column can store one (PostgreSQL refuses it), so a
filter like ``?metric=a%00`` would otherwise reach a query and fail there as a 500. It is never
meaningful: answer 400 (a problem document under the API).

``DatabaseUnavailableMiddleware`` answers a request that fails because PostgreSQL cannot be
reached (restarting, failed over, out of connections) with 503 and ``Retry-After``, logged as
one warning line instead of a 500 with a traceback; the broken connection is dropped with the
request, and the next request connects afresh (``CONN_HEALTH_CHECKS``), so web processes recover
on their own when the database is back.

``ApiTimesInUtcMiddleware`` makes the API write every timestamp in UTC with ``Z``
(``2026-09-30T15:00:00Z``), whatever the site's time zone: one format for partners to parse.
Pages keep showing local times.
"""

import logging
from datetime import UTC

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.problems import problem_response

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 5
MESSAGE = "The address holds a NUL character (%00), which no field can take."


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith(API_PREFIX):
                return problem_response(400, MESSAGE)
            return HttpResponseBadRequest(MESSAGE)
        return self.get_response(request)


def database_unavailable(exc: BaseException) -> bool:
    """The error is PostgreSQL being out of reach, not a bad query: the connection failed or
    broke (psycopg's OperationalError / InterfaceError), or the server is shutting down."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    cause = exc.__cause__
    return isinstance(exc, DatabaseError) and getattr(cause, "sqlstate", "") in (
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now
    )


def database_unavailable_response(request):
    """503 with Retry-After: a problem document under the API, a short page elsewhere. (The
    broken connection is dropped when the request finishes: Django's ``close_old_connections``
    closes one that errored and no longer answers.)"""
    detail = _("The database is not answering for a moment. Try again in a few seconds.")
    if request.path.startswith(API_PREFIX):
        response = problem_response(503, detail)
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        logger.warning(
            "The database is unavailable (%s: %s): answered %s %s with 503.",
            type(exception).__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
            request.method,
            request.path,
        )
        return database_unavailable_response(request)


class ApiTimesInUtcMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)
