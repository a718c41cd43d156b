"""Template filters that show figures honestly: shares with intervals, "no data" for n = 0."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from solidground.insights.selectors import Rate

register = template.Library()


def _number(value: Decimal | float, digits: int, grouping: bool = False) -> str:
    # Django's number_format cuts decimals off instead of rounding (16.67 -> "16"); round half
    # up first, as a reader expects.
    exponent = Decimal(1).scaleb(-digits)
    rounded = Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)
    return number_format(rounded, digits, force_grouping=grouping)


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return _("no data")
    return f"{_number(value * 100, digits)} %"


@register.filter
def count(value: int | None) -> str:
    return _("no data") if value is None else _number(value, 0, grouping=True)


@register.filter
def money(value: Decimal | float | None) -> str:
    if value is None:
        return _("no data")
    return f"{_number(value, 0, grouping=True)} {settings.CURRENCY}"


@register.filter
def hours(value: float | None) -> str:
    if value is None:
        return _("no data")
    return f"{_number(value, 0, grouping=True)} h"


@register.filter
def rate(value: Rate) -> SafeString:
    if value.share is None or value.low is None or value.high is None:
        return format_html('<span class="nodata">{}</span>', _("no data"))
    interval = _("95%% interval %(low)s to %(high)s, %(n)s answers") % {
        "low": percent(value.low),
        "high": percent(value.high),
        "n": value.n,
    }
    small = format_html(' <span class="small-n">n={}</span>', value.n) if value.small_sample else ""
    return format_html(
        '<span title="{}">{}</span> <span class="interval">({}–{})</span>{}',
        interval,
        percent(value.share),
        percent(value.low),
        percent(value.high),
        small,
    )


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    """``mapping[key]`` in a template, None when absent."""
    return mapping.get(key)
