"""The period a service review speaks of: a quarter (``2026Q3``) or a month (``2026-07``).

Both are stored by the analysis as they are (``CustomerPeriod`` rows of kind quarter and
month), so a review reads its figures without summing or recomputing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext

from solidground.engine import periods
from solidground.insights import formatting
from solidground.insights.models import PeriodKind
from solidground.insights.selectors.common import month_minus


class ReportInputError(ValueError):
    """Input a user can fix (an unknown customer, a period without data): one sentence."""


@dataclass(frozen=True)
class ReportPeriod:
    kind: str  # PeriodKind: "quarter" or "month"
    start: date  # first day of the first month

    @property
    def months(self) -> int:
        return 3 if self.kind == PeriodKind.QUARTER else 1

    @property
    def last_month(self) -> date:
        return month_minus(self.start, -(self.months - 1))

    @property
    def end(self) -> date:
        """The first day after the period."""
        return month_minus(self.start, -self.months)

    @property
    def key(self) -> str:
        """The period as the command line and file names write it: 2026Q3, 2026-07."""
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        """In the active language: Q3 2026, Juli 2026."""
        if self.kind == PeriodKind.QUARTER:
            return formatting.quarter(self.start)
        return formatting.month(self.start)

    def shifted(self, months: int) -> ReportPeriod:
        """The same kind of period ``months`` earlier (negative: later)."""
        return ReportPeriod(self.kind, month_minus(self.start, months))

    @property
    def previous(self) -> ReportPeriod:
        return self.shifted(self.months)

    @property
    def year_before(self) -> ReportPeriod:
        return self.shifted(12)

    def bounds(self) -> tuple[datetime, datetime]:
        """Its instants in the provider's zone (months and quarters are cut there)."""
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end, time.min, tzinfo=zone),
        )

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def parse_period(text: str) -> ReportPeriod:
    """``2026Q3`` (a quarter) or ``2026-07`` (a month); anything else is refused."""
    raw = text.strip().upper()
    try:
        if len(raw) == 6 and raw[4] == "Q" and raw[5] in "1234":
            return ReportPeriod(
                PeriodKind.QUARTER, date(int(raw[:4]), (int(raw[5]) - 1) * 3 + 1, 1)
            )
        if len(raw) == 7 and raw[4] == "-":
            return ReportPeriod(PeriodKind.MONTH, date(int(raw[:4]), int(raw[5:]), 1))
    except ValueError:
        pass
    raise ReportInputError(
        gettext("“%(text)s” is not a period: write a quarter as 2026Q3 or a month as 2026-07.")
        % {"text": text[:40]}
    )


def last_complete_quarter(as_of: date) -> ReportPeriod:
    """The last quarter that ends at or before the month ``as_of`` (the analysis' last month)."""
    return ReportPeriod(PeriodKind.QUARTER, periods.last_complete_quarter(as_of))
