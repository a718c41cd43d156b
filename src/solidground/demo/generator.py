"""The demo provider: a deterministic, seeded generator of a plausible German MSP.

Pure generation, no Django: ``generate()`` returns one Polars frame per domain table, with the
database column names, local ids starting at 1 and foreign keys pointing at those local ids
(``load.py`` shifts them past the store's current ids). Everything that grows with the number
of tickets is vectorised with NumPy; Python loops run per customer at most. The stages live in
``demo/world/`` (its ``__init__`` lists them); this module runs them in order and assembles
the result.

Five archetypes are planted with known parameters (``DemoData.ground_truth``; the table is
``demo/world/planted.py``):

* solid: reliable service, satisfied, profitable (margin about 40-50%).
* service_trap: enthusiastic, many contacts and special requests, goodwill hours growing every
  quarter (about 5% to 30%+ of hours), margin falling.
* at_risk: SLA breaches well above the others, unhappy answers, complaints, and most of them
  cancel near the end of the period.
* quiet: few tickets and no survey answers.
* unprofitable: an underpriced flat fee (negative margin) without the trap's signals.

Timestamps are UTC. Ticket timings are drawn as business durations relative to the SLA targets
and placed with the SLA engine's own calendar, so the analysis recomputes the same verdicts
from the status history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.calendars import CalendarSpec, ServiceLevels, build_service_levels
from solidground.demo.world.common import (
    ARCHETYPE_SHARES,
    ARCHETYPES,
    CHANNELS,
    CONTRACT_KINDS,
    LEVELS,
    SOURCE,
    TIMEZONE,
    external_ids,
    ids,
    utc_series,
)
from solidground.demo.world.contracts import price_contracts
from solidground.demo.world.customers import (
    Customers,
    People,
    draw_customers,
    draw_people,
)
from solidground.demo.world.customers import archetype_counts as _archetype_counts
from solidground.demo.world.interactions import highlights, interactions
from solidground.demo.world.planted import Planted, draw_planted
from solidground.demo.world.revenue import revenue_lines
from solidground.demo.world.statuses import StatusHistory, status_changes
from solidground.demo.world.surveys import surveys
from solidground.demo.world.tickets import Tickets, draw_tickets
from solidground.demo.world.time_entries import Work, time_entries
from solidground.demo.world.timeline import build_timeline
from solidground.demo.world.timings import Timings, ticket_timings
from solidground.engine.periods import add_months

__all__ = [
    "ARCHETYPES",
    "ARCHETYPE_SHARES",
    "CONTRACT_KINDS",
    "LEVELS",
    "SOURCE",
    "TIMEZONE",
    "CalendarSpec",
    "DemoData",
    "ProgressCallback",
    "_archetype_counts",
    "generate",
]

ProgressCallback = Callable[[str], None]

# Frames in an order that satisfies foreign keys.
FRAME_ORDER: tuple[str, ...] = (
    "contracts.businesscalendar",
    "contracts.calendarwindow",
    "contracts.calendarspecialday",
    "contracts.slapolicy",
    "contracts.slatarget",
    "customers.customer",
    "customers.customerreference",
    "customers.contact",
    "contracts.contract",
    "contracts.catalogueitem",
    "contracts.contractevent",
    "contracts.revenueline",
    "service.ticket",
    "service.ticketstatuschange",
    "service.timeentry",
    "service.interaction",
    "service.highlight",
    "surveys.surveyanswer",
)


@dataclass
class DemoData:
    """Everything the generator produced, ready for ``load.load_demo``."""

    seed: int
    customers: int
    months: int
    start: date  # first day of the first month
    end: date  # first day of the last month
    period_end: datetime  # first instant after the period (UTC): "now" for the demo store
    # Keyed by model label ("customers.customer"), in an order that satisfies foreign keys.
    frames: dict[str, pl.DataFrame]
    ground_truth: pl.DataFrame
    calendars: tuple[CalendarSpec, ...]
    # Per ticket (aligned with frames["service.ticket"]): planted ground truth for tests.
    ticket_truth: pl.DataFrame = field(repr=False)

    def counts(self) -> dict[str, int]:
        return {label: frame.height for label, frame in self.frames.items()}


def generate(
    *,
    customers: int,
    months: int,
    seed: int,
    end: date,
    loaded_cost_per_hour: float = 62.0,
    progress: ProgressCallback | None = None,
    renewal_effects: bool = True,
) -> DemoData:
    """Generate the demo provider: ``customers`` customers over ``months`` months up to ``end``.

    ``end`` is any day of the last month. The same arguments always give identical frames.
    ``loaded_cost_per_hour`` (settings.LOADED_COST_PER_HOUR) prices each customer's flat fee so
    the planted margins come out as intended. Without ``renewal_effects``, cancellations,
    expansions and downgrades are as frequent as in the planted world but independent of the
    customer's service (the thesis test's null).

    The stages share one random generator: their order is part of the output.
    """
    if customers < 1 or months < 1:
        raise ValueError("The demo needs at least one customer and one month.")
    say = progress or (lambda _stage: None)
    rng = np.random.default_rng(seed)
    end_month = date(end.year, end.month, 1)
    timeline = build_timeline(add_months(end_month, -(months - 1)), months)

    say("customers and contracts")
    portfolio = draw_customers(rng, customers, timeline, renewal_effects=renewal_effects)
    planted = draw_planted(rng, portfolio.archetype, portfolio.contract_kind, timeline.quarters)
    people, frames = draw_people(rng, portfolio)
    levels, calendar_frames = build_service_levels(portfolio, timeline)
    frames |= calendar_frames
    say("tickets")
    tickets = draw_tickets(rng, portfolio, people, planted, timeline)
    say("ticket timings (SLA calendar)")
    timings = ticket_timings(rng, tickets, planted, levels)
    say("status histories")
    history, frames["service.ticketstatuschange"] = status_changes(
        rng, tickets, timings, timeline.period_end_utc
    )
    say("time entries")
    work, frames["service.timeentry"] = time_entries(
        rng, portfolio, people, planted, tickets, timings, timeline
    )
    say("prices, revenue and contract events")
    fees, contract_frames = price_contracts(
        rng,
        portfolio,
        planted,
        levels,
        work,
        timeline,
        loaded_cost_per_hour=loaded_cost_per_hour,
        renewal_effects=renewal_effects,
    )
    frames |= contract_frames
    frames["contracts.revenueline"] = revenue_lines(rng, portfolio, planted, fees, work, timeline)
    say("interactions, surveys and highlights")
    frames["service.interaction"] = interactions(rng, portfolio, people, planted, timeline)
    frames["surveys.surveyanswer"] = surveys(
        rng, portfolio, people, planted, tickets, timings, history, timeline
    )
    frames["service.highlight"] = highlights(rng, portfolio, timeline)
    frames["service.ticket"] = _ticket_frame(tickets, history, work)
    return DemoData(
        seed=seed,
        customers=customers,
        months=timeline.months,
        start=timeline.start,
        end=end_month,
        period_end=datetime.fromtimestamp(timeline.period_end_utc, tz=UTC),
        frames={label: frames[label] for label in FRAME_ORDER},
        ground_truth=_ground_truth(portfolio, people, planted, tickets),
        calendars=levels.calendars,
        ticket_truth=_ticket_truth(portfolio, levels, tickets, timings, work),
    )


def _ticket_frame(tickets: Tickets, history: StatusHistory, work: Work) -> pl.DataFrame:
    size, customer = tickets.count, tickets.customer.astype(np.int64)
    return pl.DataFrame(
        {
            "id": ids(size),
            "source": pl.Series([SOURCE]).gather(np.zeros(size, dtype=np.int64)),
            "external_id": external_ids("T", size, 8),
            "reference": pl.select(
                pl.lit("#") + (pl.int_range(1, size + 1, dtype=pl.Int64) + 100_000).cast(pl.String)
            ).to_series(),
            "customer_id": customer + 1,
            "contact_id": tickets.contact.astype(np.int64) + 1,
            "contract_id": customer + 1,
            "subject": tickets.subject,
            "description": tickets.description,
            "priority": tickets.priority.astype(np.int64) + 1,
            "category": pl.Series([c.category for c in texts.CATALOGUE]).gather(
                tickets.catalogue_item
            ),
            "channel": np.array(CHANNELS)[tickets.channel],
            "status": history.final_status,
            "created_at": utc_series(tickets.created),
            "first_response_at": utc_series(
                history.first_response_at, history.first_response_valid
            ),
            "resolved_at": utc_series(history.resolved_at, history.resolved_valid),
            "closed_at": utc_series(history.closed_at, history.closed_valid),
            "reopen_count": history.reopen_count,
            "agent_touches": tickets.touches.astype(np.int64),
            # The catalogue items are numbered per contract in catalogue order.
            "catalogue_item_id": customer * len(texts.CATALOGUE) + tickets.catalogue_item + 1,
            "billable": work.billable,
            "is_special_request": tickets.special,
            "is_escalated": tickets.escalated,
            "is_complaint": tickets.complaint,
        }
    )


def _ticket_truth(
    customers: Customers, levels: ServiceLevels, tickets: Tickets, timings: Timings, work: Work
) -> pl.DataFrame:
    """What the generator planted per ticket, for tests (the analysis never sees it)."""
    policy = levels.policy_of_customer[tickets.customer]
    return pl.DataFrame(
        {
            "ticket_id": ids(tickets.count),
            "archetype": np.array(ARCHETYPES)[customers.archetype[tickets.customer]],
            "policy_id": policy.astype(np.int64),
            "calendar_id": levels.calendar_of_policy[policy],
            "first_response_business_seconds": timings.first_response_business,
            "resolution_business_seconds": timings.resolution_business,
            "paused_business_seconds": timings.paused_business,
            "first_response_late": timings.first_response_late,
            "resolution_late": timings.resolution_late,
            "out_of_scope": tickets.out_of_scope,
            "goodwill": work.goodwill,
            "goodwill_minutes": work.goodwill_minutes,
        }
    )


def _ground_truth(
    customers: Customers, people: People, planted: Planted, tickets: Tickets
) -> pl.DataFrame:
    """The planted parameters per customer (written beside the demo store as a CSV)."""
    return pl.DataFrame(
        {
            "customer_external_id": people.external_ids,
            "name": people.names,
            "archetype": np.array(ARCHETYPES)[customers.archetype],
            "subdivision": customers.subdivisions,
            "contract_kind": [CONTRACT_KINDS[int(k)] for k in customers.contract_kind],
            "service_level": [LEVELS[int(level)][0] for level in customers.service_level],
            "seats": customers.seats,
            "tickets": tickets.per_customer_month.sum(axis=1),
            "tickets_per_seat_month": np.round(planted.ticket_rate, 4),
            "ticket_growth_per_quarter": np.round(planted.ticket_growth, 4),
            "out_of_scope_share_start": np.round(planted.out_of_scope_start, 4),
            "out_of_scope_share_end": np.round(planted.out_of_scope_end, 4),
            "goodwill_share_start": np.round(planted.goodwill_start, 4),
            "goodwill_share_end": np.round(planted.goodwill_end, 4),
            "first_response_breach_rate": np.round(planted.first_response_breach, 4),
            "resolution_breach_rate": np.round(planted.resolution_breach, 4),
            "reopen_rate": np.round(planted.reopen_rate, 4),
            "csat_response_rate": np.round(planted.csat_response_rate, 4),
            "csat_positive_rate": np.round(planted.csat_positive, 4),
            "target_margin": np.round(planted.target_margin, 4),
            "cancelled": customers.cancels,
            "cancelled_on": pl.Series(customers.notice_on, dtype=pl.Date),
            "contract_end": pl.Series(customers.contract_end, dtype=pl.Date),
        }
    )
