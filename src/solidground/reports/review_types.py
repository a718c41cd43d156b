"""What a service review shows, as dataclasses (``reports.selectors.customer_review`` fills
them; ``reports.selectors`` re-exports them), and how long its lists are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext

from solidground.insights.selectors.customer import (
    Comment,
    ContractInfo,
    CustomerOverview,
    HighlightInfo,
    PeriodFigures,
    SegmentInfo,
)
from solidground.insights.selectors.findings import FindingView
from solidground.insights.selectors.sla import SlaRow
from solidground.reports.periods import ReportPeriod

# A review is read in a meeting: the lists stay short and say how many more there are.
BREACHES_SHOWN = 12
COMMENTS_SHOWN = 6
# The charts show the year up to the period's last month.
CHART_MONTHS = 12


# --------------------------------------------------------------------------------------------
# Dataclasses


@dataclass(frozen=True)
class Trend:
    """One figure against an earlier period, worded as its test allows."""

    figure: str  # the figure's name in the reader's language
    baseline: str  # "previous" or "year_before"
    text: str
    significant: bool | None  # None: no test (hours, money) or nothing to compare


@dataclass(frozen=True)
class ItemWork:
    """Work of the period on one catalogue item (or on tickets mapped to none)."""

    name: str
    included: bool | None  # None: the ticket is mapped to no catalogue item
    tickets: int
    hours_included: float
    hours_billed: float
    hours_goodwill: float
    goodwill_value: Decimal | None  # goodwill hours at the item's (else contract's) rate

    @property
    def hours(self) -> float:
        return self.hours_included + self.hours_billed + self.hours_goodwill


@dataclass(frozen=True)
class ScopeNote:
    """Requests outside the contract that were done free, and the proposal for them."""

    item: str
    tickets: int
    hours: float
    value: Decimal | None
    rate: Decimal | None  # the catalogue rate per hour (None: the item has none)


@dataclass(frozen=True)
class BusinessHours:
    calendar: str
    timezone: str
    lines: list[str]  # "Mon–Fri 08:00–17:00"


@dataclass(frozen=True)
class CustomerReview:
    """Everything one review shows. ``internal`` adds what the customer never reads."""

    customer_id: int
    customer_name: str
    period: ReportPeriod
    internal: bool
    as_of: date | None
    complete: bool  # False: the period is still running at the analysis' last month
    figures: PeriodFigures | None  # None: no stored figures for the period
    previous: PeriodFigures | None
    year_before: PeriodFigures | None
    contracts: list[ContractInfo]  # in force during the period, newest first
    business_hours: BusinessHours | None
    breaches: list[SlaRow]
    breaches_total: int
    comments: list[Comment]
    comments_total: int
    work: list[ItemWork]
    scope_notes: list[ScopeNote]
    highlights: list[HighlightInfo]
    trends: list[Trend]
    next_steps: list[str]
    missing: list[str]  # plain sentences: which parts of the review have no data
    chart_months: list[PeriodFigures]  # the year up to the period's end, for the charts
    overview: CustomerOverview = field(repr=False)
    # The internal version only (empty in the customer's).
    segment: SegmentInfo | None = None
    findings: list[FindingView] = field(default_factory=list)
    agenda: list[str] = field(default_factory=list)
    internal_trends: list[Trend] = field(default_factory=list)

    @property
    def contract(self) -> ContractInfo | None:
        return self.contracts[0] if self.contracts else None

    @property
    def work_total(self) -> ItemWork:
        return ItemWork(
            name=gettext("Total"),
            included=None,
            tickets=sum(w.tickets for w in self.work),
            hours_included=sum(w.hours_included for w in self.work),
            hours_billed=sum(w.hours_billed for w in self.work),
            hours_goodwill=sum(w.hours_goodwill for w in self.work),
            goodwill_value=(
                sum((w.goodwill_value or Decimal("0") for w in self.work), Decimal("0"))
                if any(w.goodwill_value is not None for w in self.work)
                else None
            ),
        )

    @property
    def more_breaches(self) -> int:
        return max(0, self.breaches_total - len(self.breaches))

    @property
    def has_data(self) -> bool:
        return self.figures is not None
