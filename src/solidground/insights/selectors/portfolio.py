"""The portfolio: each customer's figures over the last months, segments, findings, whale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Max, Sum
from django.utils import translation
from django.utils.translation import gettext

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.insights import messages
from solidground.insights.models import (
    CustomerPeriod,
    CustomerSegment,
    Finding,
    PeriodKind,
    WhalePoint,
)
from solidground.insights.selectors.common import Rate, month_minus


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
    segment: str = ""
    segment_label: str = ""

    @property
    def status_label(self) -> str:
        # The customer's status in the reader's language ("aktiv", "gekündigt").
        return str(Customer.Status(self.status).label)


@dataclass(frozen=True)
class Portfolio:
    first_month: date | None
    last_month: date | None
    rows: list[PortfolioRow]


def portfolio(*, viewer: Viewer, months: int = 12, order: str = "goodwill_share") -> Portfolio:
    """Each visible customer's figures summed over the last ``months`` analysed months."""
    last = CustomerPeriod.objects.filter(period_kind=PeriodKind.MONTH).aggregate(
        last=Max("period_start")
    )["last"]
    if last is None:
        return Portfolio(None, None, [])
    first = month_minus(last, months - 1)
    totals = (
        viewer.restrict(CustomerPeriod.objects)
        .filter(period_kind=PeriodKind.MONTH, period_start__gte=first, period_start__lte=last)
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
    segment_of = dict(CustomerSegment.objects.values_list("customer_id", "segment"))
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
                segment=segment_of.get(t["customer_id"], ""),
                segment_label=str(
                    messages.SEGMENT_NAMES.get(segment_of.get(t["customer_id"], ""), "")
                ),
            )
        )
    rows.sort(key=lambda row: _sort_key(row, order))
    return Portfolio(first, last, rows)


ORDERINGS = (
    "goodwill_share",
    "margin_share",
    "csat",
    "sla",
    "revenue",
    "name",
    "tickets",
    "segment",
)
# Most urgent first when ordered by segment.
_SEGMENT_ORDER = {
    "at_risk": 0,
    "service_trap": 1,
    "unprofitable": 2,
    "quiet": 3,
    "solid": 4,
    "unclassified": 5,
}


def _sort_key(row: PortfolioRow, order: str) -> tuple[int, float | str]:
    # "No data" sorts last in every ordering, never as 0 or 100%.
    if order == "name":
        return (0, row.name.lower())
    if order == "segment":
        return (0, float(_SEGMENT_ORDER.get(row.segment, 9)))
    value: float | None = {
        "goodwill_share": -row.goodwill_share if row.goodwill_share is not None else None,
        "margin_share": row.margin_share,
        "csat": row.csat.share,
        "sla": row.sla_resolution.share,
        "revenue": -float(row.revenue),
        "tickets": -float(row.tickets),
    }.get(order)
    return (1, 0.0) if value is None else (0, value)


# --------------------------------------------------------------------------------------------
# Segments and findings


@dataclass(frozen=True)
class SegmentView:
    customer_id: int
    name: str
    segment: str
    label: str
    reasons: list[str]
    movers: list[str]
    window_start: date
    window_end: date


def segments(*, viewer: Viewer, language: str | None = None) -> dict[int, SegmentView]:
    """Each visible customer's segment with its reasons and movers as sentences, by id."""
    with translation.override(language or translation.get_language()):
        result = {}
        for row in viewer.restrict(CustomerSegment.objects).select_related("customer"):
            result[row.customer_id] = SegmentView(
                customer_id=row.customer_id,
                name=row.customer.name,
                segment=row.segment,
                label=str(messages.SEGMENT_NAMES.get(row.segment, row.segment)),
                reasons=[
                    messages.render(c["key"], _params(c), row.window_end) for c in row.reasons
                ],
                movers=[
                    messages.render(c["key"], _params(c), row.window_end, mover=True)
                    for c in row.movers
                ],
                window_start=row.window_start,
                window_end=row.window_end,
            )
        return result


def _params(condition: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in condition.items() if k not in ("key", "met")}


def render_finding(finding: Finding, language: str) -> str:
    """The finding as a sentence in ``language`` ("de" or "en"), numbers in its format."""
    with translation.override(language):
        text = messages.render(finding.kind, finding.params, finding.period_start)
        return gettext("%(customer)s: %(finding)s") % {
            "customer": finding.customer.name,
            "finding": text,
        }


def findings(
    *,
    viewer: Viewer,
    customer_id: int | None = None,
    min_severity: int = 1,
    limit: int | None = None,
) -> list[Finding]:
    """Stored findings of visible customers, most severe first (customer loaded)."""
    queryset = (
        viewer.restrict(Finding.objects)
        .select_related("customer")
        .filter(severity__gte=min_severity)
    )
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    rows = list(queryset.order_by("-severity", "customer__name", "kind"))
    return rows[:limit] if limit is not None else rows


def whale_points(*, viewer: Viewer) -> list[WhalePoint]:
    return list(viewer.restrict(WhalePoint.objects).select_related("customer").order_by("rank"))
