"""How values read: money, ratios, counts and periods in Japanese and English (pure)."""

from decimal import Decimal

import pytest

from metrics import display


@pytest.mark.parametrize(
    ("amount", "japanese", "exact"),
    [
        # From 10,000 yen: rounded to the 万 and written in 万, 億 and 兆.
        (8_330_000, "833万円", "8,330,000円"),
        (120_000_000, "1億2,000万円", "120,000,000円"),
        (100_000_000, "1億円", "100,000,000円"),
        (1_234_567_890_123, "1兆2,345億6,789万円", "1,234,567,890,123円"),
        # 92,666,666.67 yen: 9,266.67万 rounds to 9,267万.
        (Decimal("92666666.666667"), "9,267万円", "92,666,667円"),
        (12_345, "1万円", "12,345円"),
        (-8_330_000, "-833万円", "-8,330,000円"),
        # Below 10,000 yen the amount is exact, so no title is needed.
        (9_800, "9,800円", ""),
        (0, "0円", ""),
    ],
)
def test_yen_in_japanese_uses_man_and_oku(amount, japanese, exact):
    assert display.money(amount, "JPY", "ja") == display.Shown(japanese, exact)


@pytest.mark.parametrize(
    ("amount", "currency", "english"),
    [
        (8_330_000, "JPY", "¥8,330,000"),
        (Decimal("92666666.666667"), "JPY", "¥92,666,667"),  # JPY has no minor unit
        (Decimal("1234.5"), "USD", "$1,234.50"),
        (Decimal("1234.5678"), "KWD", "KWD1,234.568"),  # three minor digits
        (Decimal("-1234.5"), "EUR", "-€1,234.50"),
    ],
)
def test_money_in_english_and_other_currencies_by_their_minor_units(amount, currency, english):
    assert display.money(amount, currency, "en").text == english


def test_other_currencies_in_japanese_keep_their_symbol():
    assert display.money(Decimal("1234.5"), "USD", "ja").text == "$1,234.50"


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        (Decimal("0.15"), "15.0%"),
        (Decimal("0.03"), "3.0%"),
        # 2.0535075467... (the raw number a scorecard page once showed) is 205.4%.
        (Decimal("2.0535075467447623338589772247"), "205.4%"),
        (Decimal("0.9995"), "100.0%"),
        (Decimal(0), "0.0%"),
    ],
)
def test_ratios_are_percentages_with_one_decimal(fraction, shown):
    assert display.ratio(fraction, "en").text == shown


def test_multiples_read_as_times_not_as_percentages():
    # LTV/CAC = 1,200,000 / 400,000 = 3: three times, not 300.0%.
    assert display.metric_value(Decimal(3), "multiple", "JPY", "en").text == "3.0×"
    assert display.metric_value(Decimal("2.666667"), "multiple", "JPY", "ja").text == "2.7倍"
    assert display.input_affixes("multiple", "JPY", "ja") == ("", "倍")
    assert display.input_affixes("multiple", "JPY", "en") == ("", "×")


def test_counts_have_separators_and_keep_one_decimal_when_fractional():
    assert display.count(1_500, "en").text == "1,500"
    # 100 customers at 80% / 25% / 15% need 3,333.3 visitors.
    assert display.count(Decimal("3333.333333"), "ja").text == "3,333.3"


def test_missing_values_show_a_dash():
    assert display.money(None, "JPY", "ja").text == "–"
    assert display.ratio(None).text == "–"
    assert display.metric_value(None, "count", "JPY", "en").text == "–"


@pytest.mark.parametrize(
    ("unit", "value", "shown"),
    [
        ("money", 8_330_000, "833万円"),
        ("ratio", Decimal("0.25"), "25.0%"),
        ("count", 1234, "1,234"),
        ("people", 56, "56"),
        ("days", Decimal("12.5"), "12.5"),
        ("score", Decimal("86.4"), "86.4"),
    ],
)
def test_a_metric_value_is_shown_by_its_unit(unit, value, shown):
    assert display.metric_value(value, unit, "JPY", "ja").text == shown


@pytest.mark.parametrize(
    ("period", "japanese", "english"),
    [
        ("2026-03", "2026年3月", "Mar 2026"),
        ("2026-Q1", "2026年 第1四半期", "Q1 2026"),
        ("2026", "2026年", "2026"),
        ("2026-W38", "2026年 第38週", "Week 38, 2026"),
        ("2026-09-15", "2026年9月15日", "15 Sep 2026"),
    ],
)
def test_periods_read_as_people_write_them(period, japanese, english):
    assert (display.period(period, "ja"), display.period(period, "en")) == (japanese, english)


def test_a_date_reads_in_both_languages():
    assert display.day("2026-06-30", "ja") == "2026年6月30日"
    assert display.day("2026-06-30", "en-us") == "30 Jun 2026"


def test_a_moment_is_labelled_with_its_day_where_the_reader_is():
    from datetime import UTC, datetime

    from django.utils import translation

    from metrics.templatetags.metrics_display import day_label

    moment = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 00:30 on the 28th in Tokyo
    with translation.override("ja"):
        assert day_label(moment) == "2026年11月28日"


@pytest.mark.parametrize(
    ("value", "unit", "language", "shown"),
    [
        ("35593", "money", "ja", "35,593円"),  # not 4万円: a figure checked line by line
        ("35593", "money", "en", "¥35,593"),
        ("0.02785", "ratio", "en", "2.785%"),
        ("1727.000000", "count", "en", "1,727"),
        ("12.5", "days", "ja", "12.5"),
        (None, "count", "en", "–"),
    ],
)
def test_an_exact_value_keeps_every_digit(value, unit, language, shown):
    assert display.exact_value(value, unit, "JPY", language) == shown
