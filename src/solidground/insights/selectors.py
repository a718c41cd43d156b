"""Read side of the insights: what the portfolio page and `solidground portfolio` show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.db.models import Max, Sum

from solidground.engine.stats import wilson_interval
from solidground.insights.models import CustomerPeriod, PeriodKind


@dataclass(frozen=True)
class Rate:
    """A share with its 95% Wilson interval; ``share`` is None when n is 0 ("no data")."""

    successes: int
    n: int
    share: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, successes: int, n: int) -> Rate:
        if n == 0:
            return cls(successes, n, None, None, None)
        low, high = wilson_interval(np.array([successes]), np.array([n]))
        return cls(successes, n, successes / n, float(low[0]), float(high[0]))

    @property
    def small_sample(self) -> bool:
        # Fewer than 30 answers: the interval is wide; the UI says so next to the figure.
        return 0 < self.n < 30


@dataclass(frozen=True)
class PortfolioRow:
    customer_id: int
    name: str
    status: str
    tickets: int
    hours_total: float
    hours_goodwill: float
    goodwill_share: float | None
    revenue: Decimal
    margin: Decimal
    margin_share: float | None
    csat: Rate
    sla_resolution: Rate


@dataclass(frozen=True)
class Portfolio:
    first_month: date | None
    last_month: date | None
    rows: list[PortfolioRow]


def _month_minus(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def portfolio(*, months: int = 12, order: str = "goodwill_share") -> Portfolio:
    """Each customer's figures summed over the last ``months`` analysed months."""
    last = CustomerPeriod.objects.filter(period_kind=PeriodKind.MONTH).aggregate(
        last=Max("period_start")
    )["last"]
    if last is None:
        return Portfolio(None, None, [])
    first = _month_minus(last, months - 1)
    totals = (
        CustomerPeriod.objects.filter(
            period_kind=PeriodKind.MONTH, period_start__gte=first, period_start__lte=last
        )
        .values("customer_id", "customer__name", "customer__status")
        .annotate(
            tickets=Sum("tickets"),
            hours_billed=Sum("hours_billed"),
            hours_included=Sum("hours_included"),
            hours_goodwill=Sum("hours_goodwill"),
            hours_internal=Sum("hours_internal"),
            revenue=Sum("revenue"),
            margin=Sum("margin"),
            csat_positive=Sum("csat_positive"),
            csat_responses=Sum("csat_responses"),
            sla_met=Sum("sla_resolution_met"),
            sla_total=Sum("sla_resolution_total"),
        )
    )
    rows = []
    for t in totals:
        facing = t["hours_billed"] + t["hours_included"] + t["hours_goodwill"]
        revenue = Decimal(t["revenue"])
        margin = Decimal(t["margin"])
        rows.append(
            PortfolioRow(
                customer_id=t["customer_id"],
                name=t["customer__name"],
                status=t["customer__status"],
                tickets=t["tickets"],
                hours_total=facing + t["hours_internal"],
                hours_goodwill=t["hours_goodwill"],
                goodwill_share=t["hours_goodwill"] / facing if facing else None,
                revenue=revenue,
                margin=margin,
                margin_share=float(margin / revenue) if revenue else None,
                csat=Rate.of(t["csat_positive"], t["csat_responses"]),
                sla_resolution=Rate.of(t["sla_met"], t["sla_total"]),
            )
        )
    rows.sort(key=lambda row: _sort_key(row, order))
    return Portfolio(first, last, rows)


ORDERINGS = ("goodwill_share", "margin_share", "csat", "sla", "revenue", "name", "tickets")


def _sort_key(row: PortfolioRow, order: str) -> tuple[int, float | str]:
    # "No data" sorts last in every ordering, never as 0 or 100%.
    if order == "name":
        return (0, row.name.lower())
    value: float | None = {
        "goodwill_share": -row.goodwill_share if row.goodwill_share is not None else None,
        "margin_share": row.margin_share,
        "csat": row.csat.share,
        "sla": row.sla_resolution.share,
        "revenue": -float(row.revenue),
        "tickets": -float(row.tickets),
    }.get(order)
    return (1, 0.0) if value is None else (0, value)
