"""API rate limits per key, per user and per address, counted in the shared cache (Redis)."""

from rest_framework.throttling import SimpleRateThrottle

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


class ApiKeyRateThrottle(_PrincipalThrottle):
    scope = applies_to = "key"


class UserRateThrottle(_PrincipalThrottle):
    scope = applies_to = "user"


class AnonRateThrottle(_PrincipalThrottle):
    scope = applies_to = "anon"
