"""SLA breaches and near-breaches, one row per ticket and clock, for the SLA page and its CSV.

The analysis stores these clocks in ``SlaEvent`` (one row per ticket and clock, with the
ticket's customer, priority and creation time): filtering, ordering, counting and paging happen
there, in the database, over a few percent of the tickets. Only the rows of one page (or one
export chunk) are then joined to their tickets for customer, subject, calendar and times.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils.formats import date_format
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from solidground.accounts.selectors import Viewer
from solidground.contracts.models import Priority
from solidground.customers.models import Customer
from solidground.engine.periods import add_months, quarter_start
from solidground.insights.models import CustomerPeriod, PeriodKind, SlaEvent, TicketSla
from solidground.insights.selectors.common import cached, last_analysis, month_minus
from solidground.service.models import Ticket

PAGE_SIZE = 50
# Rows fetched per round trip when exporting: one detail query per chunk, never per row.
EXPORT_CHUNK = 2000

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
KINDS: dict[str, Promise] = {
    FIRST_RESPONSE: _("first response"),
    RESOLUTION: _("resolution"),
}
BOTH = "both"

# What a row shows as its state. "breached" and "running past due" are breaches; a near
# breach is a clock still running that has used most of its target (docs/sla.md).
BREACHED = "breached"
RUNNING_BREACHED = "running_breached"
NEAR_BREACH = "near_breach"
STATES: dict[str, Promise] = {
    BREACHED: _("breached"),
    RUNNING_BREACHED: _("running past due"),
    NEAR_BREACH: _("near breach"),
}
# The state filter: breaches (closed or still running) or near-breaches.
STATE_FILTERS: dict[str, Promise] = {
    BREACHED: pgettext_lazy("SLA state filter", "breached"),
    NEAR_BREACH: pgettext_lazy("SLA state filter", "near breach"),
}
_BREACH_STATES = (TicketSla.State.BREACHED, TicketSla.State.RUNNING_BREACHED)

# Months shown by default, as of the last analysis: its last complete month and the two before.
DEFAULT_MONTHS = 3


def _state_q(state: str) -> Q:
    """Events in ``state`` (breached or near breach); the two never overlap."""
    if state == BREACHED:
        return Q(state__in=_BREACH_STATES)
    # The engine flags near-breach only on running clocks; requiring "running" here keeps the
    # two groups disjoint even if a stored row said otherwise, so counts add up to the table.
    return Q(near_breach=True, state=TicketSla.State.RUNNING)


# --------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """A month (``2026-03``), a quarter (``2026Q1``) or the default window (key "")."""

    key: str
    start: date
    end: date | None  # exclusive; None = open (the default window runs up to now)

    @property
    def label(self) -> str:
        if not self.key:
            return gettext("Last %(n)s months (since %(month)s)") % {
                "month": _month_label(self.start),
                "n": DEFAULT_MONTHS,
            }
        if "Q" in self.key:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return _month_label(self.start)

    def bounds(self) -> tuple[datetime, datetime | None]:
        """Its instants in the provider's zone (months and quarters are cut there)."""
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.combine(self.start, time.min, tzinfo=zone)
        end = datetime.combine(self.end, time.min, tzinfo=zone) if self.end else None
        return start, end


def _month_label(day: date) -> str:
    return date_format(day, "F Y")


def parse_period(text: str) -> Period | None:
    """``YYYY-MM`` or ``YYYYQn``; None when the text is neither."""
    text = text.strip().upper()
    try:
        if len(text) == 7 and text[4] == "-":
            start = date(int(text[:4]), int(text[5:]), 1)
            return Period(f"{start:%Y-%m}", start, add_months(start, 1))
        if len(text) == 6 and text[4] == "Q" and text[5] in "1234":
            start = date(int(text[:4]), (int(text[5]) - 1) * 3 + 1, 1)
            return Period(f"{start.year}Q{text[5]}", start, add_months(start, 3))
    except ValueError:
        return None
    return None


@dataclass(frozen=True)
class PeriodChoices:
    """What the period filter offers: the default window, months and quarters with data."""

    default: Period | None
    months: list[Period]
    quarters: list[Period]

    def find(self, key: str) -> Period | None:
        for period in (*self.months, *self.quarters):
            if period.key == key:
                return period
        return None


def period_choices(*, viewer: Viewer) -> PeriodChoices:
    """Months and quarters the analysis has figures for (newest first), and the default."""
    # Changes only when an analysis finishes: kept per analysis and viewer (selectors.common).
    span = cached(
        "sla-period-span",
        viewer,
        compute=lambda: (
            viewer.restrict(CustomerPeriod.objects)
            .filter(period_kind=PeriodKind.MONTH)
            .aggregate(first=Min("period_start"), last=Max("period_start"))
        ),
    )
    run = last_analysis()
    as_of = run.as_of if run is not None else None
    default = (
        Period("", month_minus(as_of, DEFAULT_MONTHS - 1), None) if as_of is not None else None
    )
    first, last = span["first"], span["last"]
    if first is None or last is None:
        return PeriodChoices(default, [], [])
    months = []
    month = last
    while month >= first:
        months.append(Period(f"{month:%Y-%m}", month, add_months(month, 1)))
        month = month_minus(month, 1)
    quarters = []
    quarter = quarter_start(last)
    while quarter >= quarter_start(first):
        number = (quarter.month - 1) // 3 + 1
        quarters.append(Period(f"{quarter.year}Q{number}", quarter, add_months(quarter, 3)))
        quarter = month_minus(quarter, 3)
    return PeriodChoices(default, months, quarters)


# --------------------------------------------------------------------------------------------
# Filters and counts


@dataclass(frozen=True)
class SlaFilters:
    customer_id: int | None = None
    priority: int | None = None
    period: Period | None = None  # None: every period
    kind: str = BOTH  # first_response, resolution or both
    state: str = BOTH  # breached, near_breach or both

    @property
    def kinds(self) -> tuple[str, ...]:
        return (FIRST_RESPONSE, RESOLUTION) if self.kind == BOTH else (self.kind,)

    @property
    def states(self) -> tuple[str, ...]:
        return (BREACHED, NEAR_BREACH) if self.state == BOTH else (self.state,)


def _events_in_filter(viewer: Viewer, filters: SlaFilters) -> QuerySet[SlaEvent]:
    """SLA events of visible customers within the customer, priority and period filters.

    The analysis keeps these clocks in their own small table (``SlaEvent``) with the ticket's
    customer, priority and creation time, so no filter here reaches the million tickets.
    """
    rows = viewer.restrict(SlaEvent.objects)
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.priority is not None:
        rows = rows.filter(priority=filters.priority)
    if filters.period is not None:
        start, end = filters.period.bounds()
        rows = rows.filter(created_at__gte=start)
        if end is not None:
            rows = rows.filter(created_at__lt=end)
    return rows


@dataclass(frozen=True)
class SlaCounts:
    """Breached and near-breach clocks per kind, within the customer, priority and period."""

    first_response_breached: int
    first_response_near_breach: int
    resolution_breached: int
    resolution_near_breach: int

    def of(self, kind: str, state: str) -> int:
        value: int = getattr(self, f"{kind}_{state}")
        return value

    def listed(self, filters: SlaFilters) -> int:
        """How many rows the table holds under ``filters`` (kind and state choose cells)."""
        return sum(self.of(k, s) for k in filters.kinds for s in filters.states)


def sla_counts(*, viewer: Viewer, filters: SlaFilters) -> SlaCounts:
    """One aggregate over the filtered events; the kind and state filters do not apply."""
    cells = {
        f"{kind}_{state}": Count("pk", filter=Q(kind=kind) & _state_q(state))
        for kind in (FIRST_RESPONSE, RESOLUTION)
        for state in (BREACHED, NEAR_BREACH)
    }
    totals = cached(
        "sla-counts",
        viewer,
        repr(filters),
        compute=lambda: _events_in_filter(viewer, filters).aggregate(**cells),
    )
    return SlaCounts(**{name: int(value or 0) for name, value in totals.items()})


# --------------------------------------------------------------------------------------------
# Rows


def breach_rows(*, viewer: Viewer, filters: SlaFilters) -> QuerySet[Any]:
    """One value row per ticket and clock, newest due time first, in a stable order.

    Each row is a dict with ``row_ticket``, ``row_kind``, ``row_due``, ``row_state``,
    ``row_near`` and ``row_margin``. The queryset can be counted, sliced and iterated in the
    database; ``breach_details`` adds the ticket's customer, subject and calendar.
    """
    condition = Q()
    for state in filters.states:
        condition |= _state_q(state)
    rows = _events_in_filter(viewer, filters).filter(condition, kind__in=filters.kinds)
    return rows.values(
        row_ticket=F("ticket_id"),
        row_kind=F("kind"),
        row_due=F("due"),
        row_state=F("state"),
        row_near=F("near_breach"),
        row_margin=F("margin_seconds"),
    ).order_by("-due", "-ticket_id", "kind")


@dataclass(frozen=True)
class SlaRow:
    ticket_id: int
    customer_id: int
    customer_name: str
    reference: str
    subject: str
    priority: int
    kind: str
    state: str  # breached, running_breached or near_breach
    due: datetime | None  # in the calendar's zone
    actual: datetime | None  # the first response or resolution, in the calendar's zone
    margin_seconds: int | None  # business seconds: negative = late by, positive = left
    zone: str  # the IANA name of the calendar's (or the customer's) zone

    @property
    def priority_label(self) -> str:
        try:
            return str(Priority(self.priority).label)
        except ValueError:
            return str(self.priority)

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    @property
    def state_label(self) -> str:
        return str(STATES.get(self.state, self.state))

    @property
    def is_breach(self) -> bool:
        return self.state != NEAR_BREACH

    @property
    def margin_minutes(self) -> int | None:
        # Whole minutes, rounded down: 30 s late counts as a minute late, 30 s left as none.
        return None if self.margin_seconds is None else math.floor(self.margin_seconds / 60)

    @cached_property
    def margin_text(self) -> str:
        minutes = self.margin_minutes
        if minutes is None:
            return gettext("no data")
        if minutes < 0:
            return gettext("late by %(time)s") % {"time": business_time(-minutes)}
        if self.is_breach:
            # The engine gives margin 0 to a breach that happened entirely outside business
            # hours: late on the wall clock, but no business time over the target.
            return gettext("late outside business hours")
        return gettext("%(time)s left") % {"time": business_time(minutes)}


def business_time(minutes: int) -> str:
    """Minutes as "2 h 05 min" (business time)."""
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return gettext("%(minutes)s min") % {"minutes": rest}
    return gettext("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": rest}


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_of(ticket: Ticket) -> tuple[str, ZoneInfo]:
    """The ticket's calendar zone: its own SLA policy's, the contract's, else the customer's.

    The same policy the SLA clock used (insights.fetch: the ticket's policy wins over the
    contract's). An unknown zone name falls back to the provider's zone, named as such.
    """
    policy = ticket.sla_policy
    if policy is None and ticket.contract is not None:
        policy = ticket.contract.sla_policy
    candidates = [policy.calendar.timezone] if policy is not None else []
    candidates += [ticket.customer.timezone, settings.TIME_ZONE]
    for name in candidates:
        zone = _zone(name)
        if zone is not None:
            return name, zone
    return "UTC", ZoneInfo("UTC")


def _details(ids: Iterable[int]) -> dict[int, Ticket]:
    tickets = (
        Ticket.objects.filter(pk__in=list(ids))
        .select_related("customer", "sla_policy__calendar", "contract__sla_policy__calendar")
        .only(
            "reference",
            "subject",
            "priority",
            "first_response_at",
            "resolved_at",
            "customer__name",
            "customer__timezone",
            "sla_policy__calendar__timezone",
            "contract__sla_policy__calendar__timezone",
        )
    )
    return {ticket.pk: ticket for ticket in tickets}


def breach_details(rows: Iterable[dict[str, Any]]) -> list[SlaRow]:
    """Value rows from ``breach_rows`` with their tickets: one query for all of them."""
    rows = list(rows)
    tickets = _details(row["row_ticket"] for row in rows)
    result = []
    for row in rows:
        ticket = tickets.get(row["row_ticket"])
        if ticket is None:  # deleted since the analysis (no database constraint on TicketSla)
            continue
        name, zone = _zone_of(ticket)
        kind = row["row_kind"]
        actual = ticket.first_response_at if kind == FIRST_RESPONSE else ticket.resolved_at
        state = row["row_state"]
        if state not in _BREACH_STATES:
            state = NEAR_BREACH
        due = row["row_due"]
        result.append(
            SlaRow(
                ticket_id=ticket.pk,
                customer_id=ticket.customer_id,
                customer_name=ticket.customer.name,
                reference=ticket.reference,
                subject=ticket.subject,
                priority=ticket.priority,
                kind=kind,
                state=state,
                due=due.astimezone(zone) if due is not None else None,
                actual=actual.astimezone(zone) if actual is not None else None,
                margin_seconds=row["row_margin"],
                zone=name,
            )
        )
    return result


class _CountedPaginator(Paginator):
    """A paginator told its count: the counts query above the table already knows it, so the
    UNION is not counted a second time."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, known_count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass(frozen=True)
class SlaPage:
    rows: list[SlaRow]
    page: Page[Any]
    counts: SlaCounts
    total: int
    # The page asked for was past the end (or not a page): this one is shown instead.
    page_adjusted: bool


def sla_page(*, viewer: Viewer, filters: SlaFilters, page: int = 1) -> SlaPage:
    """One page of breaches and near-breaches; a page past the end gives the last one."""
    counts = sla_counts(viewer=viewer, filters=filters)
    total = counts.listed(filters)
    paginator = _CountedPaginator(
        breach_rows(viewer=viewer, filters=filters), PAGE_SIZE, known_count=total
    )
    number = min(max(page, 1), paginator.num_pages)
    shown = paginator.page(number)
    return SlaPage(
        rows=breach_details(shown.object_list),
        page=shown,
        counts=counts,
        total=total,
        page_adjusted=number != page,
    )


def export_rows(*, viewer: Viewer, filters: SlaFilters) -> Iterator[SlaRow]:
    """Every row under ``filters`` for the CSV, read in chunks (never all at once)."""
    chunk: list[dict[str, Any]] = []
    for row in breach_rows(viewer=viewer, filters=filters).iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield from breach_details(chunk)
            chunk = []
    if chunk:
        yield from breach_details(chunk)


def visible_customers(*, viewer: Viewer) -> list[tuple[int, str]]:
    """(id, name) of the customers this viewer may see, by name, for the customer filter."""
    return list(
        viewer.restrict(Customer.objects, path="").order_by("name", "pk").values_list("pk", "name")
    )
