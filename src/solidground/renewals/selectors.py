"""The read side of the renewal analysis: the renewal calendar, the model's summary and the
thesis answers, always through the viewer.

Who sees what:

- the renewal calendar: every role, each viewer only the contracts of the customers they may
  see (an account manager: their own customers);
- the model summary (coefficients, proportional-hazards check, calibration, Kaplan-Meier
  curves) and the thesis answers: owners and managers only. They are statistics over the
  whole portfolio, and with small groups an average can give away a single customer's margin;
  an account manager is shown neither (``portfolio_statistics`` returns None, the thesis page
  answers 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from solidground.accounts.selectors import Viewer
from solidground.renewals.models import RenewalFit, RenewalRisk, RiskLevel, ThesisAnswer

WINDOWS: tuple[int, ...] = (30, 90, 180)
DEFAULT_WINDOW = 90


def latest_fit() -> RenewalFit | None:
    return RenewalFit.objects.select_related("run").order_by("-created_at").first()


@dataclass(frozen=True)
class RenewalRow:
    customer_id: int
    customer_name: str
    contract_name: str
    renewal_date: date | None
    notice_date: date | None
    annual_revenue: Decimal
    risk: float | None
    risk_low: float | None
    risk_high: float | None
    level: str
    revenue_at_risk: Decimal
    group: str
    reasons: list[dict[str, Any]]


@dataclass(frozen=True)
class RenewalCalendar:
    fit: RenewalFit | None
    days: int
    until: date | None
    rows: list[RenewalRow] = field(default_factory=list)
    revenue_at_risk: Decimal = Decimal("0")
    counts: dict[str, int] = field(default_factory=dict)  # per level

    @property
    def method(self) -> str:
        return self.fit.method if self.fit is not None else ""


def _row(risk: RenewalRisk) -> RenewalRow:
    return RenewalRow(
        customer_id=risk.customer_id,
        customer_name=risk.customer.name,
        contract_name=risk.contract.name,
        renewal_date=risk.renewal_date,
        notice_date=risk.notice_date,
        annual_revenue=risk.annual_revenue,
        risk=risk.risk,
        risk_low=risk.risk_low,
        risk_high=risk.risk_high,
        level=risk.level,
        revenue_at_risk=risk.revenue_at_risk,
        group=risk.group,
        reasons=list(risk.reasons or []),
    )


def renewal_calendar(
    *, viewer: Viewer, days: int = DEFAULT_WINDOW, levels: tuple[str, ...] | None = None
) -> RenewalCalendar:
    """Contracts whose renewal or notice date falls in the next ``days`` days (counted from
    the day of the last fit), ordered by revenue at risk; only customers the viewer may see."""
    fit = latest_fit()
    if fit is None:
        return RenewalCalendar(fit=None, days=days, until=None)
    until = fit.as_of + timedelta(days=days)
    due = Q(notice_date__gte=fit.as_of, notice_date__lte=until) | Q(
        renewal_date__gte=fit.as_of, renewal_date__lte=until
    )
    risks = viewer.restrict(RenewalRisk.objects.filter(fit=fit)).filter(due)
    if levels:
        risks = risks.filter(level__in=levels)
    ordered = risks.select_related("customer", "contract").order_by(
        "-revenue_at_risk", "notice_date", "customer__name"
    )
    rows = [_row(risk) for risk in ordered]
    counts = dict.fromkeys(RiskLevel.values, 0)
    for row in rows:
        counts[row.level] += 1
    total = risks.aggregate(total=Sum("revenue_at_risk"))["total"] or Decimal("0")
    return RenewalCalendar(
        fit=fit, days=days, until=until, rows=rows, revenue_at_risk=total, counts=counts
    )


@dataclass(frozen=True)
class PortfolioStatistics:
    """The model and the thesis: portfolio-wide, for owners and managers."""

    fit: RenewalFit
    answers: list[ThesisAnswer]

    @property
    def coefficients(self) -> list[dict[str, Any]]:
        return list(self.fit.model.get("coefficients", []))

    @property
    def ph_check(self) -> list[dict[str, Any]]:
        return list(self.fit.ph_check or [])

    @property
    def ph_holds(self) -> bool:
        return all(check.get("holds", True) for check in self.ph_check)

    @property
    def calibration(self) -> dict[str, Any]:
        return dict(self.fit.calibration or {})

    @property
    def curves(self) -> list[dict[str, Any]]:
        return list(self.fit.curves or [])


def portfolio_statistics(*, viewer: Viewer) -> PortfolioStatistics | None:
    """None for viewers who do not see the whole portfolio, or before the first fit."""
    if not viewer.sees_all_customers:
        return None
    fit = latest_fit()
    if fit is None:
        return None
    return PortfolioStatistics(fit=fit, answers=list(fit.answers.order_by("question")))


@dataclass(frozen=True)
class OwnerReportSection:
    """What the owner's portfolio report shows of renewals: the contracts at risk due in the
    next 180 days and the thesis answers."""

    calendar: RenewalCalendar
    statistics: PortfolioStatistics | None


def owner_report_section(*, viewer: Viewer, days: int = 180) -> OwnerReportSection:
    return OwnerReportSection(
        calendar=renewal_calendar(
            viewer=viewer, days=days, levels=(RiskLevel.HIGH, RiskLevel.ELEVATED)
        ),
        statistics=portfolio_statistics(viewer=viewer),
    )
