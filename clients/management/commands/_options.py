"""Shared pieces of the tenancy commands."""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

PASSWORD_ENV = "WAYPOINT_OWNER_PASSWORD"  # noqa: S105  (a variable name)


def password_from(options) -> str | None:
    """--password/--owner-password, else WAYPOINT_OWNER_PASSWORD, else none (set by reset)."""
    return options.get("password") or os.environ.get(PASSWORD_ENV) or None


def command_error(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        parts = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
        return CommandError("; ".join(parts))
    return CommandError(" ".join(exc.messages))
