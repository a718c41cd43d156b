"""The portfolio: each customer's figures over the last months, segments, findings, whale."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum
from django.utils import translation

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.insights import formatting, messages
from solidground.insights.charts import SEGMENT_ORDER
from solidground.insights.models import (
    CustomerPeriod,
    CustomerSegment,
    Finding,
    PeriodKind,
    WhalePoint,
)
from solidground.insights.selectors.common import Rate, message_context, month_minus


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
    previous_segment: str = ""
    cost_to_serve: Decimal = Decimal("0")
    first_reason: str = ""  # the segment's first reason as a sentence (filled for pages)

    @property
    def status_label(self) -> str:
        # The customer's status in the reader's language ("aktiv", "gekündigt").
        return str(Customer.Status(self.status).label)


def quarter_label(start: date) -> str:
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


@dataclass(frozen=True)
class Portfolio:
    # The table's months: never before the first month with data.
    first_month: date | None
    last_month: date | None
    rows: list[PortfolioRow]
    # The last day the data cover, when they cover the last month only in part ("so far").
    covered_until: date | None = None
    # The quarters most customers' segments are judged on (first and last quarter's start):
    # fixed by the analysis, whatever months the table shows.
    segment_window: tuple[date, date] | None = None
    # The days the analysed data cover (first, last): a window quarter they cover only in
    # part is named so.
    coverage: formatting.Coverage | None = None

    @property
    def segment_window_label(self) -> str:
        """The window in the active language: "Q4 2025–Q3 2026"; "Q4 2025 (from 3 Dec) –
        Q3 2026" when the data start inside its first quarter."""
        if self.segment_window is None:
            return ""
        first, last = self.segment_window
        return formatting.quarter_window(first, last, self.coverage)


def _segment_window(viewer: Viewer) -> tuple[date, date] | None:
    """The most common segment window (customers who left are judged on an earlier one)."""
    window = (
        viewer.restrict(CustomerSegment.objects)
        .values("window_start", "window_end")
        .annotate(customers=Count("pk"))
        .order_by("-customers", "-window_end")
        .first()
    )
    return (window["window_start"], window["window_end"]) if window else None


def _covered_until(last: date) -> date | None:
    """The last covered day of the month ``last`` when the data cover it only in part."""
    days = CustomerPeriod.objects.filter(period_kind=PeriodKind.MONTH, period_start=last).aggregate(
        covered=Max("days_covered"), days=Max("days_in_period")
    )
    covered, total = days["covered"], days["days"]
    if not covered or not total or covered >= total:
        return None
    return last + timedelta(days=covered - 1)


def portfolio(*, viewer: Viewer, months: int = 12, order: str = "goodwill_share") -> Portfolio:
    """Each visible customer's figures summed over the last ``months`` analysed months."""
    extent = CustomerPeriod.objects.filter(period_kind=PeriodKind.MONTH).aggregate(
        first=Min("period_start"), last=Max("period_start")
    )
    last = extent["last"]
    if last is None:
        return Portfolio(None, None, [])
    # Never a month before the data start: "12 months" of a 9-month history are 9.
    first = max(month_minus(last, months - 1), extent["first"])
    totals = list(
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
            cost_to_serve=Sum("cost_to_serve"),
            csat_positive=Sum("csat_positive"),
            csat_responses=Sum("csat_responses"),
            sla_met=Sum("sla_resolution_met"),
            sla_total=Sum("sla_resolution_total"),
        )
    )
    segment_of = {
        customer_id: (segment, previous)
        for customer_id, segment, previous in viewer.restrict(CustomerSegment.objects).values_list(
            "customer_id", "segment", "previous_segment"
        )
    }
    csat = Rate.many([t["csat_positive"] for t in totals], [t["csat_responses"] for t in totals])
    sla = Rate.many([t["sla_met"] for t in totals], [t["sla_total"] for t in totals])
    labels = {key: str(label) for key, label in messages.SEGMENT_NAMES.items()}
    rows = []
    for t, csat_rate, sla_rate in zip(totals, csat, sla, strict=True):
        facing = t["hours_billed"] + t["hours_included"] + t["hours_goodwill"]
        revenue = Decimal(t["revenue"])
        margin = Decimal(t["margin"])
        segment, previous = segment_of.get(t["customer_id"], ("", ""))
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
                csat=csat_rate,
                sla_resolution=sla_rate,
                segment=segment,
                segment_label=labels.get(segment, ""),
                previous_segment=previous,
                cost_to_serve=Decimal(t["cost_to_serve"]),
            )
        )
    rows.sort(key=lambda row: _sort_key(row, order))
    return Portfolio(
        first,
        last,
        rows,
        covered_until=_covered_until(last),
        segment_window=_segment_window(viewer),
        coverage=message_context().coverage,
    )


ORDERINGS = (
    "goodwill_share",
    "margin_share",
    "csat",
    "sla",
    "revenue",
    "name",
    "tickets",
    "segment",
    "status",
    "hours",
)
# Most urgent first when ordered by segment.
_SEGMENT_ORDER = {
    "at_risk": 0,
    "service_trap": 1,
    "unprofitable": 2,
    "quiet": 3,
    "watch": 4,
    "solid": 5,
    "unclassified": 6,
}


_STATUS_ORDER = {"active": 0, "prospect": 1, "cancelled": 2}


def name_key(name: str) -> str:
    """Sort key for names as a German reader expects: "Böhm" before "Busch" (umlauts and
    accents sort with their base letter, ß as ss), case-insensitive; no system locale needed."""
    folded = unicodedata.normalize("NFKD", name.casefold().replace("ß", "ss"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _sort_key(row: PortfolioRow, order: str) -> tuple[int, float | str, str]:
    # "No data" sorts last in every ordering, never as 0 or 100%. Ties by name.
    name = name_key(row.name)
    if order == "name":
        return (0, name, "")
    if order == "segment":
        return (0, float(_SEGMENT_ORDER.get(row.segment, 9)), name)
    if order == "status":
        return (0, float(_STATUS_ORDER.get(row.status, 9)), name)
    # CSAT and SLA sort by the lower end of the 95% interval, worst first: a customer with
    # 1 of 1 positive (interval 21-100%) is not ranked above 95 of 100 (91-98%).
    value: float | None = {
        "goodwill_share": -row.goodwill_share if row.goodwill_share is not None else None,
        "margin_share": row.margin_share,
        "csat": row.csat.low,
        "sla": row.sla_resolution.low,
        "revenue": -float(row.revenue),
        "tickets": -float(row.tickets),
        "hours": -row.hours_total,
    }.get(order)
    return (1, 0.0, name) if value is None else (0, value, name)


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
    # The window as a reader sees it: "Q4 2025 (from 3 Dec) – Q3 2026".
    window_label: str = ""


def segments(
    *,
    viewer: Viewer,
    language: str | None = None,
    customer_ids: Collection[int] | None = None,
) -> dict[int, SegmentView]:
    """Each visible customer's segment with its reasons and movers as sentences, by id
    (only ``customer_ids`` when given: a page renders the sentences it shows)."""
    queryset = viewer.restrict(CustomerSegment.objects).select_related("customer")
    if customer_ids is not None:
        queryset = queryset.filter(customer_id__in=list(customer_ids))
    context = message_context()
    with translation.override(language or translation.get_language()):
        result = {}
        for row in queryset:
            result[row.customer_id] = SegmentView(
                customer_id=row.customer_id,
                name=row.customer.name,
                segment=row.segment,
                label=str(messages.SEGMENT_NAMES.get(row.segment, row.segment)),
                reasons=[
                    messages.render(c["key"], _params(c), row.window_end, context=context)
                    for c in row.reasons
                ],
                movers=[
                    messages.render(c["key"], _params(c), row.window_end, mover=True)
                    for c in row.movers
                ],
                window_start=row.window_start,
                window_end=row.window_end,
                window_label=formatting.quarter_window(
                    row.window_start, row.window_end, context.coverage
                ),
            )
        return result


def _params(condition: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in condition.items() if k not in ("key", "met")}


def whale_points(*, viewer: Viewer) -> list[WhalePoint]:
    return list(viewer.restrict(WhalePoint.objects).select_related("customer").order_by("rank"))


# --------------------------------------------------------------------------------------------
# The start page: tiles, attention list, whale curve, filters


# Most urgent first, as on the charts.
SEGMENT_KEYS = tuple(SEGMENT_ORDER)


@dataclass(frozen=True)
class SegmentTile:
    segment: str
    label: str
    customers: int
    revenue: Decimal
    revenue_share: float | None
    # Customers in this segment a quarter before (None: no earlier placement known for any).
    customers_before: int | None
    moved_in: int
    moved_out: int
    # What every customer in the segment has in common (messages.SEGMENT_DESCRIPTIONS).
    description: str = ""

    @property
    def change(self) -> int | None:
        return None if self.customers_before is None else self.customers - self.customers_before


def segment_tiles(
    rows: list[PortfolioRow], thresholds: Mapping[str, float] | None = None
) -> list[SegmentTile]:
    """Count and revenue per segment over the table's window, and the change since the
    quarter before (from each customer's previous placement by the same rules).
    ``thresholds``: the segment thresholds of the analysis, named in the descriptions."""
    total = sum((row.revenue for row in rows), Decimal("0"))
    known_before = any(row.previous_segment for row in rows)
    tiles = []
    for key in SEGMENT_KEYS:
        members = [row for row in rows if row.segment == key]
        before = [row for row in rows if row.previous_segment == key]
        if not members and not before and key == "unclassified":
            continue
        revenue = sum((row.revenue for row in members), Decimal("0"))
        tiles.append(
            SegmentTile(
                segment=key,
                label=str(messages.SEGMENT_NAMES[key]),
                customers=len(members),
                revenue=revenue,
                revenue_share=float(revenue / total) if total > 0 else None,
                customers_before=len(before) if known_before else None,
                moved_in=sum(1 for row in members if row.previous_segment not in ("", key)),
                moved_out=sum(1 for row in before if row.segment != key),
                description=messages.segment_description(key, thresholds),
            )
        )
    return tiles


@dataclass(frozen=True)
class Attention:
    customer_id: int
    name: str
    segment: str
    label: str
    previous_label: str  # "" unless the segment changed since the quarter before
    reason: str  # one line: the most severe finding, else the segment's first reason
    severity: int
    revenue: Decimal


# Segments that call for action; a move into one of them is news, a move out is good news.
_ALARMING = {"at_risk": 0, "service_trap": 1, "unprofitable": 2}


def needs_attention(
    *, viewer: Viewer, rows: list[PortfolioRow], language: str | None = None, limit: int = 12
) -> tuple[list[Attention], int]:
    """The customers to look at first, and how many there are in all.

    A customer is listed when its segment changed since the quarter before, or when it has an
    urgent finding, or when it sits in an alarming segment with a warning. Order: urgent
    findings, then alarming segments (at risk, service trap, unprofitable), then revenue.
    Only the listed ones are put into sentences.
    """
    by_id = {row.customer_id: row for row in rows}
    worst: dict[int, Finding] = {}
    for stored in (
        viewer.restrict(Finding.objects)
        .filter(severity__gte=Finding.Severity.WARNING)
        .order_by("-severity", "kind")
    ):
        worst.setdefault(stored.customer_id, stored)

    def severity(row: PortfolioRow) -> int:
        finding = worst.get(row.customer_id)
        return finding.severity if finding else 0

    def changed(row: PortfolioRow) -> bool:
        return bool(row.previous_segment) and row.previous_segment != row.segment

    due = [
        row
        for row in by_id.values()
        if changed(row)
        or severity(row) >= Finding.Severity.URGENT
        or (row.segment in _ALARMING and row.customer_id in worst)
    ]
    due.sort(
        key=lambda row: (
            -severity(row),
            _ALARMING.get(row.segment, 9),
            -float(row.revenue),
            name_key(row.name),
        )
    )
    shown = due[:limit]
    context = message_context()
    with translation.override(language or translation.get_language()):
        explained = segments(viewer=viewer, customer_ids=[row.customer_id for row in shown])
        listed = []
        for row in shown:
            finding = worst.get(row.customer_id)
            view = explained.get(row.customer_id)
            if finding is not None:
                reason = messages.render(
                    finding.kind, finding.params, finding.period_start, context=context
                )
            elif view is not None and view.reasons:
                reason = view.reasons[0]
            else:
                reason = ""
            listed.append(
                Attention(
                    customer_id=row.customer_id,
                    name=row.name,
                    segment=row.segment,
                    label=row.segment_label,
                    previous_label=(
                        str(messages.SEGMENT_NAMES.get(row.previous_segment, ""))
                        if changed(row)
                        else ""
                    ),
                    reason=reason,
                    severity=severity(row),
                    revenue=row.revenue,
                )
            )
    return listed, len(due)


@dataclass(frozen=True)
class WhaleRow:
    customer_id: int
    name: str
    rank: int
    profit: Decimal
    revenue: Decimal
    cumulative_share: float | None
    customer_share: float


@dataclass(frozen=True)
class Whale:
    rows: list[WhaleRow]
    window_start: date | None
    window_end: date | None
    total_profit: Decimal
    peak_share: float | None
    unprofitable: int
    profit_destroyed: Decimal


def whale(*, viewer: Viewer) -> Whale:
    """The whale curve of the visible customers (stored profits of the last twelve analysed
    months). For an account manager the curve is drawn over their customers alone, so that
    it shows neither other customers nor the portfolio's total."""
    points = whale_points(viewer=viewer)
    total = sum((p.profit for p in points), Decimal("0"))
    running = Decimal("0")
    rows = []
    for rank, point in enumerate(points, start=1):
        running += point.profit
        rows.append(
            WhaleRow(
                customer_id=point.customer_id,
                name=point.customer.name,
                rank=rank,
                profit=point.profit,
                revenue=point.revenue,
                cumulative_share=float(running / total) if total > 0 else None,
                customer_share=rank / len(points),
            )
        )
    shares = [row.cumulative_share for row in rows if row.cumulative_share is not None]
    losses = [p.profit for p in points if p.profit < 0]
    return Whale(
        rows=rows,
        window_start=points[0].window_start if points else None,
        window_end=points[0].window_end if points else None,
        total_profit=total,
        peak_share=max(shares) if shares else None,
        unprofitable=len(losses),
        profit_destroyed=-sum(losses, Decimal("0")),
    )


def filter_rows(
    rows: list[PortfolioRow], *, segment: str = "", query: str = ""
) -> list[PortfolioRow]:
    """The table's rows in one segment and/or whose name contains ``query`` (accents and
    case ignored: "bohm" finds "Böhm")."""
    wanted = name_key(query.strip())
    return [
        row
        for row in rows
        if (not segment or row.segment == segment) and (not wanted or wanted in name_key(row.name))
    ]
