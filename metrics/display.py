"""How numbers and periods are shown to people: the portal, the admin and e-mails all use these,
so a value reads the same everywhere (docs/architecture.md, "Showing numbers to people").

Pure functions of the value, its unit and the reader's language (``ja`` or anything else, read
as English); the template tags in ``metrics.templatetags.metrics_display`` put them in pages.

- money in the client's currency: JPY without decimals (``¥8,330,000``); in Japanese, amounts
  from 10,000 yen in 万, 億 and 兆 rounded to the 万 (``833万円``, ``1億2,000万円``), with the
  exact amount beside it for the element's title; other currencies by their minor units;
- ratios (fractions) as percentages with one decimal (``15.0%``); multiples with one decimal
  and the times sign or ``倍`` (``5.0倍``); counts with thousands separators; days and scores
  as plain numbers;
- periods as ``2026年3月`` / ``Mar 2026``, ``2026年 第1四半期`` / ``Q1 2026``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal, get_currency_symbol

from metrics.periods import Granularity, Period, PeriodError

MISSING = "–"
JAPANESE_UNITS = ((Decimal(10) ** 12, "兆"), (Decimal(10) ** 8, "億"), (Decimal(10) ** 4, "万"))
MAN = Decimal(10_000)
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Shown:
    """A value as text, and the exact value when the text rounds it (for a title)."""

    text: str
    exact: str = ""


def is_japanese(language: str | None) -> bool:
    return (language or "").lower().startswith("ja")


def _locale(language: str | None) -> str:
    return "ja_JP" if is_japanese(language) else "en_US"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value, currency: str, language: str | None) -> Shown:
    amount = _decimal(value)
    if amount is None:
        return Shown(MISSING)
    currency = (currency or "JPY").upper()
    if currency == "JPY" and is_japanese(language):
        yen = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        exact = f"{format_decimal(yen, format='#,##0', locale='ja_JP')}円"
        if abs(yen) < MAN:
            return Shown(exact)
        return Shown(_in_man_units(yen), exact)
    exact = format_currency(amount, currency, locale=_locale(language))
    return Shown(exact)


def _in_man_units(yen: Decimal) -> str:
    """``1億2,000万円``: the amount rounded to the 万, written in 兆, 億 and 万."""
    sign = "-" if yen < 0 else ""
    rest = (abs(yen) / MAN).quantize(Decimal(1), rounding=ROUND_HALF_UP) * MAN
    parts = []
    for size, name in JAPANESE_UNITS:
        whole, rest = divmod(rest, size)
        if whole:
            parts.append(f"{int(whole):,}{name}")
    return f"{sign}{''.join(parts)}円"


def ratio(value, language: str | None = None) -> Shown:
    """A fraction as a percentage with one decimal: 0.15 → 15.0%."""
    fraction = _decimal(value)
    if fraction is None:
        return Shown(MISSING)
    percent = format_decimal(fraction * 100, format="#,##0.0", locale=_locale(language))
    return Shown(f"{percent}%")


def change(value, language: str | None = None) -> Shown:
    """A relative change as a signed percentage with one decimal: 0.666667 → ``+66.7%``,
    -0.4 → ``-40.0%`` (with a minus sign, U+2212); no change is ``±0.0%``."""
    fraction = _decimal(value)
    if fraction is None:
        return Shown(MISSING)
    percent = format_decimal(abs(fraction) * 100, format="#,##0.0", locale=_locale(language))
    if percent.strip("0.,") == "":
        return Shown(f"±{percent}%")
    return Shown(f"{'+' if fraction > 0 else '−'}{percent}%")


def multiple(value, language: str | None = None) -> Shown:
    """How many times: LTV/CAC 5 → ``5.0`` and the times sign (``5.0倍`` in Japanese)."""
    number = _decimal(value)
    if number is None:
        return Shown(MISSING)
    text = format_decimal(number, format="#,##0.0", locale=_locale(language))
    return Shown(f"{text}倍" if is_japanese(language) else f"{text}×")


def count(value, language: str | None = None) -> Shown:
    """Thousands separated; a fraction (a requirement, a forecast) keeps one decimal."""
    number = _decimal(value)
    if number is None:
        return Shown(MISSING)
    return Shown(format_decimal(number, format="#,##0.#", locale=_locale(language)))


def plain(value, language: str | None = None) -> Shown:
    """Days and scores: the number, with one decimal at most."""
    return count(value, language)


def metric_value(value, unit: str, currency: str, language: str | None) -> Shown:
    """A metric's value by its unit (money, count, people, ratio, days, score)."""
    if unit == "money":
        return money(value, currency, language)
    if unit == "ratio":
        return ratio(value, language)
    if unit == "multiple":
        return multiple(value, language)
    if unit in ("count", "people"):
        return count(value, language)
    return plain(value, language)


def period(value, language: str | None) -> str:
    """``2026年3月`` / ``Mar 2026`` and the like for every granularity; text that is not a
    period is shown as it is."""
    if value is None or value == "":
        return MISSING
    if not isinstance(value, Period):
        try:
            value = Period.parse(str(value))
        except PeriodError:
            return str(value)
    start, japanese = value.start, is_japanese(language)
    match value.granularity:
        case Granularity.YEAR:
            return f"{start.year}年" if japanese else str(start.year)
        case Granularity.QUARTER:
            quarter = (start.month - 1) // 3 + 1
            return f"{start.year}年 第{quarter}四半期" if japanese else f"Q{quarter} {start.year}"
        case Granularity.MONTH:
            if japanese:
                return f"{start.year}年{start.month}月"
            return f"{MONTHS_EN[start.month - 1]} {start.year}"
        case Granularity.WEEK:
            year, week, _day = start.isocalendar()
            return f"{year}年 第{week}週" if japanese else f"Week {week}, {year}"
        case _:
            return day(start, language)


def day(value, language: str | None) -> str:
    """``2026年6月30日`` / ``30 Jun 2026``."""
    if value is None or value == "":
        return MISSING
    if not isinstance(value, date):
        value = date.fromisoformat(str(value))
    if is_japanese(language):
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"


# The words written beside an input for a value of each unit: before it, after it.
INPUT_WORDS = {
    "ja": {"count": "件", "people": "人", "days": "日", "score": "点"},
    "en": {"count": "", "people": "people", "days": "days", "score": "points"},
}


def input_affixes(unit: str, currency: str, language: str | None) -> tuple[str, str]:
    """What stands before and after an input of a metric's value, so a person types the number
    as they say it: ``¥`` 500000, 15 ``%`` (a ratio is typed as a percentage), 12 ``件``."""
    japanese = is_japanese(language)
    if unit == "money":
        currency = (currency or "JPY").upper()
        if currency == "JPY":
            return ("", "円") if japanese else ("¥", "")
        return (get_currency_symbol(currency, locale=_locale(language)), "")
    if unit == "ratio":
        return ("", "%")
    if unit == "multiple":
        return ("", "倍" if japanese else "×")
    return ("", INPUT_WORDS["ja" if japanese else "en"].get(unit, ""))


def exact_value(value, unit: str, currency: str, language: str | None) -> str:
    """A metric's value in full, for pages where a person checks figures one by one (an
    import's preview, the measurement lists): money to the yen (``35,593円``, ``¥35,593``),
    a ratio as a percentage with every stored digit (0.02785 → ``2.785%``), other values with
    separators and their decimals."""
    number = _decimal(value)
    if number is None:
        return MISSING
    if unit == "money":
        shown = money(number, currency, language)
        return shown.exact or shown.text
    if unit == "ratio":
        return format_decimal(number * 100, format="#,##0.####", locale=_locale(language)) + "%"
    return format_decimal(number, format="#,##0.######", locale=_locale(language))
