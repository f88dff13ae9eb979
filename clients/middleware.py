"""Middleware of the API's edges.

``RejectNulCharactersMiddleware`` refuses, before any view runs, a request whose path or query
string holds a NUL character. No database column can store one (PostgreSQL refuses it), so a
filter like ``?metric=a%00`` would otherwise reach a query and fail there as a 500. It is never
meaningful: answer 400 (a problem document under the API).

``ApiTimesInUtcMiddleware`` makes the API write every timestamp in UTC with ``Z``
(``2026-09-30T15:00:00Z``), whatever the site's time zone: one format for partners to parse.
Pages keep showing local times.
"""

from datetime import UTC

from django.http import HttpResponseBadRequest
from django.utils import timezone

from clients.problems import problem_response

API_PREFIX = "/api/"
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


class ApiTimesInUtcMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)
