"""Template tags that show values the way ``metrics.display`` writes them, in the language of
the request: ``{% load metrics_display %}`` then ``{% money value client %}``,
``{% metric_value value metric client %}``, ``{% ratio value %}``, ``{% change value %}``,
``{% count value %}``, ``{% period_label period %}``, ``{% day_label date %}`` and
``{% metric_name metric %}``."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language

from metrics import display

register = template.Library()


def _html(shown: display.Shown):
    if shown.exact and shown.exact != shown.text:
        return format_html('<span class="wp-num" title="{}">{}</span>', shown.exact, shown.text)
    return format_html('<span class="wp-num">{}</span>', shown.text)


def _currency(owner) -> str:
    """A client (or anything with ``currency``), or the currency code itself."""
    return getattr(owner, "currency", None) or owner or "JPY"


@register.simple_tag
def money(value, client_or_currency):
    return _html(display.money(value, _currency(client_or_currency), get_language()))


@register.simple_tag
def metric_value(value, metric, client_or_currency):
    """By the metric's unit (``metric``: a Metric, or anything with ``unit``)."""
    unit = getattr(metric, "unit", None) or (metric.get("unit") if isinstance(metric, dict) else "")
    return _html(display.metric_value(value, unit, _currency(client_or_currency), get_language()))


@register.simple_tag
def metric_value_exact(value, metric, client_or_currency):
    """The value in full (no 万 rounding, every decimal), by the metric's unit."""
    unit = getattr(metric, "unit", None) or ""
    return display.exact_value(value, unit, _currency(client_or_currency), get_language())


@register.simple_tag
def ratio(value):
    return _html(display.ratio(value, get_language()))


@register.simple_tag
def change(value):
    """A relative change, signed: ``+66.7%``."""
    return _html(display.change(value, get_language()))


@register.simple_tag
def count(value):
    return _html(display.count(value, get_language()))


@register.simple_tag
def period_label(value):
    return display.period(value, get_language())


@register.simple_tag
def day_label(value):
    """A date, or a moment's date where the reader is (``TIME_ZONE``): a run started at 00:30
    in Tokyo was started that day, not the day before as in UTC."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return display.day(value, get_language())


@register.simple_tag
def metric_name(metric):
    """The metric's name in the reader's language (its key only when it has no name)."""
    if metric is None:
        return display.MISSING
    japanese = display.is_japanese(get_language())
    name = getattr(metric, "name_ja" if japanese else "name", "") or getattr(metric, "name", "")
    return name or getattr(metric, "key", str(metric))
