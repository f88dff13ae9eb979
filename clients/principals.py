"""Who is asking: a signed-in user or a partner tool's API key, under one name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clients.models import ApiKey, User


class Action(StrEnum):
    """What a principal may do. Client-level: read, write. Consultancy-level: the other two."""

    READ = "read"
    # measurements, plans, recomputes, milestone achievements, diagnostics
    WRITE = "write"
    # create and edit clients, consultancy metrics, webhooks
    MANAGE_CLIENTS = "manage_clients"
    # members and keys
    MANAGE_ACCESS = "manage_access"


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    api_key: ApiKey | None = None

    def __post_init__(self):
        if (self.user is None) == (self.api_key is None):
            raise ValueError("A principal is exactly one of a user or an API key.")

    @classmethod
    def from_request(cls, request) -> Principal | None:
        from clients.models import ApiKey

        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiKey):
            return cls(api_key=auth)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return cls(user=user)
        return None

    @property
    def label(self) -> str:
        if self.api_key is not None:
            return f"key wp_{self.api_key.prefix}"
        return self.user.email

    @property
    def throttle_ident(self) -> str:
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        return f"user:{self.user.pk}"
