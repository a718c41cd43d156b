"""The customer page's dataclasses (``customer.customer_overview`` fills them) and its sizes.

The chart builders in ``insights.charts.customer`` and the quarterly report take these
dataclasses; import them from ``insights.selectors.customer``, which re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext

from solidground.engine.stats import NPS_SMALL_N
from solidground.insights import formatting
from solidground.insights.models import PeriodKind
from solidground.insights.selectors.common import Rate
from solidground.insights.selectors.findings import FindingView
from solidground.insights.selectors.sla import SlaRow
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

    @classmethod
    def of_answer(
        cls, row: SurveyAnswer, *, answered_at: datetime, contact: str, text: str
    ) -> Comment:
        """A stored answer as a comment (the customer page's and the service review's)."""
        kinds = SurveyAnswer.Kind
        return cls(
            answered_at=answered_at,
            kind_label=str(kinds(row.kind).label) if row.kind in kinds.values else row.kind,
            score=row.score,
            scale_min=row.scale_min,
            scale_max=row.scale_max,
            contact=contact,
            ticket_reference=(row.ticket.reference or f"#{row.ticket.pk}") if row.ticket else "",
            text=text,
        )

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
