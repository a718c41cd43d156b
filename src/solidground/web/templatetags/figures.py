"""Template filters that show figures honestly: shares with intervals, "no data" for n = 0."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from solidground.insights import formatting
from solidground.insights.selectors.common import Rate

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    return formatting.percent(value, digits)


@register.filter
def count(value: int | None) -> str:
    return formatting.count(value)


@register.filter
def money(value: Decimal | float | None) -> str:
    return formatting.money(value)


@register.filter
def hours(value: float | None) -> str:
    return formatting.hours(value)


@register.filter
def quarter(value: date | None) -> str:
    return formatting.quarter(value)


@register.filter
def moment(value: datetime | None) -> str:
    return formatting.moment(value)


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
