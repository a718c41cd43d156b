"""Stage 4: ticket timings, drawn as business durations against the SLA targets.

The durations are placed with the SLA engine's own calendar, so the analysis recomputes the
planted verdicts from the status history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solidground.demo.world.calendars import ServiceLevels
from solidground.demo.world.common import Arr
from solidground.demo.world.planted import Planted
from solidground.demo.world.tickets import Tickets

# Columns of ``Timings.instants``: the instants of a ticket's life (UTC epoch seconds), each
# as if it happened (the status history leaves out the ones it does not have).
FIRST_RESPONSE = 0
WAITING_STARTS = 1  # for the customer; then work resumes
WORK_RESUMES = 2
SECOND_WAITING_STARTS = 3
SECOND_WORK_RESUMES = 4
RESOLVED = 5
REOPENED = 6
RESOLVED_AGAIN = 7
LATER_ENTRIES = 8  # 8, 9, 10: start of the second, third and fourth time entry
INSTANTS = 11


@dataclass(frozen=True)
class Timings:
    """When things happened to each ticket, and the planted SLA truth."""

    instants: Arr  # (tickets, INSTANTS)
    paused_once: Arr  # waited for the customer
    paused_twice: Arr
    # The planted truth, in business seconds of the SLA clock (pauses excluded; a reopen's
    # extra work counts, the time while resolved does not).
    first_response_business: Arr
    resolution_business: Arr
    paused_business: Arr
    first_response_late: Arr
    resolution_late: Arr


@dataclass(frozen=True)
class _Durations:
    offsets: Arr  # (tickets, INSTANTS): business seconds after creation
    first_response: Arr
    resolution: Arr
    paused_once: Arr
    paused_twice: Arr
    paused: Arr  # business seconds waited
    reopen_work: Arr


def ticket_timings(
    rng: np.random.Generator, tickets: Tickets, planted: Planted, levels: ServiceLevels
) -> Timings:
    """Draw business durations against the SLA targets and place them on the calendar."""
    policy = levels.policy_of_customer[tickets.customer]
    first_response_target = levels.first_response_target[policy, tickets.priority]
    resolution_target = levels.resolution_target[policy, tickets.priority]
    durations = _durations(rng, tickets, planted, first_response_target, resolution_target)
    placed = np.empty_like(durations.offsets)
    calendar_of_ticket = levels.calendar_of_policy[policy]
    for spec in levels.calendars:
        rows = np.flatnonzero(calendar_of_ticket == spec.id)
        if rows.size == 0:
            continue
        # The epoch-second form of add_business_seconds: the same placement without
        # converting millions of instants to datetime64 and back.
        starts = np.repeat(tickets.created[rows], INSTANTS)
        placed[rows] = (
            spec.engine()
            .add_business_seconds_epoch(starts, durations.offsets[rows].ravel())
            .reshape(rows.size, -1)
        )
    resolution_business = durations.resolution + np.where(
        tickets.reopened, durations.reopen_work, 0
    )
    return Timings(
        instants=placed,
        paused_once=durations.paused_once,
        paused_twice=durations.paused_twice,
        first_response_business=durations.first_response,
        resolution_business=resolution_business,
        paused_business=durations.paused,
        first_response_late=durations.first_response > first_response_target,
        resolution_late=resolution_business > resolution_target,
    )


def _durations(
    rng: np.random.Generator,
    tickets: Tickets,
    planted: Planted,
    first_response_target: Arr,
    resolution_target: Arr,
) -> _Durations:
    size, customer = tickets.count, tickets.customer

    def ratio(breach_probability: Arr) -> Arr:
        """Duration over target: below 1 when met, above when breached."""
        late = rng.random(size) < breach_probability
        met = 0.05 + 0.9 * rng.beta(2.0, 2.5, size)
        overrun = 1.03 + rng.exponential(0.7, size)
        return np.where(late, overrun, met)

    first_response_ratio = ratio(planted.first_response_breach[customer])
    resolution_ratio = ratio(planted.resolution_breach[customer])
    first_response = np.maximum(60, np.round(first_response_ratio * first_response_target)).astype(
        np.int64
    )
    resolution = np.maximum(
        first_response + 300, np.round(resolution_ratio * resolution_target).astype(np.int64)
    )
    work = resolution - first_response
    # Waiting for the customer: measured in business time, so the resolution instant moves
    # out by exactly the paused business seconds.
    paused_once = rng.random(size) < planted.pause_rate[customer]
    paused_twice = paused_once & (rng.random(size) < 0.25)
    pause_length = np.clip(rng.lognormal(np.log(4 * 3600), 0.9, (2, size)), 900, 45 * 3600)
    pause_length = np.round(pause_length).astype(np.int64)
    first_pause = np.where(paused_once, pause_length[0], 0)
    second_pause = np.where(paused_twice, pause_length[1], 0)
    first_wait_after = np.floor(rng.random(size) * work * 0.5).astype(np.int64) + 1
    second_wait_after = (
        first_wait_after
        + np.floor(rng.random(size) * (work - first_wait_after) * 0.5).astype(np.int64)
        + 1
    )
    reopen_gap = rng.integers(2 * 3600, 24 * 3600, size)
    reopen_work = rng.integers(1800, 4 * 3600, size)
    offsets = np.empty((size, INSTANTS), dtype=np.int64)
    offsets[:, FIRST_RESPONSE] = first_response
    offsets[:, WAITING_STARTS] = first_response + first_wait_after
    offsets[:, WORK_RESUMES] = offsets[:, WAITING_STARTS] + first_pause
    offsets[:, SECOND_WAITING_STARTS] = offsets[:, WORK_RESUMES] + (
        second_wait_after - first_wait_after
    )
    offsets[:, SECOND_WORK_RESUMES] = offsets[:, SECOND_WAITING_STARTS] + second_pause
    offsets[:, RESOLVED] = first_response + work + first_pause + second_pause
    offsets[:, REOPENED] = offsets[:, RESOLVED] + reopen_gap
    offsets[:, RESOLVED_AGAIN] = offsets[:, REOPENED] + reopen_work
    # Time entries beyond the first one: spread over the active work.
    for k, share in enumerate((0.35, 0.6, 0.85)):
        offsets[:, LATER_ENTRIES + k] = (
            first_response + np.round(work * share).astype(np.int64) + first_pause
        )
    return _Durations(
        offsets=offsets,
        first_response=first_response,
        resolution=resolution,
        paused_once=paused_once,
        paused_twice=paused_twice,
        paused=first_pause + second_pause,
        reopen_work=reopen_work,
    )
