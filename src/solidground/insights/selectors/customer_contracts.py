"""The customer page's contracts (policy, targets, catalogue with the year's ticket counts),
highlights and contract timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from solidground.contracts.models import (
    CatalogueItem,
    Contract,
    ContractEvent,
    Priority,
    SlaPolicy,
)
from solidground.customers.models import Customer
from solidground.insights.selectors.common import month_minus
from solidground.insights.selectors.customer_types import (
    ContractInfo,
    HighlightInfo,
    ItemInfo,
    PeriodFigures,
    PolicyInfo,
    SlaTargetInfo,
    TimelineEntry,
)
from solidground.service.models import Highlight, Ticket, TimeEntry


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
        result.append(_contract_info(contract, _items(contract, counts), last))
    return result, events


def _items(contract: Contract, counts: dict[int, tuple[int, int]]) -> list[ItemInfo]:
    """The contract's catalogue (prefetched, by name) with the year's ticket counts."""
    return [
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


def _policy(policy: SlaPolicy | None) -> PolicyInfo | None:
    """The SLA policy with its calendar and targets by priority (prefetched)."""
    if policy is None:
        return None
    return PolicyInfo(
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


def _contract_info(contract: Contract, items: list[ItemInfo], last: date | None) -> ContractInfo:
    return ContractInfo(
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
        policy=_policy(contract.sla_policy),
        included_items=[i for i in items if i.included],
        extra_items=[i for i in items if not i.included],
    )


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
