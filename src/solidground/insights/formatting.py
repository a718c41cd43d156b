"""Figures as a reader expects them, in the active language: one place for pages, chart
tables, CSV-free text, reports and messages.

Numbers are rounded half up (Django's number_format cuts decimals off: 16.67 -> "16").
German writes "75 %" and "1.690 EUR"; English "75%" and "1,690 EUR".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext


def number(value: Decimal | float | int, digits: int = 0, grouping: bool = True) -> str:
    exponent = Decimal(1).scaleb(-digits)
    rounded = Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)
    return number_format(rounded, digits, force_grouping=grouping)


def _percent_sign() -> str:
    # DIN 5008 puts a (narrow) space before the percent sign; English does not.
    # A no-break space, so that "37 %" never breaks across lines.
    return "\u00a0%" if (translation.get_language() or "").startswith("de") else "%"


def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return gettext("no data")
    return f"{number(value * 100, digits, grouping=False)}{_percent_sign()}"


def count(value: int | None) -> str:
    return gettext("no data") if value is None else number(value, 0)


def money(value: Decimal | float | None, digits: int = 0) -> str:
    if value is None:
        return gettext("no data")
    return f"{number(value, digits)} {settings.CURRENCY}"


def hours(value: float | None, digits: int = 0) -> str:
    if value is None:
        return gettext("no data")
    return f"{number(value, digits)} h"


def month(value: date | None) -> str:
    return gettext("no data") if value is None else date_format(value, "F Y")


def quarter(value: date | None) -> str:
    if value is None:
        return gettext("no data")
    return f"Q{(value.month - 1) // 3 + 1} {value.year}"


def moment(value: datetime | None) -> str:
    """A date and time as shown in the provider's zone (Django's current time zone)."""
    from django.utils import timezone

    if value is None:
        return "–"
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
