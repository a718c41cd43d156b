"""What the owner's portfolio report shows of renewals: the contracts at risk that come up for
notice or renewal in the next 180 days, and the thesis answers (owners and managers only, as
on the pages). ``reports.portfolio`` includes it as a section."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solidground.accounts.selectors import Viewer
from solidground.renewals.display import (
    AnswerRow,
    CalendarRow,
    calendar_rows,
    model_rows,
    thesis_rows,
)
from solidground.renewals.selectors import owner_report_section

SHOWN = 15
DAYS = 180


@dataclass(frozen=True)
class RenewalReport:
    days: int
    method: str
    history: str
    note: str  # why there is no model, if there is none
    rows: list[CalendarRow]  # the first SHOWN, by revenue at risk
    total: int
    revenue_at_risk: Decimal
    answers: list[AnswerRow]


def renewal_report(*, viewer: Viewer, days: int = DAYS, shown: int = SHOWN) -> RenewalReport | None:
    """None before the first renewal analysis."""
    section = owner_report_section(viewer=viewer, days=days)
    calendar = section.calendar
    if calendar.fit is None:
        return None

    statistics = section.statistics
    model = model_rows(statistics) if statistics is not None else None
    rows = calendar_rows(calendar)
    return RenewalReport(
        days=days,
        method=calendar.fit.get_method_display(),
        history=model.history if model is not None else "",
        note=model.note if model is not None else "",
        rows=rows[:shown],
        total=len(rows),
        revenue_at_risk=calendar.revenue_at_risk,
        answers=thesis_rows(statistics) if statistics is not None else [],
    )
