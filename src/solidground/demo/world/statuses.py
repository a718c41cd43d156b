"""Stage 5: each ticket's status history and the status it ends the period in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from solidground.demo.world import timings as at
from solidground.demo.world.common import (
    CLOSED,
    IN_PROGRESS,
    NEW,
    OPEN,
    RESOLVED,
    SOURCE,
    WAITING,
    Arr,
    external_ids,
    ids,
    utc_series,
)
from solidground.demo.world.tickets import Tickets
from solidground.demo.world.timings import Timings

# The slots a history can pass through, in time order: creation, first response (to "open"
# or "in progress"), two waits for the customer, resolution, reopening, resolving again and
# closing.
_SLOT_STATUSES: tuple[str, ...] = (
    NEW,
    "?",
    WAITING,
    IN_PROGRESS,
    WAITING,
    IN_PROGRESS,
    RESOLVED,
    OPEN,
    RESOLVED,
    CLOSED,
)
_FIRST_RESPONSE_SLOT = 1
_RESOLVED_SLOT = 6
_REOPENED_SLOT = 7
_RESOLVED_AGAIN_SLOT = 8
_CLOSED_SLOT = 9


@dataclass(frozen=True)
class StatusHistory:
    """Each ticket's state at the end of the period (instants in UTC epoch seconds)."""

    final_status: Arr
    first_response_at: Arr
    first_response_valid: Arr  # the first response happened within the period
    resolved_at: Arr
    resolved_valid: Arr
    closed_at: Arr
    closed_valid: Arr
    reopen_count: Arr


def status_changes(
    rng: np.random.Generator, tickets: Tickets, timings: Timings, period_end_utc: int
) -> tuple[StatusHistory, pl.DataFrame]:
    """The status changes that happened before the period's end, and where each ended."""
    size, instants, reopened = tickets.count, timings.instants, tickets.reopened
    final_resolution = np.where(reopened, instants[:, at.RESOLVED_AGAIN], instants[:, at.RESOLVED])
    closed = final_resolution + 3 * 86_400 + rng.integers(0, 6 * 3600, size)
    first_status = np.where(rng.random(size) < 0.3, OPEN, IN_PROGRESS)
    slot_times = np.column_stack([tickets.created, instants[:, : at.LATER_ENTRIES], closed])
    always = np.ones(size, dtype=bool)
    wanted = np.column_stack(
        [
            always,
            always,
            timings.paused_once,
            timings.paused_once,
            timings.paused_twice,
            timings.paused_twice,
            always,
            reopened,
            reopened,
            always,
        ]
    )
    valid = wanted & (slot_times < period_end_utc)
    statuses = np.array(_SLOT_STATUSES, dtype=object)
    status_matrix = np.broadcast_to(statuses, (size, statuses.size)).copy()
    status_matrix[:, _FIRST_RESPONSE_SLOT] = first_status
    rows, slots = np.nonzero(valid)  # row-major: per ticket, in time order
    frame = pl.DataFrame(
        {
            "id": ids(rows.size),
            "source": pl.Series([SOURCE]).gather(np.zeros(rows.size, dtype=np.int64)),
            "external_id": external_ids("S", rows.size, 9),
            "ticket_id": rows.astype(np.int64) + 1,
            "changed_at": utc_series(slot_times[rows, slots]),
            "status": pl.Series(status_matrix[rows, slots].astype(str)),
        }
    )
    last_slot = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    history = StatusHistory(
        final_status=status_matrix[np.arange(size), last_slot].astype(str),
        first_response_at=instants[:, at.FIRST_RESPONSE],
        first_response_valid=valid[:, _FIRST_RESPONSE_SLOT],
        resolved_at=final_resolution,
        resolved_valid=np.where(
            reopened,
            valid[:, _RESOLVED_AGAIN_SLOT],
            valid[:, _RESOLVED_SLOT] & ~valid[:, _REOPENED_SLOT],
        ),
        closed_at=closed,
        closed_valid=valid[:, _CLOSED_SLOT],
        reopen_count=valid[:, _REOPENED_SLOT].astype(np.int64),
    )
    return history, frame
