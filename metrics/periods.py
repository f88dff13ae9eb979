"""Periods as Waypoint writes them: ``2026-09-15`` (day), ``2026-W38`` (ISO week), ``2026-09``
(month), ``2026-Q3`` (calendar quarter), ``2026`` (year).

Pure Python, no Django. Roll-ups run day → month → quarter → year and day → week; weeks never
feed months.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

# How a period is written, as a pattern for the API's schema (the parser also checks that the
# date exists: 2026-02-30 matches and is refused).
PERIOD_PATTERN = (
    r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?|-W(0[1-9]|[1-4][0-9]|5[0-3])"
    r"|-Q[1-4])?$"
)
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def or_empty(pattern: str) -> str:
    """The pattern of a query parameter that may also be given empty (meaning its default)."""
    return f"^({pattern[1:-1]})?$"


class PeriodError(ValueError):
    """A string that is not a period, or an operation periods do not allow."""


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# The level a period is rolled up from (weeks and months are both made of days).
CHILD = {
    Granularity.YEAR: Granularity.QUARTER,
    Granularity.QUARTER: Granularity.MONTH,
    Granularity.MONTH: Granularity.DAY,
    Granularity.WEEK: Granularity.DAY,
}

ANCESTORS = {
    Granularity.DAY: {Granularity.WEEK, Granularity.MONTH, Granularity.QUARTER, Granularity.YEAR},
    Granularity.WEEK: set(),
    Granularity.MONTH: {Granularity.QUARTER, Granularity.YEAR},
    Granularity.QUARTER: {Granularity.YEAR},
    Granularity.YEAR: set(),
}

_PATTERNS = [
    (Granularity.DAY, re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")),
    (Granularity.WEEK, re.compile(r"([0-9]{4})-W([0-9]{2})")),
    (Granularity.MONTH, re.compile(r"([0-9]{4})-([0-9]{2})")),
    (Granularity.QUARTER, re.compile(r"([0-9]{4})-Q([0-9])")),
    (Granularity.YEAR, re.compile(r"([0-9]{4})")),
]
HINT = "write it as 2026-09-15, 2026-W38, 2026-09, 2026-Q3 or 2026"


@dataclass(frozen=True, slots=True)
class Period:
    granularity: Granularity
    start: date

    def __post_init__(self):
        if self.start != _align(self.granularity, self.start):
            raise PeriodError(f"{self.start} does not start a {self.granularity}.")

    # --- text ---------------------------------------------------------------------------------

    @staticmethod
    def parse(text: str) -> Period:
        return _parse(text.strip()) if isinstance(text, str) else _not_a_period(text)

    def __str__(self) -> str:
        start = self.start
        match self.granularity:
            case Granularity.DAY:
                return start.isoformat()
            case Granularity.WEEK:
                year, week, _ = start.isocalendar()
                return f"{year:04d}-W{week:02d}"
            case Granularity.MONTH:
                return f"{start.year:04d}-{start.month:02d}"
            case Granularity.QUARTER:
                return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
            case Granularity.YEAR:
                return f"{start.year:04d}"

    def __repr__(self) -> str:
        return f"Period({self})"

    # --- dates --------------------------------------------------------------------------------

    @classmethod
    def containing(cls, granularity: Granularity, day: date) -> Period:
        granularity = Granularity(granularity)
        return cls.aligned(granularity, _align(granularity, day))

    @classmethod
    def aligned(cls, granularity: Granularity, start: date) -> Period:
        """A period whose start is known to be aligned (computed here, or read back from rows
        written through ``parse``): skips the check, and hands out one shared object per period
        (periods are immutable), on the hot path of roll-ups."""
        return _aligned(cls, granularity, start)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        start = self.start
        match self.granularity:
            case Granularity.DAY:
                return start
            case Granularity.WEEK:
                return start + timedelta(days=6)
            case Granularity.MONTH:
                return date(start.year, start.month, monthrange(start.year, start.month)[1])
            case Granularity.QUARTER:
                last = start.month + 2
                return date(start.year, last, monthrange(start.year, last)[1])
            case Granularity.YEAR:
                return date(start.year, 12, 31)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, other: Period | date) -> bool:
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= other <= self.end

    # --- arithmetic ---------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """A running number of periods of this granularity; consecutive periods differ by 1."""
        start = self.start
        match self.granularity:
            case Granularity.DAY:
                return start.toordinal()
            case Granularity.WEEK:
                return start.toordinal() // 7  # ordinal 7 is a Sunday: Mondays start a new number
            case Granularity.MONTH:
                return start.year * 12 + start.month - 1
            case Granularity.QUARTER:
                return start.year * 4 + (start.month - 1) // 3
            case Granularity.YEAR:
                return start.year

    @classmethod
    def from_index(cls, granularity: Granularity, index: int) -> Period:
        granularity = Granularity(granularity)
        match granularity:
            case Granularity.DAY:
                start = date.fromordinal(index)
            case Granularity.WEEK:
                start = date.fromordinal(index * 7 + 1)
            case Granularity.MONTH:
                start = date(index // 12, index % 12 + 1, 1)
            case Granularity.QUARTER:
                start = date(index // 4, (index % 4) * 3 + 1, 1)
            case Granularity.YEAR:
                start = date(index, 1, 1)
        return cls.aligned(granularity, start)

    def shift(self, steps: int) -> Period:
        try:
            return Period.from_index(self.granularity, self.index + steps)
        except ValueError as exc:  # past year 9999 or before year 1
            raise PeriodError(f"{self} shifted by {steps} is out of range.") from exc

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def distance(self, later: Period) -> int:
        """How many periods from this one to ``later`` (negative when it is earlier)."""
        if later.granularity != self.granularity:
            raise PeriodError(f"{self} and {later} are of different granularities.")
        return later.index - self.index

    def __lt__(self, other: Period) -> bool:
        return self.distance(other) > 0

    def __le__(self, other: Period) -> bool:
        return self.distance(other) >= 0

    def __gt__(self, other: Period) -> bool:
        return self.distance(other) < 0

    def __ge__(self, other: Period) -> bool:
        return self.distance(other) <= 0

    # --- hierarchy ----------------------------------------------------------------------------

    def children(self) -> list[Period]:
        """The periods of the next finer level that make this one up (none for a day)."""
        if self.granularity == Granularity.DAY:
            return []
        child = CHILD[self.granularity]
        return list(
            iterate(Period.containing(child, self.start), Period.containing(child, self.end))
        )

    def parent(self, granularity: Granularity) -> Period:
        """The period of ``granularity`` that holds this one (only along a roll-up chain)."""
        granularity = Granularity(granularity)
        if not rolls_up_into(self.granularity, granularity):
            raise PeriodError(f"A {self.granularity} does not roll up into a {granularity}.")
        return Period.containing(granularity, self.start)


def latest_closed_month(today: date) -> Period:
    """The last month that has ended by ``today``: the month results default to."""
    return Period.containing(Granularity.MONTH, today).previous()


def iterate(first: Period, last: Period) -> Iterator[Period]:
    """Every period from ``first`` to ``last``, both included."""
    steps = first.distance(last)
    for step in range(steps + 1):
        yield first.shift(step)


def rolls_up_into(finer: Granularity, coarser: Granularity) -> bool:
    return Granularity(coarser) in ANCESTORS[Granularity(finer)] or finer == coarser


# --- internals ------------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _aligned(cls, granularity: Granularity, start: date) -> Period:
    period = object.__new__(cls)
    object.__setattr__(period, "granularity", granularity)
    object.__setattr__(period, "start", start)
    return period


def _align(granularity: Granularity, day: date) -> date:
    match granularity:
        case Granularity.DAY:
            return day
        case Granularity.WEEK:
            return day - timedelta(days=day.weekday())
        case Granularity.MONTH:
            return day.replace(day=1)
        case Granularity.QUARTER:
            return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        case Granularity.YEAR:
            return date(day.year, 1, 1)
    raise PeriodError(f"Unknown granularity {granularity!r}.")


def _not_a_period(value) -> Period:
    raise PeriodError(f"{value!r} is not a period: {HINT}.")


@lru_cache(maxsize=4096)
def _parse(text: str) -> Period:
    for granularity, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        numbers = [int(part) for part in match.groups()]
        try:
            start = _start_of(granularity, numbers)
        except ValueError:
            raise PeriodError(f"{text!r} is not a real {granularity}: {HINT}.") from None
        period = Period(granularity, start)
        if period.start.year >= 9999:
            # Its end (and every roll-up above it) would run past the last date Python knows.
            raise PeriodError(f"{text!r} is out of range: periods end by 9998.")
        return period
    raise PeriodError(f"{text!r} is not a period: {HINT}.")


def _start_of(granularity: Granularity, numbers: list[int]) -> date:
    year = numbers[0]
    if year < 1:
        raise ValueError
    match granularity:
        case Granularity.DAY:
            return date(year, numbers[1], numbers[2])
        case Granularity.WEEK:
            return date.fromisocalendar(year, numbers[1], 1)
        case Granularity.MONTH:
            return date(year, numbers[1], 1)
        case Granularity.QUARTER:
            if not 1 <= numbers[1] <= 4:
                raise ValueError
            return date(year, (numbers[1] - 1) * 3 + 1, 1)
        case Granularity.YEAR:
            return date(year, 1, 1)
