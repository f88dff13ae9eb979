"""DRF authentication by partner API key: ``Authorization: Api-Key <key>``.

Failed keys are counted per address: past ``API_KEY_FAILURE_LIMIT`` within the lockout window
the address gets 429 for every key it presents, so a key cannot be guessed by trying."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.throttling import BaseThrottle

from clients.services.api_keys import (
    api_key_authenticate,
    api_key_failure_record,
    api_key_failures_blocked,
)

SCHEME = "Api-Key"


class ApiKeyUser:
    """What ``request.user`` is for a key: authenticated, but never a person or staff."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self):
        return f"API key wp_{self.api_key.prefix}"


class TooManyFailedKeys(exceptions.Throttled):
    default_detail = _("Too many invalid API keys from this address; try again later.")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != SCHEME.lower():
            return None  # not ours: the session (or nobody) may still authenticate
        # The caller's address as the rate limits see it (NUM_PROXIES decides whom to trust).
        address = BaseThrottle().get_ident(request)
        if api_key_failures_blocked(address=address):
            raise TooManyFailedKeys(wait=settings.API_KEY_LOCKOUT_SECONDS)
        api_key = api_key_authenticate(raw_key) if raw_key.strip() else None
        if api_key is None:
            api_key_failure_record(address=address)
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        # Makes unauthenticated requests 401 (not 403) with WWW-Authenticate: Api-Key.
        return SCHEME
