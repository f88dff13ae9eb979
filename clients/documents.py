"""Reading a JSON document field by field, in plain Python (no Django): every problem is noted
with the path of its field (``kpis[2].stretch``, ``sections[1].questions[0].options``) instead of
stopping at the first, so one answer names them all. The plan document and the diagnostic
template are read with it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

Problems = list[tuple[str, str]]  # (field path, message)


class DocumentReader:
    """The fields of one object of a document. Each read returns the field's value, or a
    default after noting what is wrong in the shared ``problems`` list."""

    def __init__(self, problems: Problems, raw, path: str = ""):
        self.problems, self.path = problems, path
        self.raw = raw if isinstance(raw, Mapping) else {}
        if not isinstance(raw, Mapping):
            self.fail("", "must be an object")

    def where(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path and name else (self.path or name)

    def fail(self, name: str, message: str) -> None:
        self.problems.append((self.where(name), message))

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        max_length: int = 200,
        pattern: re.Pattern | None = None,
        pattern_hint: str | None = None,
        default: str = "",
    ) -> str:
        value = self.raw.get(name)
        if value in (None, ""):
            if required:
                self.fail(name, "is required")
            return default
        if not isinstance(value, str) or len(value) > max_length:
            self.fail(name, f"must be text of at most {max_length} characters")
            return default
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(name, pattern_hint or f"must match {pattern.pattern}")
            return default
        return value

    def number(
        self,
        name: str,
        *,
        parse: Callable[[object], Decimal],
        required: bool = True,
        default: Decimal | None = None,
    ) -> Decimal | None:
        """``parse`` turns the raw value into a Decimal or raises ValueError saying why not."""
        value = self.raw.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return default
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return default

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        try:
            if not isinstance(value, str):
                raise TypeError(value)
            return date.fromisoformat(value)
        except (ValueError, TypeError):
            self.fail(name, "must be a date written YYYY-MM-DD")
            return None

    def choice(self, name: str, choices, *, default):
        value = self.raw.get(name, default)
        if value is None:
            value = default
        if value not in choices:
            self.fail(name, f"must be one of {', '.join(choices)}")
            return default
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return default
        return value

    def items(self, name: str, *, required: bool = False) -> list:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return []
        if not isinstance(value, list):
            self.fail(name, "must be a list")
            return []
        return value

    def unique(self, seen: set, value, name: str = "key") -> None:
        """Note ``value`` at ``name`` as used twice if ``seen`` has it; add it to ``seen``."""
        if value and value in seen:
            self.fail(name, f"{value!r} is used twice")
        seen.add(value)
