"""Period bucketing: which month or quarter an instant belongs to, in the provider's zone.

A ticket created at 23:30 UTC on 31 January is a February ticket in Berlin, so months are cut
in the provider's local time, not in UTC.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

import polars as pl

PeriodKind = Literal["month", "quarter"]
_EVERY: dict[str, str] = {"month": "1mo", "quarter": "1q"}
# A gap at the edge of the data no longer than this (a weekend and a public holiday) is not
# taken as missing data: a month whose first ticket came on Monday the 3rd is covered whole
# (engine.metrics.with_coverage; the labels in insights.formatting use the same rule).
EDGE_GAP_DAYS: Final = 3


def period_start(instant: pl.Expr, *, kind: PeriodKind, timezone: str) -> pl.Expr:
    """The local date on which the instant's period starts (first day of month or quarter)."""
    # Local date first, then truncate the date: truncating a zone-aware datetime looks up the
    # zone's offset again per row and took twice as long over millions of rows (same result).
    return instant.dt.convert_time_zone(timezone).dt.date().dt.truncate(_EVERY[kind])


def local_time(instant: pl.Expr, *, timezone: str) -> pl.Expr:
    """The instant's wall-clock time in the zone, as a naive datetime.

    Convert once, then read date, hour and weekday from the result: each read of a zone-aware
    datetime looks the zone's offset up again per row (about four times slower).
    """
    return instant.dt.convert_time_zone(timezone).dt.replace_time_zone(None)


def date_period_start(day: pl.Expr, *, kind: PeriodKind) -> pl.Expr:
    """The same for a plain date column (e.g. a revenue line's month)."""
    return day.dt.truncate(_EVERY[kind])


def last_complete_quarter(month: date) -> date:
    """The start of the last quarter complete by the end of ``month`` (a first of month).

    March (the quarter's last month) completes its own quarter; April and May do not, so the
    answer for them is January.
    """
    if month.month % 3 == 0:
        return date(month.year, month.month - 2, 1)
    first = (month.month - 1) // 3 * 3 + 1
    index = month.year * 12 + first - 1 - 3
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month.

    >>> add_months(date(2026, 2, 1), -3)
    datetime.date(2025, 11, 1)
    """
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(day: date) -> date:
    """The first day of ``day``'s calendar quarter.

    >>> quarter_start(date(2026, 5, 17))
    datetime.date(2026, 4, 1)
    """
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def hhmm(minute: int) -> str:
    """A minute of the day as wall-clock text, the form opening windows are written in.

    >>> hhmm(8 * 60 + 30), hhmm(24 * 60)
    ('08:30', '24:00')
    """
    return f"{minute // 60:02d}:{minute % 60:02d}"
