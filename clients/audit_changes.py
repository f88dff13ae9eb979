"""What an audit log entry changed, as lines a person reads: ``kpis[mrr].must: 500 → 650``.

Plain Python over the entry's ``before`` and ``after`` (JSON): nested objects are walked into
paths, lists of objects with a ``key`` are matched by key (a KPI inserted does not make every
later one look changed), other lists by position. Only what differs is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

MISSING = object()


@dataclass(frozen=True)
class Change:
    path: str
    before: object  # MISSING: added
    after: object  # MISSING: removed


def _items(value) -> dict[str, object] | None:
    """A container's children by the name their path gets; None for a plain value."""
    if isinstance(value, dict):
        return {f".{name}": item for name, item in value.items()}
    if isinstance(value, list):
        keyed = all(isinstance(item, dict) and "key" in item for item in value)
        if keyed and value:
            return {f"[{item['key']}]": item for item in value}
        return {f"[{index}]": item for index, item in enumerate(value)}
    return None


def changes(before, after, path: str = "") -> list[Change]:
    """Every path whose value differs; an entry that created or deleted its object lists each
    of its fields as added or removed."""
    if not path and before is None and isinstance(after, dict):
        before = {}
    if not path and after is None and isinstance(before, dict):
        after = {}
    if before == after:
        return []
    old, new = _items(before), _items(after)
    if old is None or new is None or type(before) is not type(after):
        return [Change(path.lstrip("."), before, after)]
    found = []
    for name in [*old, *(name for name in new if name not in old)]:
        found += changes(old.get(name, MISSING), new.get(name, MISSING), path + name)
    return found
