"""Figures as a reader expects them, in the active language: one place for pages, chart
tables, CSV-free text, reports and messages.

Numbers are rounded half up (Django's number_format cuts decimals off: 16.67 -> "16").
German writes "75 %" and "1.690 EUR"; English "75%" and "1,690 EUR".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, pgettext

from solidground.engine.periods import EDGE_GAP_DAYS, add_months


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


def day_month(value: date) -> str:
    """A day and its month, short: "3 Dec", "3. Dez."."""
    return date_format(value, pgettext("Django date format: a day and its short month", "j M"))


# The days the data cover (first, last), as the analysis stored them (AnalysisRun.baseline).
Coverage = tuple[date, date]


def covered_quarter(start: date, coverage: Coverage | None, *, inside: bool = False) -> str:
    """A quarter's name, saying which of its days the data cover when they cover it only in
    part: "Q4 2025 (from 3 Dec)", "Q1 2026 (to 13 Mar)", "Q1 2016 (29 Feb to 2 Mar)".

    The rule is the analysis's (engine.metrics.with_coverage): a gap of up to EDGE_GAP_DAYS
    at a quarter's edge counts as covered. ``inside``: for text already in brackets, without
    brackets of its own ("Q4 2025 from 3 Dec").
    """
    name = quarter(start)
    if coverage is None:
        return name
    first, last = coverage
    end = add_months(start, 3)  # exclusive
    if first >= end or last < start:  # the data do not reach this quarter at all
        return name
    starts_inside = (first - start).days > EDGE_GAP_DAYS
    ends_inside = (end - (last + timedelta(days=1))).days > EDGE_GAP_DAYS
    values = {"quarter": name, "first": day_month(first), "last": day_month(last)}
    if starts_inside and ends_inside:
        if inside:
            return gettext("%(quarter)s, %(first)s to %(last)s") % values
        return gettext("%(quarter)s (%(first)s to %(last)s)") % values
    if starts_inside:
        if inside:
            return gettext("%(quarter)s from %(first)s") % values
        return gettext("%(quarter)s (from %(first)s)") % values
    if ends_inside:
        if inside:
            return gettext("%(quarter)s to %(last)s") % values
        return gettext("%(quarter)s (to %(last)s)") % values
    return name


def quarter_window(
    first: date, last: date, coverage: Coverage | None, *, inside: bool = False
) -> str:
    """The quarters a segment is judged on, each named as :func:`covered_quarter` names it:
    "Q4 2025–Q3 2026", "Q4 2025 (from 3 Dec) – Q3 2026"; one quarter alone when first is last.
    """
    if first == last:
        return covered_quarter(first, coverage, inside=inside)
    start = covered_quarter(first, coverage, inside=inside)
    end = covered_quarter(last, coverage, inside=inside)
    plain = start == quarter(first) and end == quarter(last)
    # A spaced dash once a label has words of its own: "Q4 2025 (from 3 Dec) – Q3 2026".
    return f"{start}–{end}" if plain else f"{start} – {end}"


def moment(value: datetime | None) -> str:
    """A date and time as shown in the provider's zone (Django's current time zone)."""
    from django.utils import timezone

    if value is None:
        return "–"
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
