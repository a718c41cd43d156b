"""The parts of a service review read for its period alone: the calendar's business hours,
the SLA breaches, the comments (with the rule that chooses them), the work by catalogue item
and the free work outside the contract."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext

from solidground.accounts.selectors import Viewer
from solidground.contracts.models import CalendarWindow, CatalogueItem
from solidground.engine.periods import hhmm
from solidground.insights.selectors.customer import (
    Comment,
    ContractInfo,
)
from solidground.insights.selectors.sla import (
    BREACHED,
    SlaFilters,
    SlaRow,
    breach_details,
    breach_rows,
    sla_counts,
)
from solidground.insights.selectors.sla import Period as SlaPeriod
from solidground.reports.periods import ReportPeriod
from solidground.reports.review_types import (
    BREACHES_SHOWN,
    COMMENTS_SHOWN,
    BusinessHours,
    ItemWork,
    ScopeNote,
)
from solidground.service.models import TimeEntry
from solidground.surveys.models import SurveyAnswer


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
        Comment.of_answer(
            row,
            answered_at=row.answered_at,
            contact="",  # the review names no one: it goes to the customer's management
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
