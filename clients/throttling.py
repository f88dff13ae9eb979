"""API rate limits per key, per user and per address, counted in the shared cache (Redis).

With the cache unreachable the limits fail open: the request is served and a warning logged
(``clients.cache``), so an outage of Redis does not take the API down with it."""

from rest_framework.throttling import SimpleRateThrottle

from clients.cache import cache_or_default
from clients.principals import Principal


class _PrincipalThrottle(SimpleRateThrottle):
    applies_to: str

    def get_cache_key(self, request, view):
        principal = Principal.from_request(request)
        if self.applies_to == "anon":
            ident = None if principal else self.get_ident(request)
        elif principal is None:
            ident = None
        elif self.applies_to == "key":
            ident = principal.throttle_ident if principal.api_key else None
        else:
            ident = principal.throttle_ident if principal.user else None
        if ident is None:
            return None  # another throttle counts this request
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        count_and_decide = super().allow_request
        return cache_or_default("API rate limiting", True, lambda: count_and_decide(request, view))


class ApiKeyRateThrottle(_PrincipalThrottle):
    scope = applies_to = "key"


class UserRateThrottle(_PrincipalThrottle):
    scope = applies_to = "user"


class AnonRateThrottle(_PrincipalThrottle):
    scope = applies_to = "anon"
