"""Figures in a review's text, in the active language (``insights.formatting``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from solidground.insights import formatting
from solidground.insights.charts.customer import rate_text
from solidground.insights.selectors.common import Rate

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    return formatting.percent(value)


@register.filter
def count(value: int | None) -> str:
    return formatting.count(value)


@register.filter
def money(value: Decimal | float | None) -> str:
    return formatting.money(value)


@register.filter
def money2(value: Decimal | float | None) -> str:
    """Money with cents: rates and small amounts."""
    return formatting.money(value, 2)


@register.filter
def hours(value: float | None) -> str:
    """Hours with one decimal; none at all as "0 h" (not "0.0 h")."""
    if value is not None and round(value, 1) == 0:
        return formatting.hours(0)
    return formatting.hours(value, 1)


@register.filter
def period(value: date | None) -> str:
    return formatting.quarter(value)


@register.filter
def rate(value: Rate) -> str:
    """A share with its 95% interval and, when the answers are few, n."""
    return rate_text(value)


@register.filter
def times(value: float | None) -> str:
    """A multiple such as contact intensity: 1,4×."""
    return "–" if value is None else f"{formatting.number(value, 1)}×"


@register.filter
def css_string(value: object) -> SafeString:
    """Text for a CSS string in double quotes (the page footer): quotes, backslashes and
    angle brackets escaped as CSS escapes, so that a customer's name can neither end the
    string nor the style sheet (HTML escaping does not apply inside <style>)."""
    text = str(value).replace("\n", " ")
    for char in ("\\", '"', "'", "<", ">", "&"):
        text = text.replace(char, f"\\{ord(char):X} ")
    return mark_safe(text)  # noqa: S308 (every character that could end the string is escaped)
