"""Stage 6: time entries (agent work per ticket, monthly maintenance) and goodwill.

Billing before goodwill: in-scope work is included (not under time and material), out of
scope is billed; billed work is what may be waived as goodwill, by a quota per customer and
quarter so the planted goodwill share holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world import timings as at
from solidground.demo.world.common import (
    SOURCE,
    TIME_MATERIAL,
    TRAP,
    Arr,
    external_ids,
    ids,
    masked,
    round5,
    utc_series,
)
from solidground.demo.world.customers import Customers, People
from solidground.demo.world.planted import Planted
from solidground.demo.world.tickets import Tickets
from solidground.demo.world.timeline import Timeline, local_to_utc_seconds, utc_to_local_month
from solidground.demo.world.timings import Timings


@dataclass(frozen=True)
class Work:
    """The time entries' results: goodwill per ticket and labour per customer and month."""

    goodwill: Arr  # per ticket: its billable work was waived
    billable: Arr  # per ticket: billed to the customer
    goodwill_minutes: Arr  # per ticket
    labour_minutes: Arr  # (customers, months), by the Berlin-local month of the entry
    billed_extras: Arr  # (customers, months): cents billed for out-of-scope work


@dataclass(frozen=True)
class _TicketEntries:
    ticket: Arr
    started: Arr  # UTC epoch seconds
    minutes: Arr  # before goodwill scaling
    internal: Arr


@dataclass(frozen=True)
class _Maintenance:
    customer: Arr
    month: Arr
    minutes: Arr
    started: Arr


@dataclass(frozen=True)
class _Billing:
    goodwill: Arr  # per ticket
    billable: Arr  # per ticket
    billing: Arr  # per entry: "included", "billed", "goodwill" or "internal"
    minutes: Arr  # per entry, goodwill scaled to the planted share
    billed_amount: Arr  # per entry, cents


@dataclass(frozen=True)
class _Context:
    customers: Customers
    planted: Planted
    tickets: Tickets
    timeline: Timeline


def time_entries(
    rng: np.random.Generator,
    customers: Customers,
    people: People,
    planted: Planted,
    tickets: Tickets,
    timings: Timings,
    timeline: Timeline,
) -> tuple[Work, pl.DataFrame]:
    context = _Context(customers, planted, tickets, timeline)
    entries = _ticket_entries(rng, tickets, timings, timeline.period_end_utc)
    maintenance = _maintenance(rng, customers, timeline)
    billing = _billing(rng, context, entries, maintenance)
    frame = _frame(rng, people, tickets, entries, maintenance, billing)
    billed = billing.billing == "billed"
    # Per customer and local month: labour minutes and billed extras (for prices, revenue).
    all_started = np.concatenate([entries.started, maintenance.started])
    all_customers = np.concatenate([tickets.customer[entries.ticket], maintenance.customer])
    all_minutes = np.concatenate([billing.minutes, maintenance.minutes])
    all_billed = np.concatenate(
        [np.where(billed, billing.billed_amount, 0), np.zeros(maintenance.customer.size)]
    )
    month = utc_to_local_month(all_started, timeline.start)
    inside = (month >= 0) & (month < timeline.months)
    cell = all_customers[inside] * timeline.months + month[inside]
    cells = customers.count * timeline.months
    shape = (customers.count, timeline.months)
    work = Work(
        goodwill=billing.goodwill,
        billable=billing.billable,
        goodwill_minutes=np.bincount(
            entries.ticket,
            billing.minutes * (billing.billing == "goodwill"),
            minlength=tickets.count,
        ),
        labour_minutes=np.bincount(cell, all_minutes[inside], minlength=cells).reshape(shape),
        billed_extras=np.bincount(cell, all_billed[inside], minlength=cells).reshape(shape),
    )
    return work, frame


def _ticket_entries(
    rng: np.random.Generator, tickets: Tickets, timings: Timings, period_end_utc: int
) -> _TicketEntries:
    """One entry per agent touch (at most four), plus one after a reopen."""
    size, reopened, instants = tickets.count, tickets.reopened, timings.instants
    regular = np.minimum(tickets.touches - reopened.astype(np.int64), 4).clip(1)
    count = regular + reopened
    ticket = np.repeat(np.arange(size), count)
    first_of_ticket = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    position = np.arange(ticket.size) - first_of_ticket[ticket]
    is_reopen_entry = reopened[ticket] & (position == count[ticket] - 1)
    start_instant = np.where(
        position == 0, at.FIRST_RESPONSE, at.LATER_ENTRIES - 1 + np.minimum(position, 3)
    )
    started = np.where(
        is_reopen_entry, instants[ticket, at.REOPENED], instants[ticket, start_instant]
    )
    # The ticket's effort is split over its regular entries in random shares.
    weights = rng.gamma(2.0, 1.0, ticket.size) * ~is_reopen_entry
    weight_sum = np.bincount(ticket, weights, minlength=size)
    share = weights / np.maximum(weight_sum[ticket], 1e-9)
    minutes = np.where(
        is_reopen_entry,
        round5(rng.uniform(15, 40, ticket.size)),
        round5(tickets.effort[ticket] * share),
    )
    keep = started < period_end_utc
    ticket, started, minutes = ticket[keep], started[keep], minutes[keep]
    internal = rng.random(ticket.size) < 0.02
    return _TicketEntries(ticket=ticket, started=started, minutes=minutes, internal=internal)


def _maintenance(
    rng: np.random.Generator, customers: Customers, timeline: Timeline
) -> _Maintenance:
    """Monthly maintenance (patching, monitoring review) for flat-fee and block customers."""
    maintained = customers.active & (customers.contract_kind != TIME_MATERIAL)[:, None]
    customer, month = np.nonzero(maintained)
    minutes = round5(
        np.minimum(480, 15 + customers.endpoints[customer] * rng.uniform(0.8, 1.5, customer.size))
    )
    day = timeline.weekday_days[timeline.weekday_first[month] + rng.integers(1, 5, customer.size)]
    started = local_to_utc_seconds(timeline.month_local_naive[month] + day * 86_400 + 10 * 3_600)
    return _Maintenance(customer=customer, month=month, minutes=minutes, started=started)


def _billing(
    rng: np.random.Generator,
    context: _Context,
    entries: _TicketEntries,
    maintenance: _Maintenance,
) -> _Billing:
    customers, tickets, timeline = context.customers, context.tickets, context.timeline
    customer, quarters = tickets.customer, timeline.quarters
    candidate = tickets.out_of_scope | (customers.contract_kind[customer] == TIME_MATERIAL)
    ticket_minutes = np.bincount(
        entries.ticket, entries.minutes * ~entries.internal, minlength=tickets.count
    )
    quarter = timeline.quarter_of_month[tickets.month]
    group = customer * quarters + quarter
    group_total = np.bincount(
        group[entries.ticket], entries.minutes, minlength=customers.count * quarters
    ) + np.bincount(
        maintenance.customer * quarters + timeline.quarter_of_month[maintenance.month],
        maintenance.minutes,
        minlength=customers.count * quarters,
    )
    goodwill = _goodwill_quota(
        rng,
        candidate,
        ticket_minutes,
        group,
        group_total,
        context.planted.goodwill_target[customer, quarter],
        force=customers.archetype[customer] == TRAP,
    )
    billing_of_ticket = np.where(goodwill, "goodwill", np.where(candidate, "billed", "included"))
    billing = np.where(entries.internal, "internal", billing_of_ticket[entries.ticket])
    minutes = _scale_goodwill(context, entries, billing == "goodwill", maintenance)
    rate = customers.hourly_rate[customer[entries.ticket]]
    return _Billing(
        goodwill=goodwill,
        billable=candidate & ~goodwill,
        billing=billing,
        minutes=minutes,
        billed_amount=np.round(minutes * rate / 60.0).astype(np.int64),
    )


def _frame(
    rng: np.random.Generator,
    people: People,
    tickets: Tickets,
    entries: _TicketEntries,
    maintenance: _Maintenance,
    billing: _Billing,
) -> pl.DataFrame:
    """The time entry table: ticket work and maintenance, per customer by start."""
    size, customer = entries.ticket.size, tickets.customer[entries.ticket]
    language = tickets.language[entries.ticket]
    text_index = rng.integers(len(texts.TIME_ENTRY_TEXT_DE), size=size)
    text = pl.Series([*texts.TIME_ENTRY_TEXT_DE, *texts.TIME_ENTRY_TEXT_EN]).gather(
        text_index + (language == "en") * len(texts.TIME_ENTRY_TEXT_DE)
    )
    text = masked(text, ~entries.internal).fill_null(texts.INTERNAL_TEXT)
    technician = people.teams[customer, rng.integers(3, size=size)]
    maintenance_size = maintenance.customer.size
    maintenance_technician = people.teams[
        maintenance.customer, rng.integers(3, size=maintenance_size)
    ]
    ticket_entries = pl.DataFrame(
        {
            "ticket_id": pl.Series(entries.ticket.astype(np.int64) + 1, dtype=pl.Int64),
            "customer_id": customer.astype(np.int64) + 1,
            "technician": people.technicians.gather(technician),
            "started_at": utc_series(entries.started),
            "minutes": billing.minutes,
            "billing": billing.billing,
            "billed_amount": masked(pl.Series(billing.billed_amount), billing.billing == "billed"),
            "description": text,
        }
    )
    maintenance_entries = pl.DataFrame(
        {
            "ticket_id": pl.Series([None] * maintenance_size, dtype=pl.Int64),
            "customer_id": maintenance.customer.astype(np.int64) + 1,
            "technician": people.technicians.gather(maintenance_technician),
            "started_at": utc_series(maintenance.started),
            "minutes": maintenance.minutes,
            "billing": ["included"] * maintenance_size,
            "billed_amount": pl.Series([None] * maintenance_size, dtype=pl.Int64),
            "description": [texts.MAINTENANCE_TEXT] * maintenance_size,
        }
    )
    entries_frame = pl.concat([ticket_entries, maintenance_entries]).sort(
        "customer_id", "started_at", maintain_order=True
    )
    total = entries_frame.height
    return entries_frame.select(
        ids(total),
        pl.lit(SOURCE).alias("source"),
        external_ids("E", total, 9).alias("external_id"),
        pl.all(),
    )


def _scale_goodwill(
    context: _Context, entries: _TicketEntries, is_goodwill: Arr, maintenance: _Maintenance
) -> Arr:
    """Stretch or shrink the goodwill entries so each customer-quarter meets its share.

    The quota picks whole tickets, so a quarter lands up to half a ticket off target; one
    long goodwill ticket would otherwise break the trap's quarter-on-quarter rise. Buckets
    are Berlin-local calendar quarters of the entry's start, as the analysis cuts them, and
    the share is of customer-facing hours (internal time excluded), as docs/domain.md
    defines it.
    """
    timeline, quarters = context.timeline, context.timeline.quarters
    minutes = entries.minutes
    month = np.clip(utc_to_local_month(entries.started, timeline.start), 0, timeline.months - 1)
    customer = context.tickets.customer[entries.ticket]
    group = customer * quarters + timeline.quarter_of_month[month]
    size = context.customers.count * quarters
    goodwill = np.bincount(group, minutes * is_goodwill, minlength=size)
    total = np.bincount(group, minutes * ~entries.internal, minlength=size) + np.bincount(
        maintenance.customer * quarters + timeline.quarter_of_month[maintenance.month],
        maintenance.minutes,
        minlength=size,
    )
    target = context.planted.goodwill_target.ravel()
    # Solve g' / (total - g + g') = target for the new goodwill minutes g'.
    desired = target * (total - goodwill) / (1.0 - target)
    factor = np.where(goodwill > 0, np.clip(desired / np.maximum(goodwill, 1), 0.25, 4.0), 1)
    scaled: Arr = np.where(is_goodwill, round5(minutes * factor[group]), minutes)
    return scaled


def _goodwill_quota(
    rng: np.random.Generator,
    candidate: Arr,
    ticket_minutes: Arr,
    group: Arr,
    group_total: Arr,
    target: Arr,
    force: Arr,
) -> Arr:
    """Mark billable tickets as goodwill until the group's planted share of hours is reached.

    A quota instead of a coin flip per ticket, so a trap customer's goodwill share rises
    every quarter as planted rather than only on average.
    """
    size = candidate.size
    key = rng.random(size)
    # Candidates first within each group, in random order.
    order = np.lexsort((key, ~candidate, group))
    sorted_group = group[order]
    sorted_minutes = np.where(candidate[order], ticket_minutes[order], 0).astype(np.float64)
    cumulative = np.cumsum(sorted_minutes)
    group_start = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    group_offset = np.repeat(
        cumulative[group_start] - sorted_minutes[group_start],
        np.diff(np.r_[group_start, sorted_group.size]),
    )
    before = cumulative - sorted_minutes - group_offset
    quota = target[order] * group_total[sorted_group]
    chosen = candidate[order] & (before + 0.5 * sorted_minutes < quota)
    goodwill = np.zeros(size, dtype=bool)
    goodwill[order] = chosen
    # A trap customer's quarter always gets at least one goodwill ticket: when the quota
    # picked none, its smallest candidate, which the scaling afterwards fits to the share.
    groups = int(group.max()) + 1 if group.size else 0
    has_goodwill = np.bincount(group[goodwill], minlength=groups) > 0
    by_size = np.lexsort((ticket_minutes, ~candidate, group))
    first = np.r_[True, group[by_size][1:] != group[by_size][:-1]]
    smallest = by_size[first & candidate[by_size] & (ticket_minutes[by_size] > 0)]
    needed = (
        force[smallest]
        & ~has_goodwill[group[smallest]]
        & (target[smallest] * group_total[group[smallest]] > 0)
    )
    goodwill[smallest[needed]] = True
    return goodwill
