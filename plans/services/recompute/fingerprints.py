"""Which months a recompute looks at, and a digest of each month's inputs: a month whose
digest matches its stored snapshot's is not computed again."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from metrics.periods import Granularity, Period
from plans.models import Plan
from plans.services.recompute.inputs import Inputs

ALGORITHM_VERSION = "1"  # part of every fingerprint: a change in the arithmetic recomputes all


def months_to_consider(
    plan: Plan, today: date, requested: Period, *, latest_only: bool
) -> list[Period]:
    """The requested month and, oldest first, every month of the plan up to the current one;
    or, with ``latest_only`` (the nightly round), the latest closed month and the current one."""
    current = Period.containing(Granularity.MONTH, today)
    if latest_only:
        return sorted({requested, current.previous(), current}, key=lambda month: month.index)
    first = Period.containing(Granularity.MONTH, plan.starts_on)
    last = min(Period.containing(Granularity.MONTH, plan.ends_on), current)
    months = {requested}
    period = first
    while period <= last:
        months.add(period)
        period = period.next()
    return sorted(months, key=lambda month: month.index)


def static_digest(inputs: Inputs) -> bytes:
    """The digest of everything but the measurements and the date. Every part is a dataclass,
    tuple, Decimal, date or text, whose reprs are the same in every process (formulas show
    their text, not their frozenset of keys)."""
    parts = (ALGORITHM_VERSION, inputs.plan, inputs.tree, inputs.funnels, inputs.definitions)
    return hashlib.sha256(repr(parts).encode()).digest()


def month_fingerprints(
    *, static: bytes, tolerance: Decimal, rows: list[tuple], months: list[Period], today: date
) -> dict[Period, str]:
    """One digest per month over the static inputs, the tolerance, the as-of date and the
    measurements that had begun by then (``rows`` sorted by period start)."""
    running = hashlib.sha256(static)
    running.update(f"tolerance={tolerance}".encode())
    position, result = 0, {}
    for month in months:  # oldest first: each month's rows extend the previous month's
        as_of = min(month.end, today)
        end = position
        while end < len(rows) and rows[end][2] <= as_of:
            end += 1
        running.update(
            "".join(
                f"{m}|{g}|{start}|{value}\n" for m, g, start, value in rows[position:end]
            ).encode()
        )
        position = end
        digest = running.copy()
        digest.update(f"as_of={as_of}".encode())
        result[month] = digest.hexdigest()
    return result
