"""One customer as a service manager reads it: segment and why, reliability, satisfaction,
the extra-mile ledger, contact intensity, profit, contracts, findings and history.

Everything comes from stored results (``CustomerPeriod``, ``TicketSla``, ``CustomerSegment``,
``CustomerTrend``, ``Finding``) and the domain rows they speak of; sums over stored months and
rates of summed counts are the only arithmetic. The number of queries is fixed: it does not
grow with months, tickets, contracts or comments (tests check it).

The chart builders in ``insights.charts.customer`` take these dataclasses, so that the
quarterly report can draw the same pictures.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.accounts.selectors import Viewer
from solidground.contracts.models import CatalogueItem, Contract, ContractEvent, Priority
from solidground.customers.models import Customer
from solidground.engine.periods import quarter_start
from solidground.engine.stats import NPS_SMALL_N, nps_interval
from solidground.insights import formatting, messages
from solidground.insights.charts import SEGMENT_COLOURS
from solidground.insights.models import (
    CustomerPeriod,
    CustomerSegment,
    CustomerTrend,
    PeriodKind,
)
from solidground.insights.selectors.common import (
    Rate,
    last_analysis,
    message_context,
    month_minus,
)
from solidground.insights.selectors.findings import FindingView, customer_findings
from solidground.insights.selectors.sla import (
    SlaFilters,
    SlaRow,
    breach_details,
    breach_rows,
    sla_counts,
)
from solidground.service.models import Highlight, Ticket, TimeEntry
from solidground.surveys.models import SurveyAnswer

# The page looks back two years (the segment compares with a year before) and sums a year.
MONTHS_SHOWN = 24
YEAR_MONTHS = 12
QUARTERS_SHOWN = 8
# A year of breaches can run into hundreds; the SLA page lists them all.
EVENTS_SHOWN = 50
COMMENTS_SHOWN = 30
COMMENTS_MAX = 1000
# Fewer CSAT answers than this in the median month make monthly shares mostly noise: the
# chart then shows quarters (the page says so).
MONTHLY_CSAT_MIN_MEDIAN = 10


# --------------------------------------------------------------------------------------------
# Dataclasses


@dataclass(frozen=True)
class PeriodFigures:
    """One stored month or quarter of this customer; a missing month has zeros and no data."""

    start: date
    kind: str  # "month" or "quarter"
    complete: bool  # False for the quarter still running at the "as of" month
    tickets: int = 0
    sla_response: Rate = field(default_factory=lambda: Rate.of(0, 0))
    sla_resolution: Rate = field(default_factory=lambda: Rate.of(0, 0))
    resolved: int = 0
    reopened: int = 0
    escalations: int = 0
    csat: Rate = field(default_factory=lambda: Rate.of(0, 0))
    unhappy: Rate = field(default_factory=lambda: Rate.of(0, 0))
    response: Rate = field(default_factory=lambda: Rate.of(0, 0))
    hours_included: float = 0.0
    hours_billed: float = 0.0
    hours_goodwill: float = 0.0
    hours_internal: float = 0.0
    goodwill_share: float | None = None
    goodwill_cost: Decimal = Decimal("0")
    out_of_scope_free_tickets: int = 0
    out_of_scope_free_hours: float = 0.0
    out_of_scope_free_value: Decimal = Decimal("0")
    contact_intensity: float | None = None
    interactions: int = 0
    special_requests: int = 0
    revenue: Decimal = Decimal("0")
    revenue_extra: Decimal = Decimal("0")
    labour_cost: Decimal = Decimal("0")
    direct_cost: Decimal = Decimal("0")
    cost_to_serve: Decimal = Decimal("0")
    margin: Decimal = Decimal("0")
    margin_share: float | None = None
    hours_worked: float = 0.0
    effective_hourly_rate: Decimal | None = None
    nps_responses: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    # Days of the period the data cover (the first and last periods of a history may be
    # partial); None for a period that was not stored.
    days_covered: int | None = None
    days_in_period: int | None = None

    @property
    def partial(self) -> bool:
        """True when the data cover only part of the period (its per-day figures are scaled)."""
        return (
            self.days_covered is not None
            and self.days_in_period is not None
            and self.days_covered < self.days_in_period
        )

    @property
    def label(self) -> str:
        """The period as a reader names it, in the active language: November 2026, Q4 2026."""
        if self.kind == PeriodKind.QUARTER:
            return formatting.quarter(self.start)
        return formatting.month(self.start)

    @property
    def short_label(self) -> str:
        """A short name for chart axes, which have little room: Nov 2026, Q4 2026."""
        if self.kind == PeriodKind.QUARTER:
            return formatting.quarter(self.start)
        return date_format(self.start, "M Y")

    @property
    def hours_facing(self) -> float:
        return self.hours_included + self.hours_billed + self.hours_goodwill


@dataclass(frozen=True)
class ProfitTotals:
    """Money of several periods summed; shares and the hourly rate from the sums."""

    revenue: Decimal
    revenue_extra: Decimal
    labour_cost: Decimal
    direct_cost: Decimal
    cost_to_serve: Decimal
    margin: Decimal
    margin_share: float | None
    hours_worked: float
    effective_hourly_rate: Decimal | None

    @classmethod
    def of(cls, periods: Iterable[PeriodFigures]) -> ProfitTotals:
        rows = list(periods)
        revenue = sum((p.revenue for p in rows), Decimal("0"))
        labour = sum((p.labour_cost for p in rows), Decimal("0"))
        direct = sum((p.direct_cost for p in rows), Decimal("0"))
        hours = sum(p.hours_worked for p in rows)
        margin = revenue - labour - direct
        return cls(
            revenue=revenue,
            revenue_extra=sum((p.revenue_extra for p in rows), Decimal("0")),
            labour_cost=labour,
            direct_cost=direct,
            cost_to_serve=labour + direct,
            margin=margin,
            # docs/domain.md: agreement margin = (revenue - labour - direct) / revenue; the
            # effective hourly rate = (revenue incl. billed extras - direct) / hours worked.
            margin_share=float(margin / revenue) if revenue else None,
            hours_worked=hours,
            effective_hourly_rate=(
                ((revenue - direct) / Decimal(str(hours))).quantize(Decimal("0.01"))
                if hours > 0
                else None
            ),
        )


@dataclass(frozen=True)
class SegmentInfo:
    key: str
    label: str
    colour: str
    reasons: list[str]  # the conditions that placed the customer, as sentences
    movers: list[str]  # what would move it, as sentences
    window_start: date
    window_end: date
    previous: str  # the segment a quarter before; "" = unknown (too little data then)
    previous_label: str
    # The window as a reader sees it: "Q4 2025 (from 3 Dec) – Q3 2026".
    window_label: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.previous) and self.previous != self.key


@dataclass(frozen=True)
class CustomerHeader:
    id: int
    name: str
    status: str
    status_label: str
    seats: int
    endpoints: int
    account_manager: str  # "" when nobody is assigned
    customer_since: date | None
    segment: SegmentInfo | None
    as_of: date | None  # the last complete month of the last finished analysis


@dataclass(frozen=True)
class Reliability:
    months: list[PeriodFigures]
    target: float | None  # the SLA compliance the segment rules expect (None: not known)
    sla_response: Rate  # last 12 months
    sla_resolution: Rate
    reopened: int
    resolved: int
    escalations: int
    events: list[SlaRow]  # breaches and near-breaches, newest due first, at most EVENTS_SHOWN
    events_total: int
    timezones: list[str]  # the zones the shown times are in


@dataclass(frozen=True)
class Comment:
    answered_at: datetime
    kind_label: str
    score: int | None
    scale_min: int
    scale_max: int
    contact: str
    ticket_reference: str
    text: str

    @property
    def score_text(self) -> str:
        if self.score is None:
            return gettext("no data")
        return f"{self.score}/{self.scale_max}"

    @property
    def unhappy(self) -> bool:
        # The lower half of the scale reads as unhappy whatever the survey's scale.
        return (
            self.score is not None
            and self.score - self.scale_min < (self.scale_max - self.scale_min) / 2
        )


@dataclass(frozen=True)
class NpsFigure:
    score: float
    low: float
    high: float
    responses: int
    promoters: int
    detractors: int
    months: int  # summed over this many months

    @property
    def small_sample(self) -> bool:
        # Below this the engine's interval is Lewis and Sauro's adjusted Wald, centred on an
        # adjusted score: the observed score may lie outside it.
        return self.responses < NPS_SMALL_N


@dataclass(frozen=True)
class Satisfaction:
    periods: list[PeriodFigures]  # months, or quarters when answers are few
    by_quarter: bool
    median_monthly_answers: float | None  # over the last 12 months
    csat: Rate  # last 12 months
    unhappy: Rate
    response: Rate
    nps: NpsFigure | None
    comments: list[Comment]
    comments_total: int
    comments_limit: int

    @property
    def more_comments(self) -> bool:
        return self.comments_total > len(self.comments)


@dataclass(frozen=True)
class Ledger:
    months: list[PeriodFigures]
    hours_goodwill: float  # last 12 months
    hours_facing: float
    goodwill_share: float | None
    goodwill_cost: Decimal
    out_of_scope_free_tickets: int
    out_of_scope_free_hours: float
    out_of_scope_free_value: Decimal
    notes: list[str]  # creep and trend sentences


@dataclass(frozen=True)
class ContactIntensity:
    months: list[PeriodFigures]
    interactions: int  # last 12 months
    special_requests: int
    tickets: int
    latest: float | None  # the last month with a figure
    latest_month: date | None


@dataclass(frozen=True)
class Profit:
    months: list[PeriodFigures]
    year: ProfitTotals  # last 12 months
    quarters: list[PeriodFigures]  # stored quarter rows, oldest first
    notes: list[str]


@dataclass(frozen=True)
class SlaTargetInfo:
    priority_label: str
    first_response_minutes: int
    resolution_minutes: int

    @property
    def first_response_text(self) -> str:
        return business_duration(self.first_response_minutes * 60)

    @property
    def resolution_text(self) -> str:
        return business_duration(self.resolution_minutes * 60)


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    calendar: str
    timezone: str
    targets: list[SlaTargetInfo]


@dataclass(frozen=True)
class ItemInfo:
    id: int
    code: str
    name: str
    included: bool
    rate: Decimal | None
    unit_label: str
    tickets: int  # mapped to this item in the last 12 months
    free_out_of_scope: int  # of those, done free although the item is billed extra


@dataclass(frozen=True)
class ContractInfo:
    id: int
    name: str
    kind_label: str
    status: str
    status_label: str
    monthly_fee: Decimal
    included_hours: Decimal
    hourly_rate: Decimal
    start: date
    end: date | None
    renewal: date | None
    notice_period_days: int
    notice_by: date | None  # the last day to give notice before the renewal
    auto_renew: bool
    # Still in force at the "as of" month: active, or cancelled with its end still ahead.
    current: bool
    policy: PolicyInfo | None
    included_items: list[ItemInfo]
    extra_items: list[ItemInfo]


@dataclass(frozen=True)
class HighlightInfo:
    day: date
    title: str
    description: str
    ticket_reference: str


@dataclass(frozen=True)
class TimelineEntry:
    day: date
    kind: str  # "start", "end", "renewal", "notice" or a ContractEvent.Kind value
    label: str
    contract: str
    fee_change: Decimal | None
    note: str
    upcoming: bool  # after the "as of" month: a date to act on, not history


@dataclass(frozen=True)
class CustomerOverview:
    header: CustomerHeader
    first_month: date | None
    last_month: date | None
    reliability: Reliability
    satisfaction: Satisfaction
    ledger: Ledger
    contact: ContactIntensity
    profit: Profit
    contracts: list[ContractInfo]
    findings: list[FindingView]
    highlights: list[HighlightInfo]
    timeline: list[TimelineEntry]

    @property
    def active_contracts(self) -> list[ContractInfo]:
        return [c for c in self.contracts if c.current]

    @property
    def earlier_contracts(self) -> list[ContractInfo]:
        return [c for c in self.contracts if not c.current]

    @property
    def open_findings(self) -> list[FindingView]:
        return [f for f in self.findings if f.status == "open"]

    @property
    def decided_findings(self) -> list[FindingView]:
        return [f for f in self.findings if f.status != "open"]


# --------------------------------------------------------------------------------------------
# Text helpers


def business_duration(seconds: int) -> str:
    """Business time as 45 min, 4 h or 26 h 30 min: in hours, never in days
    (a business day is 9 hours on one calendar and 24 on another)."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return gettext("%(minutes)s min") % {"minutes": rest}
    if rest == 0:
        return gettext("%(hours)s h") % {"hours": formatting.number(hours)}
    return gettext("%(hours)s h %(minutes)s min") % {
        "hours": formatting.number(hours),
        "minutes": rest,
    }


def _params(condition: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in condition.items() if k not in ("key", "met")}


# --------------------------------------------------------------------------------------------
# The selector


def customer_overview(
    *,
    viewer: Viewer,
    customer_id: int,
    language: str | None = None,
    comments: int = COMMENTS_SHOWN,
) -> CustomerOverview | None:
    """Everything the customer page shows; None if the viewer may not see the customer (or
    it does not exist), so that the page answers 404 without telling which."""
    customer = (
        viewer.restrict(Customer.objects.filter(pk=customer_id), path="")
        .select_related("account_manager")
        .first()
    )
    if customer is None:
        return None
    with translation.override(language or translation.get_language()):
        return _overview(viewer, customer, max(1, min(comments, COMMENTS_MAX)))


def _overview(viewer: Viewer, customer: Customer, comment_limit: int) -> CustomerOverview:
    run = last_analysis()
    as_of = run.as_of if run is not None else None
    stored_months = list(
        CustomerPeriod.objects.filter(
            customer_id=customer.pk, period_kind=PeriodKind.MONTH
        ).order_by("period_start")
        if as_of is None
        else CustomerPeriod.objects.filter(
            customer_id=customer.pk,
            period_kind=PeriodKind.MONTH,
            period_start__gte=month_minus(as_of, MONTHS_SHOWN - 1),
            period_start__lte=as_of,
        ).order_by("period_start")
    )
    last = as_of or (stored_months[-1].period_start if stored_months else None)
    months = _months(stored_months, last)
    year = months[-YEAR_MONTHS:]
    quarters = _quarters(customer.pk, months, last)
    target = _sla_target(run.thresholds if run is not None else {})
    segment_row = CustomerSegment.objects.filter(customer_id=customer.pk).first()
    context = message_context(run)
    segment = _segment(segment_row, context)
    findings = customer_findings(
        viewer=viewer, customer_id=customer.pk, language=translation.get_language()
    )
    contracts, events = _contracts(customer, year, last)
    header = CustomerHeader(
        id=customer.pk,
        name=customer.name,
        status=customer.status,
        status_label=str(Customer.Status(customer.status).label)
        if customer.status in Customer.Status.values
        else customer.status,
        seats=customer.seats,
        endpoints=customer.endpoints,
        account_manager=(
            (customer.account_manager.get_full_name() or customer.account_manager.get_username())
            if customer.account_manager
            else ""
        ),
        customer_since=customer.customer_since,
        segment=segment,
        as_of=as_of,
    )
    trends = _trend_notes(customer.pk)
    return CustomerOverview(
        header=header,
        first_month=months[0].start if months else None,
        last_month=last,
        reliability=_reliability(viewer, customer, months, year, target),
        satisfaction=_satisfaction(customer, months, year, quarters, comment_limit),
        ledger=_ledger(
            months,
            year,
            _goodwill_notes(segment_row, findings, trends.get("goodwill_share", []), context),
        ),
        contact=_contact(months, year),
        profit=Profit(
            months=months,
            year=ProfitTotals.of(year),
            quarters=quarters[-QUARTERS_SHOWN:],
            notes=trends.get("margin_share", []),
        ),
        contracts=contracts,
        findings=findings,
        highlights=_highlights(customer),
        timeline=_timeline(contracts, events, last),
    )


def _figures(row: CustomerPeriod, complete: bool = True) -> PeriodFigures:
    return PeriodFigures(
        start=row.period_start,
        kind=row.period_kind,
        complete=complete,
        days_covered=row.days_covered,
        days_in_period=row.days_in_period,
        tickets=row.tickets,
        sla_response=Rate.stored(
            row.sla_response_met,
            row.sla_response_total,
            row.sla_response_share,
            row.sla_response_low,
            row.sla_response_high,
        ),
        sla_resolution=Rate.stored(
            row.sla_resolution_met,
            row.sla_resolution_total,
            row.sla_resolution_share,
            row.sla_resolution_low,
            row.sla_resolution_high,
        ),
        resolved=row.resolved,
        reopened=row.reopened,
        escalations=row.escalations,
        csat=Rate.stored(
            row.csat_positive, row.csat_responses, row.csat_share, row.csat_low, row.csat_high
        ),
        unhappy=Rate.stored(
            row.csat_negative,
            row.csat_responses,
            row.csat_unhappy_share,
            row.csat_unhappy_low,
            row.csat_unhappy_high,
        ),
        response=Rate.stored(
            row.surveys_answered,
            row.surveys_sent,
            row.response_share,
            row.response_low,
            row.response_high,
        ),
        hours_included=row.hours_included,
        hours_billed=row.hours_billed,
        hours_goodwill=row.hours_goodwill,
        hours_internal=row.hours_internal,
        goodwill_share=row.goodwill_share,
        goodwill_cost=row.goodwill_cost,
        out_of_scope_free_tickets=row.out_of_scope_free_tickets,
        out_of_scope_free_hours=row.out_of_scope_free_hours,
        out_of_scope_free_value=row.out_of_scope_free_value,
        contact_intensity=row.contact_intensity,
        interactions=row.interactions,
        special_requests=row.special_requests,
        revenue=row.revenue,
        revenue_extra=row.revenue_extra,
        labour_cost=row.labour_cost,
        direct_cost=row.direct_cost,
        cost_to_serve=row.cost_to_serve,
        margin=row.margin,
        margin_share=row.margin_share,
        hours_worked=row.hours_worked,
        effective_hourly_rate=row.effective_hourly_rate,
        nps_responses=row.nps_responses,
        nps_promoters=row.nps_promoters,
        nps_detractors=row.nps_detractors,
    )


def _months(rows: Sequence[CustomerPeriod], last: date | None) -> list[PeriodFigures]:
    """Every month from the customer's first stored one (within the window) to ``last``; a
    month without a row (no ticket, no time, no revenue) has zeros and "no data" shares."""
    if not rows or last is None:
        return []
    stored = {row.period_start: row for row in rows}
    first = max(rows[0].period_start, month_minus(last, MONTHS_SHOWN - 1))
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    result = []
    for back in range(count - 1, -1, -1):
        start = month_minus(last, back)
        row = stored.get(start)
        result.append(
            _figures(row) if row is not None else PeriodFigures(start, PeriodKind.MONTH, True)
        )
    return result


def _quarters(
    customer_id: int, months: Sequence[PeriodFigures], last: date | None
) -> list[PeriodFigures]:
    if not months or last is None:
        return []
    rows = CustomerPeriod.objects.filter(
        customer_id=customer_id,
        period_kind=PeriodKind.QUARTER,
        period_start__gte=quarter_start(months[0].start),
        period_start__lte=last,
    ).order_by("period_start")
    # The quarter that holds the "as of" month is not over yet unless that month ends it.
    return [_figures(row, complete=month_minus(row.period_start, -2) <= last) for row in rows]


def _sla_target(thresholds: object) -> float | None:
    if not isinstance(thresholds, dict):
        return None
    segments = thresholds.get("segments")
    if not isinstance(segments, dict):
        return None
    value = segments.get("sla_target")
    return float(value) if isinstance(value, int | float) else None


def _segment(row: CustomerSegment | None, context: messages.Context) -> SegmentInfo | None:
    if row is None:
        return None
    return SegmentInfo(
        key=row.segment,
        label=str(messages.SEGMENT_NAMES.get(row.segment, row.segment)),
        colour=SEGMENT_COLOURS.get(row.segment, SEGMENT_COLOURS["unclassified"]),
        reasons=[
            messages.render(c["key"], _params(c), row.window_end, context=context)
            for c in row.reasons
        ],
        movers=[
            messages.render(c["key"], _params(c), row.window_end, mover=True) for c in row.movers
        ],
        window_start=row.window_start,
        window_end=row.window_end,
        previous=row.previous_segment,
        previous_label=str(messages.SEGMENT_NAMES.get(row.previous_segment, ""))
        if row.previous_segment
        else "",
        window_label=formatting.quarter_window(row.window_start, row.window_end, context.coverage),
    )


# --------------------------------------------------------------------------------------------
# Reliability


def _reliability(
    viewer: Viewer,
    customer: Customer,
    months: list[PeriodFigures],
    year: list[PeriodFigures],
    target: float | None,
) -> Reliability:
    # The same rows, times and wording as the SLA page (selectors.sla), for this customer.
    filters = SlaFilters(customer_id=customer.pk)
    counts = sla_counts(viewer=viewer, filters=filters)
    events = breach_details(breach_rows(viewer=viewer, filters=filters)[:EVENTS_SHOWN])
    return Reliability(
        months=months,
        target=target,
        sla_response=Rate.of(
            sum(p.sla_response.successes for p in year), sum(p.sla_response.n for p in year)
        ),
        sla_resolution=Rate.of(
            sum(p.sla_resolution.successes for p in year), sum(p.sla_resolution.n for p in year)
        ),
        reopened=sum(p.reopened for p in year),
        resolved=sum(p.resolved for p in year),
        escalations=sum(p.escalations for p in year),
        events=events,
        events_total=counts.listed(filters),
        timezones=sorted({e.zone for e in events}),
    )


# --------------------------------------------------------------------------------------------
# Satisfaction


def _satisfaction(
    customer: Customer,
    months: list[PeriodFigures],
    year: list[PeriodFigures],
    quarters: list[PeriodFigures],
    comment_limit: int,
) -> Satisfaction:
    median = statistics.median(p.csat.n for p in year) if year else None
    by_quarter = median is None or median < MONTHLY_CSAT_MIN_MEDIAN
    answered = (
        SurveyAnswer.objects.filter(customer_id=customer.pk, answered_at__isnull=False)
        .exclude(comment="")
        .select_related("contact", "ticket")
    )
    total = answered.count()
    comments = [
        Comment(
            answered_at=row.answered_at,
            kind_label=str(SurveyAnswer.Kind(row.kind).label)
            if row.kind in SurveyAnswer.Kind.values
            else row.kind,
            score=row.score,
            scale_min=row.scale_min,
            scale_max=row.scale_max,
            contact=row.contact.name if row.contact else "",
            ticket_reference=(row.ticket.reference or f"#{row.ticket.pk}") if row.ticket else "",
            text=row.comment,
        )
        for row in answered.order_by("-answered_at", "-pk")[:comment_limit]
        if row.answered_at is not None
    ]
    return Satisfaction(
        periods=quarters if by_quarter else months,
        by_quarter=by_quarter,
        median_monthly_answers=float(median) if median is not None else None,
        csat=Rate.of(sum(p.csat.successes for p in year), sum(p.csat.n for p in year)),
        unhappy=Rate.of(sum(p.unhappy.successes for p in year), sum(p.unhappy.n for p in year)),
        response=Rate.of(sum(p.response.successes for p in year), sum(p.response.n for p in year)),
        nps=_nps(year),
        comments=comments,
        comments_total=total,
        comments_limit=comment_limit,
    )


def _nps(year: list[PeriodFigures]) -> NpsFigure | None:
    responses = sum(p.nps_responses for p in year)
    if responses == 0:
        return None
    promoters = sum(p.nps_promoters for p in year)
    detractors = sum(p.nps_detractors for p in year)
    score, low, high = nps_interval(
        np.array([promoters]), np.array([detractors]), np.array([responses])
    )
    return NpsFigure(
        score=float(score[0]),
        low=float(low[0]),
        high=float(high[0]),
        responses=responses,
        promoters=promoters,
        detractors=detractors,
        months=len(year),
    )


# --------------------------------------------------------------------------------------------
# Extra mile, contact, profit


def _ledger(months: list[PeriodFigures], year: list[PeriodFigures], notes: list[str]) -> Ledger:
    goodwill = sum(p.hours_goodwill for p in year)
    facing = sum(p.hours_facing for p in year)
    return Ledger(
        months=months,
        hours_goodwill=goodwill,
        hours_facing=facing,
        goodwill_share=goodwill / facing if facing else None,
        goodwill_cost=sum((p.goodwill_cost for p in year), Decimal("0")),
        out_of_scope_free_tickets=sum(p.out_of_scope_free_tickets for p in year),
        out_of_scope_free_hours=sum(p.out_of_scope_free_hours for p in year),
        out_of_scope_free_value=sum((p.out_of_scope_free_value for p in year), Decimal("0")),
        notes=notes,
    )


_GOODWILL_KINDS = ("goodwill_creeping", "goodwill_high")


def _goodwill_notes(
    row: CustomerSegment | None,
    findings: list[FindingView],
    trend_notes: list[str],
    context: messages.Context,
) -> list[str]:
    """Why goodwill matters here: the segment's goodwill conditions (creep, high), the same
    findings when the segment rules did not name them, then the latest quarter's trend."""
    notes: list[str] = []
    if row is not None:
        for condition in row.reasons:
            if condition.get("key") in _GOODWILL_KINDS and condition.get("met", True):
                notes.append(
                    messages.render(
                        condition["key"], _params(condition), row.window_end, context=context
                    )
                )
    for finding in findings:
        if finding.kind in _GOODWILL_KINDS and finding.text not in notes:
            notes.append(finding.text)
    return [capfirst(note) for note in [*notes, *trend_notes]]


def _contact(months: list[PeriodFigures], year: list[PeriodFigures]) -> ContactIntensity:
    known = [p for p in months if p.contact_intensity is not None]
    return ContactIntensity(
        months=months,
        interactions=sum(p.interactions for p in year),
        special_requests=sum(p.special_requests for p in year),
        tickets=sum(p.tickets for p in year),
        latest=known[-1].contact_intensity if known else None,
        latest_month=known[-1].start if known else None,
    )


_TREND_FIGURES: dict[str, object] = {
    "goodwill_share": _("Goodwill share"),
    "margin_share": _("Agreement margin"),
}


def _trend_notes(customer_id: int) -> dict[str, list[str]]:
    """The stored quarter trends of goodwill and margin as sentences, by figure."""
    rows = CustomerTrend.objects.filter(
        customer_id=customer_id,
        period_kind=PeriodKind.QUARTER,
        figure__in=list(_TREND_FIGURES),
    ).order_by("figure", "-period_start", "baseline")
    notes: dict[str, list[str]] = {}
    latest: dict[str, date] = {}
    for row in rows:
        # Only the latest quarter's comparisons: older ones are history the chart shows.
        if latest.setdefault(row.figure, row.period_start) != row.period_start:
            continue
        # An unchanged figure (often 0% against 0%) says nothing worth a line.
        if row.value is None or row.reference is None or row.value == row.reference:
            continue
        notes.setdefault(row.figure, []).append(
            gettext("%(figure)s %(value)s in %(period)s, against %(reference)s in %(before)s.")
            % {
                "figure": str(_TREND_FIGURES[row.figure]),
                "value": formatting.percent(row.value),
                "period": formatting.quarter(row.period_start),
                "reference": formatting.percent(row.reference),
                "before": formatting.quarter(row.reference_start),
            }
        )
    return notes


# --------------------------------------------------------------------------------------------
# Contracts, catalogue, history


def _contracts(
    customer: Customer, year: list[PeriodFigures], last: date | None
) -> tuple[list[ContractInfo], dict[int, list[ContractEvent]]]:
    """The customer's contracts with policy, targets and catalogue, and their events by
    contract id (prefetched here, listed in the timeline)."""
    contracts = list(
        Contract.objects.filter(customer_id=customer.pk)
        .select_related("sla_policy__calendar")
        .prefetch_related(
            "sla_policy__targets",
            Prefetch("catalogue", queryset=CatalogueItem.objects.order_by("name")),
            Prefetch("events", queryset=ContractEvent.objects.order_by("occurred_on")),
        )
        .order_by("-start_date", "pk")
    )
    counts = _item_counts(customer, year)
    result = []
    events: dict[int, list[ContractEvent]] = {}
    for contract in contracts:
        events[contract.pk] = list(contract.events.all())
        items = [
            ItemInfo(
                id=item.pk,
                code=item.code,
                name=item.name,
                included=item.included,
                rate=item.rate,
                unit_label=str(CatalogueItem.Unit(item.unit).label)
                if item.unit in CatalogueItem.Unit.values
                else item.unit,
                tickets=counts.get(item.pk, (0, 0))[0],
                free_out_of_scope=0 if item.included else counts.get(item.pk, (0, 0))[1],
            )
            for item in contract.catalogue.all()
        ]
        policy = contract.sla_policy
        result.append(
            ContractInfo(
                id=contract.pk,
                name=contract.name,
                kind_label=str(Contract.Kind(contract.kind).label)
                if contract.kind in Contract.Kind.values
                else contract.kind,
                status=contract.status,
                status_label=str(Contract.Status(contract.status).label)
                if contract.status in Contract.Status.values
                else contract.status,
                monthly_fee=contract.monthly_fee,
                included_hours=contract.included_hours_per_month,
                hourly_rate=contract.hourly_rate,
                start=contract.start_date,
                end=contract.end_date,
                renewal=contract.renewal_date,
                notice_period_days=contract.notice_period_days,
                notice_by=(
                    contract.renewal_date - timedelta(days=contract.notice_period_days)
                    if contract.renewal_date
                    else None
                ),
                auto_renew=contract.auto_renew,
                current=contract.status != Contract.Status.ENDED
                and (contract.end_date is None or last is None or contract.end_date >= last),
                policy=PolicyInfo(
                    name=policy.name,
                    calendar=policy.calendar.name,
                    timezone=policy.calendar.timezone,
                    targets=[
                        SlaTargetInfo(
                            priority_label=str(Priority(t.priority).label)
                            if t.priority in Priority.values
                            else f"P{t.priority}",
                            first_response_minutes=t.first_response_minutes,
                            resolution_minutes=t.resolution_minutes,
                        )
                        for t in sorted(policy.targets.all(), key=lambda t: t.priority)
                    ],
                )
                if policy is not None
                else None,
                included_items=[i for i in items if i.included],
                extra_items=[i for i in items if not i.included],
            )
        )
    return result, events


def _month_start_instant(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)


def _item_counts(customer: Customer, year: list[PeriodFigures]) -> dict[int, tuple[int, int]]:
    """Tickets of the last 12 months per catalogue item (recorded, else mapped by the
    analysis), and how many of them got work booked free (goodwill or as included)."""
    if not year:
        return {}
    # Months are cut in the provider's zone (ARCHITECTURE.md), like the stored periods.
    start = _month_start_instant(year[0].start)
    end = _month_start_instant(month_minus(year[-1].start, -1))
    free_work = TimeEntry.objects.filter(
        ticket_id=OuterRef("pk"),
        billing__in=[TimeEntry.Billing.GOODWILL, TimeEntry.Billing.INCLUDED],
    )
    rows = (
        Ticket.objects.filter(customer_id=customer.pk, created_at__gte=start, created_at__lt=end)
        .annotate(item=Coalesce("catalogue_item_id", "scope__catalogue_item_id"))
        .exclude(item__isnull=True)
        .values("item")
        .annotate(tickets=Count("pk"), free=Count("pk", filter=Q(Exists(free_work))))
    )
    return {int(row["item"]): (int(row["tickets"]), int(row["free"])) for row in rows}


def _highlights(customer: Customer) -> list[HighlightInfo]:
    return [
        HighlightInfo(
            day=row.occurred_on,
            title=row.title,
            description=row.description,
            ticket_reference=(row.ticket.reference or f"#{row.ticket.pk}") if row.ticket else "",
        )
        for row in Highlight.objects.filter(customer_id=customer.pk)
        .select_related("ticket")
        .order_by("-occurred_on", "-pk")
    ]


def _timeline(
    contracts: list[ContractInfo], events: dict[int, list[ContractEvent]], last: date | None
) -> list[TimelineEntry]:
    """Contract starts, events, ends, notice deadlines and renewals, newest first."""
    # Dates after the "as of" month are still to come: deadlines to act on.
    horizon = month_minus(last, -1) if last else date.max
    dated: list[tuple[date, str, str, ContractInfo, Decimal | None, str]] = []
    for contract in contracts:
        dated.append((contract.start, "start", gettext("contract started"), contract, None, ""))
        for event in events.get(contract.id, []):
            label = (
                str(ContractEvent.Kind(event.kind).label)
                if event.kind in ContractEvent.Kind.values
                else event.kind
            )
            dated.append(
                (
                    event.occurred_on,
                    event.kind,
                    label,
                    contract,
                    event.monthly_fee_change,
                    event.note,
                )
            )
        if contract.end is not None:
            dated.append((contract.end, "end", gettext("contract ends"), contract, None, ""))
        elif contract.renewal is not None and contract.status == Contract.Status.ACTIVE:
            if contract.notice_by is not None and contract.notice_by >= horizon:
                notice = gettext("last day to give notice")
                dated.append((contract.notice_by, "notice", notice, contract, None, ""))
            dated.append((contract.renewal, "renewal", gettext("renewal date"), contract, None, ""))
    entries = [
        TimelineEntry(
            day=day,
            kind=kind,
            label=label,
            contract=contract.name,
            fee_change=fee,
            note=note,
            upcoming=day >= horizon,
        )
        for day, kind, label, contract, fee, note in dated
    ]
    entries.sort(key=lambda e: (e.day, e.kind), reverse=True)
    return entries
