"""What a service review says, read from stored results (docs/reports.md).

``customer_review`` gathers one customer and period for the customer version and, with
``internal=True``, the provider's version. It starts from the customer page's selector
(``insights.selectors.customer.customer_overview``: header, segment, contracts, findings,
highlights, the months the charts draw) and adds what only a review needs: the stored figures
of the period itself and of the periods it is compared with, the period's SLA breaches, its
comments, and its work by catalogue item. Nothing is analysed here: shares come with the
intervals the analysis stored, trends are the stored ``CustomerTrend`` rows where the analysis
kept them, and only sums of stored rows are added up.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop, ngettext

from solidground.accounts.selectors import Viewer
from solidground.contracts.models import CalendarWindow, CatalogueItem
from solidground.customers.models import Customer
from solidground.engine.periods import hhmm
from solidground.engine.stats import newcombe_difference, poisson_rate_test
from solidground.insights import formatting
from solidground.insights.models import CustomerPeriod, CustomerTrend, PeriodKind
from solidground.insights.selectors.common import Rate, last_analysis, month_minus
from solidground.insights.selectors.customer import (
    Comment,
    ContractInfo,
    CustomerOverview,
    HighlightInfo,
    PeriodFigures,
    SegmentInfo,
    _figures,
    customer_overview,
)
from solidground.insights.selectors.findings import FindingView
from solidground.insights.selectors.sla import (
    BREACHED,
    SlaFilters,
    SlaRow,
    breach_details,
    breach_rows,
    sla_counts,
)
from solidground.insights.selectors.sla import Period as SlaPeriod
from solidground.reports.periods import (
    ReportInputError,
    ReportPeriod,
    last_complete_quarter,
    parse_period,
)
from solidground.service.models import TimeEntry
from solidground.surveys.models import SurveyAnswer

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


# --------------------------------------------------------------------------------------------
# The selector


def find_customer(*, viewer: Viewer, text: str) -> Customer:
    """The customer a user names on the command line: an id, or the exact name (any case)."""
    visible = viewer.restrict(Customer.objects, path="")
    text = text.strip()
    found = (
        visible.filter(pk=int(text)).first()
        if text.isdigit()
        else visible.filter(name__iexact=text).first()
    )
    if found is None:
        raise ReportInputError(
            gettext(
                "No customer “%(text)s”: give the customer's id or its exact name "
                "(`solidground portfolio` lists them)."
            )
            % {"text": text[:80]}
        )
    return found


def check_period(period: ReportPeriod, *, today: date) -> date:
    """The analysis' last month, if ``period`` has analysed figures; else a clear error."""
    run = last_analysis()
    as_of = run.as_of if run is not None else None
    if period.start > date(today.year, today.month, 1):
        raise ReportInputError(
            gettext("%(period)s is in the future: a review can only speak of months that are over.")
            % {"period": period.label}
        )
    if as_of is None:
        raise ReportInputError(
            gettext("There are no analysis results yet; run `solidground analyze` first.")
        )
    if period.start > as_of:
        raise ReportInputError(
            gettext(
                "%(period)s has no analysed figures yet: the last analysis covers up to "
                "%(month)s; run `solidground analyze` after the period's data is imported."
            )
            % {"period": period.label, "month": formatting.month(as_of)}
        )
    return as_of


def review_period(text: str, *, today: date) -> ReportPeriod:
    """The period a user asks for (``2026Q3``, ``2026-07``), else the last complete quarter of
    the last analysis; checked with ``check_period``."""
    if text:
        period = parse_period(text)
    else:
        run = last_analysis()
        if run is None or run.as_of is None:
            raise ReportInputError(
                gettext("There are no analysis results yet; run `solidground analyze` first.")
            )
        period = last_complete_quarter(run.as_of)
    check_period(period, today=today)
    return period


def customer_review(
    *,
    viewer: Viewer,
    customer_id: int,
    period: ReportPeriod,
    internal: bool = False,
    language: str | None = None,
) -> CustomerReview | None:
    """One customer's review of ``period``; None if the viewer may not see the customer."""
    with translation.override(language or translation.get_language()):
        overview = customer_overview(viewer=viewer, customer_id=customer_id, comments=1)
        if overview is None:
            return None
        return _review(viewer, overview, period, internal)


def _review(
    viewer: Viewer, overview: CustomerOverview, period: ReportPeriod, internal: bool
) -> CustomerReview:
    customer_id = overview.header.id
    as_of = overview.header.as_of
    stored = _stored_periods(customer_id, period)
    figures = stored.get(period.start)
    previous = stored.get(period.previous.start)
    year_before = stored.get(period.year_before.start)
    complete = as_of is None or period.last_month <= as_of
    if figures is not None and not complete:
        figures = dataclasses.replace(figures, complete=False)
    contracts = _contracts_in(overview.contracts, period)
    policy = next((c.policy for c in contracts if c.policy is not None), None)
    breaches, breaches_total = _breaches(viewer, customer_id, period)
    comments, comments_total = _comments(customer_id, period)
    work = _work(customer_id, period, contracts)
    scope = _scope_notes(work, contracts)
    highlights = [h for h in overview.highlights if period.contains(h.day)]
    trends = _trends(customer_id, period, figures, previous, year_before, _CUSTOMER_FIGURES)
    missing = _missing(period, figures, contracts, comments_total)
    review = CustomerReview(
        customer_id=customer_id,
        customer_name=overview.header.name,
        period=period,
        internal=internal,
        as_of=as_of,
        complete=complete,
        figures=figures,
        previous=previous,
        year_before=year_before,
        contracts=contracts,
        business_hours=_business_hours(policy.calendar, policy.timezone) if policy else None,
        breaches=breaches,
        breaches_total=breaches_total,
        comments=comments,
        comments_total=comments_total,
        work=work,
        scope_notes=scope,
        highlights=highlights,
        trends=trends,
        next_steps=_next_steps(figures, scope, breaches_total, contracts, period, as_of),
        missing=missing,
        chart_months=[m for m in overview.reliability.months if m.start <= period.last_month][
            -CHART_MONTHS:
        ],
        overview=overview,
    )
    if not internal:
        return review
    findings = overview.open_findings
    return dataclasses.replace(
        review,
        segment=overview.header.segment,
        findings=findings,
        agenda=_agenda(review, overview.header.segment, findings),
        internal_trends=_trends(
            customer_id, period, figures, previous, year_before, _INTERNAL_FIGURES
        ),
    )


def _stored_periods(customer_id: int, period: ReportPeriod) -> dict[date, PeriodFigures]:
    """The stored rows of the period, the one before and the one a year before."""
    starts = [period.start, period.previous.start, period.year_before.start]
    rows = CustomerPeriod.objects.filter(
        customer_id=customer_id, period_kind=period.kind, period_start__in=starts
    )
    return {row.period_start: _figures(row) for row in rows}


def _contracts_in(contracts: list[ContractInfo], period: ReportPeriod) -> list[ContractInfo]:
    """Contracts in force at some time during the period, the one in force longest first."""
    last_day = period.end
    running = [
        c for c in contracts if c.start < last_day and (c.end is None or c.end >= period.start)
    ]
    return sorted(running, key=lambda c: (c.end is not None, -c.start.toordinal()))


def _weekday(index: int) -> str:
    return str(WEEKDAYS_ABBR[index])


def _business_hours(calendar: str, timezone: str) -> BusinessHours:
    """The calendar's weekly windows as lines, consecutive weekdays with equal hours joined."""
    windows: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in CalendarWindow.objects.filter(calendar__name=calendar).order_by(
        "weekday", "start_minute"
    ):
        windows[row.weekday].append((row.start_minute, row.end_minute))
    lines = []
    day = 0
    while day < 7:
        if day not in windows:
            day += 1
            continue
        last = day
        while last + 1 < 7 and windows.get(last + 1) == windows[day]:
            last += 1
        days = _weekday(day) if last == day else f"{_weekday(day)}–{_weekday(last)}"
        hours = ", ".join(f"{hhmm(a)}–{hhmm(b)}" for a, b in windows[day])
        lines.append(f"{days} {hours}")
        day = last + 1
    return BusinessHours(calendar=calendar, timezone=timezone, lines=lines)


def _breaches(viewer: Viewer, customer_id: int, period: ReportPeriod) -> tuple[list[SlaRow], int]:
    """The period's breached clocks (tickets created in it), as the SLA page lists them."""
    sla_period = SlaPeriod(period.key, period.start, period.end)
    filters = SlaFilters(customer_id=customer_id, period=sla_period, state=BREACHED)
    total = sla_counts(viewer=viewer, filters=filters).listed(filters)
    rows = breach_details(breach_rows(viewer=viewer, filters=filters)[:BREACHES_SHOWN])
    return sorted(rows, key=lambda r: (r.due is None, r.due)), total


def _comments(customer_id: int, period: ReportPeriod) -> tuple[list[Comment], int]:
    """At most COMMENTS_SHOWN comments of the period, chosen by a rule that keeps the mix.

    The rule (docs/reports.md): the comments are split into unhappy (the lower half of the
    survey's scale) and the others; each group gets places in proportion to its size, an
    unhappy group that exists gets at least one, and within a group the newest are shown.
    The score never decides alone which comment is shown.
    """
    start, end = period.bounds()
    rows = list(
        SurveyAnswer.objects.filter(
            customer_id=customer_id, answered_at__gte=start, answered_at__lt=end
        )
        .exclude(comment="")
        .select_related("ticket")
        .order_by("-answered_at", "-pk")
    )
    comments = [
        Comment(
            answered_at=row.answered_at,
            kind_label=str(SurveyAnswer.Kind(row.kind).label)
            if row.kind in SurveyAnswer.Kind.values
            else row.kind,
            score=row.score,
            scale_min=row.scale_min,
            scale_max=row.scale_max,
            contact="",  # the review names no one: it goes to the customer's management
            ticket_reference=(row.ticket.reference or f"#{row.ticket.pk}") if row.ticket else "",
            text=row.comment.strip(),
        )
        for row in rows
        if row.answered_at is not None
    ]
    chosen = choose_comments(comments, COMMENTS_SHOWN)
    return chosen, len(comments)


def choose_comments(comments: list[Comment], limit: int) -> list[Comment]:
    """The rule of ``_comments`` on a list ordered newest first; the result newest first."""
    if len(comments) <= limit:
        return comments
    unhappy = [c for c in comments if c.unhappy]
    others = [c for c in comments if not c.unhappy]
    places = round(limit * len(unhappy) / len(comments))
    if unhappy and places == 0:
        places = 1
    places = min(places, len(unhappy), limit)
    chosen = unhappy[:places] + others[: limit - places]
    return sorted(chosen, key=lambda c: c.answered_at, reverse=True)


def _work(customer_id: int, period: ReportPeriod, contracts: list[ContractInfo]) -> list[ItemWork]:
    """Hours of the period by catalogue item and billing, and the tickets they were on.

    Time entries are counted in the month they started (provider's zone), as the analysis
    counts them; a ticket's item is the recorded one, else the analysis' mapping.
    """
    start, end = period.bounds()
    item = Coalesce("ticket__catalogue_item_id", "ticket__scope__catalogue_item_id")
    rows = (
        TimeEntry.objects.filter(customer_id=customer_id, started_at__gte=start, started_at__lt=end)
        .exclude(billing=TimeEntry.Billing.INTERNAL)
        .annotate(item=item)
        .values("item", "billing")
        .annotate(minutes=Sum("minutes"))
    )
    minutes: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        minutes[row["item"]][row["billing"]] += int(row["minutes"] or 0)
    ticket_rows = (
        TimeEntry.objects.filter(
            customer_id=customer_id,
            started_at__gte=start,
            started_at__lt=end,
            ticket__isnull=False,
        )
        .exclude(billing=TimeEntry.Billing.INTERNAL)
        .annotate(item=item)
        .values("item", "ticket_id")
        .distinct()
    )
    tickets: dict[int | None, int] = defaultdict(int)
    for worked in ticket_rows:
        tickets[worked["item"]] += 1
    ids = [key for key in minutes if key is not None]
    items = {i.pk: i for i in CatalogueItem.objects.filter(pk__in=ids)}
    hourly = next((c.hourly_rate for c in contracts if c.hourly_rate), None)
    work = []
    for key, by_billing in minutes.items():
        catalogue = items.get(key) if key is not None else None
        goodwill = by_billing.get(TimeEntry.Billing.GOODWILL, 0) / 60
        rate = (catalogue.rate if catalogue is not None else None) or hourly
        work.append(
            ItemWork(
                name=catalogue.name
                if catalogue is not None
                else gettext("Not mapped to the catalogue"),
                included=catalogue.included if catalogue is not None else None,
                tickets=tickets.get(key, 0),
                hours_included=by_billing.get(TimeEntry.Billing.INCLUDED, 0) / 60,
                hours_billed=by_billing.get(TimeEntry.Billing.BILLED, 0) / 60,
                hours_goodwill=goodwill,
                goodwill_value=(Decimal(str(goodwill)) * rate).quantize(Decimal("0.01"))
                if rate is not None and goodwill
                else None,
            )
        )
    # Unmapped work last; the rest by hours.
    work.sort(key=lambda w: (w.included is None, -w.hours, w.name))
    return work


def _scope_notes(work: list[ItemWork], contracts: list[ContractInfo]) -> list[ScopeNote]:
    """Items the contract bills extra on which work was done free, with their rates."""
    rates = {i.name: i.rate for c in contracts for i in c.extra_items}
    return [
        ScopeNote(
            item=w.name,
            tickets=w.tickets,
            hours=w.hours_goodwill,
            value=w.goodwill_value,
            rate=rates.get(w.name),
        )
        for w in work
        if w.included is False and w.hours_goodwill > 0
    ]


# --------------------------------------------------------------------------------------------
# Trends


@dataclass(frozen=True)
class _Figure:
    key: str  # the figure's name in CustomerTrend
    label: str  # gettext_noop'd English name, translated when used
    share: str | None = None  # PeriodFigures attribute (a Rate) for shares
    count: str | None = None  # PeriodFigures attribute for counts
    amount: str | None = None  # PeriodFigures attribute for amounts (no test)
    money: bool = False


_CUSTOMER_FIGURES = (
    _Figure("sla_response", gettext_noop("First response in time"), share="sla_response"),
    _Figure("sla_resolution", gettext_noop("Resolution in time"), share="sla_resolution"),
    _Figure("csat", gettext_noop("Satisfaction (CSAT)"), share="csat"),
    _Figure("tickets", gettext_noop("Tickets"), count="tickets"),
)
_INTERNAL_FIGURES = (
    _Figure("goodwill_share", gettext_noop("Goodwill share"), amount="goodwill_share"),
    _Figure("margin_share", gettext_noop("Agreement margin"), amount="margin_share"),
    _Figure(
        "effective_hourly_rate",
        gettext_noop("Effective hourly rate"),
        amount="effective_hourly_rate",
        money=True,
    ),
)


def _trends(
    customer_id: int,
    period: ReportPeriod,
    figures: PeriodFigures | None,
    previous: PeriodFigures | None,
    year_before: PeriodFigures | None,
    wanted: tuple[_Figure, ...],
) -> list[Trend]:
    """Each figure against the period before and the year before.

    The analysis stores these comparisons for each customer's latest complete month and
    quarter (``CustomerTrend``); they are used as stored. For an earlier period the same test
    (Newcombe for shares, the Poisson rate test for counts) is applied to the stored counts.
    """
    if figures is None:
        return []
    stored = {
        (row.figure, row.baseline): row
        for row in CustomerTrend.objects.filter(
            customer_id=customer_id,
            period_kind=period.kind,
            period_start=period.start,
            figure__in=[f.key for f in wanted],
        )
    }
    result = []
    for figure in wanted:
        for baseline, reference in (
            (CustomerTrend.Baseline.PREVIOUS, previous),
            (CustomerTrend.Baseline.YEAR_BEFORE, year_before),
        ):
            result.append(
                _trend(figure, baseline, figures, reference, stored.get((figure.key, baseline)))
            )
    return result


def _value_text(figure: _Figure, value: float | Decimal | None) -> str:
    if value is None:
        return gettext("no data")
    if figure.count is not None:
        return formatting.count(int(value))
    if figure.money:
        return formatting.money(value, 2)
    return formatting.percent(float(value))


def _trend(
    figure: _Figure,
    baseline: str,
    now: PeriodFigures,
    before: PeriodFigures | None,
    stored: CustomerTrend | None,
) -> Trend:
    label = gettext(figure.label)
    before_label = _period_label(before) if before else ""
    if before is None:
        start = now.start
        text = gettext("%(figure)s: nothing to compare with (no figures for %(before)s).") % {
            "figure": label,
            "before": _period_label_of(now, baseline, start),
        }
        return Trend(label, baseline, text, None)
    value, reference, significant = _compare(figure, now, before, stored)
    parts = {
        "figure": label,
        "value": _value_text(figure, value),
        "reference": _value_text(figure, reference),
        "period": _period_label(now),
        "before": before_label,
    }
    if value is None or reference is None:
        text = gettext("%(figure)s: no comparison (no data in %(period)s or %(before)s).") % parts
        return Trend(label, baseline, text, None)
    if significant is None:
        text = (
            gettext(
                "%(figure)s: %(value)s in %(period)s against %(reference)s in %(before)s "
                "(no statistical test for hours and money)."
            )
            % parts
        )
    elif significant and value > reference:
        text = gettext("%(figure)s rose from %(reference)s in %(before)s to %(value)s.") % parts
    elif significant:
        text = gettext("%(figure)s fell from %(reference)s in %(before)s to %(value)s.") % parts
    else:
        text = (
            gettext(
                "%(figure)s: %(value)s against %(reference)s in %(before)s, within what chance "
                "explains: no change."
            )
            % parts
        )
    return Trend(label, baseline, text, significant)


def _period_label(p: PeriodFigures) -> str:
    return p.label


def _period_label_of(now: PeriodFigures, baseline: str, start: date) -> str:
    step = 3 if now.kind == PeriodKind.QUARTER else 1
    back = step if baseline == CustomerTrend.Baseline.PREVIOUS else 12
    shifted = month_minus(start, back)
    return (
        formatting.quarter(shifted) if now.kind == PeriodKind.QUARTER else formatting.month(shifted)
    )


def _compare(
    figure: _Figure, now: PeriodFigures, before: PeriodFigures, stored: CustomerTrend | None
) -> tuple[float | None, float | None, bool | None]:
    """Value, reference and significance: the stored trend if there is one, else the same
    test on the stored counts."""
    if figure.share is not None:
        a: Rate = getattr(now, figure.share)
        b: Rate = getattr(before, figure.share)
        if stored is not None:
            return stored.value, stored.reference, stored.significant
        if a.share is None or b.share is None:
            return a.share, b.share, None
        result = newcombe_difference(a.successes, a.n, b.successes, b.n)
        return a.share, b.share, bool(np.asarray(result.significant).item())
    if figure.count is not None:
        x, y = getattr(now, figure.count), getattr(before, figure.count)
        if stored is not None:
            return stored.value, stored.reference, stored.significant
        days_now, days_before = _days(now), _days(before)
        _ratio, p_value = poisson_rate_test(x, days_now, y, days_before)
        p = float(np.asarray(p_value).item())
        return float(x), float(y), (not math.isnan(p)) and p < 0.05
    value = getattr(now, figure.amount or "")
    reference = getattr(before, figure.amount or "")
    return (
        float(value) if value is not None else None,
        float(reference) if reference is not None else None,
        None,
    )


def _days(p: PeriodFigures) -> float:
    months = 3 if p.kind == PeriodKind.QUARTER else 1
    return float((month_minus(p.start, -months) - p.start).days)


# --------------------------------------------------------------------------------------------
# What has no data, next steps, agenda


def _missing(
    period: ReportPeriod,
    figures: PeriodFigures | None,
    contracts: list[ContractInfo],
    comments: int,
) -> list[str]:
    label = {"period": period.label}
    if figures is None:
        return [gettext("There are no stored figures for %(period)s.") % label]
    missing = []
    if not contracts:
        missing.append(
            gettext(
                "No contract is on record for %(period)s: there are no agreed targets, and "
                "work cannot be told apart as included or outside the contract."
            )
            % label
        )
    if figures.tickets == 0:
        missing.append(gettext("No tickets were opened in %(period)s.") % label)
    elif figures.sla_response.n == 0 and figures.sla_resolution.n == 0:
        missing.append(gettext("No SLA clock was measured in %(period)s.") % label)
    if figures.csat.n == 0:
        missing.append(
            gettext("No satisfaction answers in %(period)s: satisfaction is unknown, not assumed.")
            % label
        )
    elif comments == 0:
        missing.append(gettext("No answer in %(period)s came with a comment.") % label)
    if figures.hours_facing == 0:
        missing.append(gettext("No work was booked in %(period)s.") % label)
    return missing


def _next_steps(
    figures: PeriodFigures | None,
    scope: list[ScopeNote],
    breaches: int,
    contracts: list[ContractInfo],
    period: ReportPeriod,
    as_of: date | None,
) -> list[str]:
    """What both sides agree to do next, from the review's own facts (no internal figures)."""
    if figures is None:
        return []
    steps = []
    if scope:
        steps.append(
            gettext("Agree how requests outside the contract are handled from now on: %(items)s.")
            % {"items": ", ".join(f"“{note.item}”" for note in scope)}
        )
    if breaches:
        steps.append(
            ngettext(
                "Go through the %(n)s breached SLA target together, and what we changed.",
                "Go through the %(n)s breached SLA targets together, and what we changed.",
                breaches,
            )
            % {"n": breaches}
        )
    if figures.csat.n == 0 or (figures.response.share is not None and figures.response.share < 0.1):
        steps.append(
            gettext(
                "Ask your team to answer the short survey after a ticket: without answers we "
                "cannot tell how our work is received."
            )
        )
    for contract in contracts:
        if contract.renewal and contract.notice_by and as_of and period.end <= contract.notice_by:
            steps.append(
                gettext("Talk about the contract's renewal on %(renewal)s (notice by %(notice)s).")
                % {
                    "renewal": date_format(contract.renewal, "DATE_FORMAT"),
                    "notice": date_format(contract.notice_by, "DATE_FORMAT"),
                }
            )
            break
    if not steps:
        steps.append(gettext("Keep the service as it is; we meet again next quarter."))
    return steps


def _agenda(
    review: CustomerReview, segment: SegmentInfo | None, findings: list[FindingView]
) -> list[str]:
    """The internal agenda for the review meeting: what the data asks to talk about."""
    agenda = []
    if segment is not None and segment.changed:
        agenda.append(
            gettext("Why the customer moved from “%(before)s” to “%(now)s”.")
            % {"before": segment.previous_label, "now": segment.label}
        )
    seen: set[str] = set()
    for finding in findings:
        if finding.recommendation_text and finding.recommendation_text not in seen:
            seen.add(finding.recommendation_text)
            agenda.append(f"{finding.recommendation_text} ({finding.text})")
    agenda.extend(review.next_steps)
    return agenda
