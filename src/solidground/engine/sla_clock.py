"""One SLA clock (first response or resolution) of every ticket, as aligned arrays.

``sla.evaluate_tickets`` builds two ``_Clock`` objects and walks them through three steps:
``measure_pauses`` merges each ticket's pauses and totals the paused business time (and the
part that pushes the due instant out), ``schedule`` finds the due instants on the ticket's
calendar, and ``judge`` sets the state (met, breached, running, running past due) and the
near-breach flag. All in business seconds after the ticket's creation, without a Python
loop per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from solidground.engine.calendar import BusinessCalendar, BusinessTimeline
from solidground.engine.sla_inputs import BoolArray, Int64Array

_MET, _BREACHED, _RUNNING, _RUNNING_BREACHED = range(4)


@dataclass
class _Clock:
    """One clock (first response or resolution) of every ticket, as arrays."""

    target: Int64Array  # 0 = no target
    span: Int64Array  # business seconds from creation to the stop (event or now)
    happened: BoolArray
    event: Int64Array  # the stop instant, UTC epoch seconds
    paused: Int64Array | None = None
    shift: Int64Array | None = None
    due: Int64Array | None = None
    counted: Int64Array | None = None
    state: npt.NDArray[np.int8] | None = None
    near_breach: BoolArray | None = None

    def measure_pauses(
        self,
        rows: npt.NDArray[np.intp],
        rel_start: Int64Array,
        rel_end: Int64Array,
        limit: Int64Array,
        width: int,
    ) -> None:
        """Merge the ticket's pauses within ``[0, limit]`` (business seconds after creation),
        total them, and total those that start before the target is reached (they push the due
        instant out)."""
        n = len(self.target)
        if len(rows) == 0:
            self.paused = np.zeros(n, dtype=np.int64)
            self.shift = np.zeros(n, dtype=np.int64)
            self.counted = self.span.copy()
            return
        upper = limit[rows]
        start = np.minimum(np.maximum(rel_start, 0), upper)
        end = np.minimum(np.maximum(rel_end, 0), upper)
        np.maximum(end, start, out=end)
        # Running maximum of the end within each ticket: tickets are sorted, and encoding the
        # row in the high part keeps one ticket's ends from reaching into the next.
        row_base = rows.astype(np.int64) * np.int64(width)
        reach = np.maximum.accumulate(row_base + end)
        opens_group = np.ones(len(rows), dtype=bool)
        opens_group[1:] = row_base[1:] + start[1:] > reach[:-1]
        first = np.flatnonzero(opens_group)
        last = np.append(first[1:], len(rows)) - 1
        group_row = rows[first]
        group_start = start[first]
        group_length = reach[last] - row_base[last] - group_start
        self.paused = _sum_by_row(group_row, group_length, n)
        # Counted time when each merged pause starts: its offset minus the pauses before it.
        before = np.cumsum(group_length) - group_length
        opens_row = np.ones(len(first), dtype=bool)
        opens_row[1:] = group_row[1:] != group_row[:-1]
        row_first = np.maximum.accumulate(np.where(opens_row, np.arange(len(first)), 0))
        counted_at_start = group_start - (before - before[row_first])
        pushes_due = counted_at_start < self.target[group_row]
        self.shift = _sum_by_row(group_row, np.where(pushes_due, group_length, 0), n)
        self.counted = self.span - self.paused

    def schedule(
        self,
        calendar: BusinessCalendar,
        timeline: BusinessTimeline | None,
        in_group: BoolArray,
        created: Int64Array,
        b_created: Int64Array,
    ) -> None:
        """Due instants of the tickets of one calendar that have a target."""
        if self.due is None:
            self.due = np.zeros(len(self.target), dtype=np.int64)
        assert self.shift is not None
        mine = _selector(in_group & (self.target > 0))
        if timeline is None or len(created[mine]) == 0:
            return
        # B(created) + target + pauses before the due, then the inverse look-up. A due beyond
        # the expanded span needs a longer timeline (and B values on it).
        due_count = b_created[mine] + self.target[mine] + self.shift[mine]
        if int(due_count.max()) > timeline.capacity:
            timeline, due_count = calendar.timeline_reaching(
                created[mine], self.target[mine] + self.shift[mine]
            )
        self.due[mine] = timeline.instant_at(due_count)

    def judge(self, now: int, share: npt.NDArray[np.float64]) -> None:
        assert self.due is not None
        assert self.counted is not None
        stopped = np.where(self.event <= self.due, np.int8(_MET), np.int8(_BREACHED))
        running = np.where(now <= self.due, np.int8(_RUNNING), np.int8(_RUNNING_BREACHED))
        self.state = np.where(self.happened, stopped, running)
        self.near_breach = (self.state == _RUNNING) & (self.counted >= share * self.target)


def _sum_by_row(rows: npt.NDArray[np.intp], values: Int64Array, n: int) -> Int64Array:
    """Totals per ticket row of values whose rows are sorted (grouped)."""
    totals = np.zeros(n, dtype=np.int64)
    if len(rows) == 0:
        return totals
    first = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    totals[rows[first]] = np.add.reduceat(values, first)
    return totals


def _selector(mask: BoolArray) -> npt.NDArray[np.intp] | slice:
    """Index for a boolean mask; a plain slice when it selects everything (no copy)."""
    if mask.all():
        return slice(None)
    return np.flatnonzero(mask)
