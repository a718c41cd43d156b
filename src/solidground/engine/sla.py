"""SLA clocks for many tickets at once: first response and resolution, column-wise.

Semantics follow docs/domain.md ("SLA clock semantics") and are documented with worked examples in
docs/sla.md. In short, per ticket and per clock:

* The clock starts at ``created_at`` and counts business seconds of the policy's calendar (a
  start outside business hours starts at the next opening).
* It stops at the event (first response, resolution) or, while the event has not happened, runs
  until ``now``. Resolving a ticket answers it: with no first response recorded before the ticket
  is first resolved, the first-response clock stops at that resolution.
* Pause intervals are measured in business time and not counted. Pauses of kind "pause"
  (a pausing status such as waiting for the customer) and "resolved" (a resolved or closed period
  that a reopen ended) always pause the resolution clock; they pause the first-response clock only
  when the policy says ``pause_first_response``. Overlapping pauses count once.
* The target is the one of the ticket's *current* priority under its *current* policy, applied to
  all time accumulated since creation: changing priority or policy keeps the accumulated time and
  pauses (the GLPI #15605 failure mode is excluded by construction). The accumulated time is
  measured on the current policy's calendar.
* ``due`` is the earliest instant at which the counted time reaches the target (a closing instant
  if it lands there). For a clock that is still paused at ``now``, the due shown is the one that
  holds if the clock resumes at ``now``.
* State: "met" (event <= due), "breached" (event > due), "running" (no event, now <= due) or
  "running_breached" (no event, now > due). Margin = target - counted seconds (negative means over
  target; a breach that happened entirely outside business hours has margin 0). Near-breach: a
  clock in state "running" that has used at least ``near_breach_share`` of its target.

Everything is vectorised with NumPy and Polars: no Python loop per ticket or per pause.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.engine._calendar_arrays import epoch_seconds
from solidground.engine.calendar import BusinessCalendar, BusinessTimeline

__all__ = [
    "PAUSE_KINDS",
    "RESOLVED_STATUSES",
    "STATES",
    "STATUSES",
    "SlaPolicy",
    "evaluate_tickets",
    "pauses_from_status_changes",
    "reopen_counts",
]

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STATUSES: Final = (
    "new",
    "open",
    "in_progress",
    "waiting_customer",
    "waiting_third_party",
    "resolved",
    "closed",
)
"""The ticket statuses of the domain model (others are accepted and treated as working)."""

RESOLVED_STATUSES: Final = ("resolved", "closed")
"""Statuses in which a ticket counts as resolved; leaving them is a reopen."""

PAUSE_KINDS: Final = ("pause", "resolved")
STATES: Final = ("met", "breached", "running", "running_breached")

_MET, _BREACHED, _RUNNING, _RUNNING_BREACHED = range(4)
_TIME = pl.Datetime("us", "UTC")
_MICROS: Final = np.int64(1_000_000)
_NO_EVENT: Final = np.iinfo(np.int64).max

TICKET_COLUMNS: Final = {
    "ticket_id": pl.Int64,
    "policy_id": pl.Int64,
    "priority": pl.Int8,
    "created_at": _TIME,
    "first_response_at": _TIME,
    "resolved_at": _TIME,
}
PAUSE_COLUMNS: Final = {"ticket_id": pl.Int64, "start": _TIME, "end": _TIME, "kind": pl.String}
CHANGE_COLUMNS: Final = {"ticket_id": pl.Int64, "changed_at": _TIME, "status": pl.String}


@dataclass(frozen=True)
class SlaPolicy:
    """A business calendar and targets per priority, in business seconds.

    ``first_response_targets`` and ``resolution_targets`` map a priority (1 = highest) to a
    positive number of business seconds; a priority missing from a map has no target there, and
    its results are null. ``pause_first_response`` makes pauses stop the first-response clock
    too (they always stop the resolution clock). ``near_breach_share`` is the share of a target
    after which a running clock is flagged as near breach.
    """

    calendar: BusinessCalendar
    first_response_targets: dict[int, int]
    resolution_targets: dict[int, int]
    pause_first_response: bool = False
    near_breach_share: float = 0.75

    def __post_init__(self) -> None:
        if not isinstance(self.calendar, BusinessCalendar):
            raise ValueError(f"calendar: expected a BusinessCalendar, got {self.calendar!r}")
        for name in ("first_response_targets", "resolution_targets"):
            targets = getattr(self, name)
            if not isinstance(targets, Mapping):
                raise ValueError(f"{name}: expected a mapping priority -> seconds")
            for priority, seconds in targets.items():
                if isinstance(priority, bool) or not isinstance(priority, int):
                    raise ValueError(f"{name}: priority {priority!r} is not an integer")
                if not -128 <= priority <= 127:
                    raise ValueError(f"{name}: priority {priority!r} is outside -128..127")
                if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
                    raise ValueError(
                        f"{name}[{priority}]: target {seconds!r} must be a positive whole "
                        "number of business seconds"
                    )
        share = self.near_breach_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise ValueError(f"near_breach_share: {share!r} must be in (0, 1]")


# -- evaluation ------------------------------------------------------------------------------


def evaluate_tickets(
    tickets: pl.DataFrame,
    pauses: pl.DataFrame,
    policies: Mapping[int, SlaPolicy],
    *,
    now: datetime,
) -> pl.DataFrame:
    """Evaluate the first-response and resolution clocks of every ticket.

    ``tickets``: ``ticket_id`` (int64, unique), ``policy_id`` (int64, null = no SLA),
    ``priority`` (int8, the current priority), ``created_at``, ``first_response_at`` and
    ``resolved_at`` (Datetime with a time zone, UTC preferred; null = has not happened).

    ``pauses``: ``ticket_id``, ``start``, ``end`` (null = still paused at ``now``) and ``kind``
    ("pause" or "resolved"), for example from :func:`pauses_from_status_changes`. Intervals of
    one ticket may overlap; pauses of tickets not in ``tickets`` are ignored.

    Returns one row per ticket, in the order of ``tickets``, with the columns described in
    docs/sla.md: targets, counted business seconds, paused business seconds, due instants,
    states, margins and near-breach flags per clock.

    (Longer than most functions here, on purpose: the steps share a dozen aligned arrays, and
    reading them in one place, in order, is what makes the clock arithmetic checkable.)
    """
    now_s = epoch_seconds(now, "now")
    frame = _require(tickets, TICKET_COLUMNS, "tickets")
    n = frame.height
    ticket_ids, created = _ticket_ids_and_creation(frame)
    first_response, first_response_nulls = _instants(frame, "first_response_at", "tickets")
    resolved, resolved_nulls = _instants(frame, "resolved_at", "tickets")
    plan = _PolicyPlan(policies, frame, ticket_ids)

    # Pause intervals joined to ticket rows (only tickets under a policy matter).
    rows, pause_start, pause_end, pause_is_resolved = _pause_arrays(
        pauses, ticket_ids, plan.has_policy, now_s
    )

    # The first-response event: the recorded response, or the first time the ticket was
    # resolved (a resolved period before a reopen, or the final resolution), whichever is first.
    first_resolved = np.full(n, _NO_EVENT, dtype=np.int64)
    if pause_is_resolved.any():
        np.minimum.at(first_resolved, rows[pause_is_resolved], pause_start[pause_is_resolved])
    fr_event = _or_no_event(first_response, first_response_nulls)
    np.minimum(fr_event, _or_no_event(resolved, resolved_nulls), out=fr_event)
    np.minimum(fr_event, first_resolved, out=fr_event)
    fr_happened = fr_event != _NO_EVENT
    res_happened = np.ones(n, dtype=bool) if resolved_nulls is None else ~resolved_nulls

    # Each clock runs from creation to its event, or to now while the event is pending.
    fr_stop = np.maximum(np.where(fr_happened, fr_event, now_s), created)
    res_stop = np.maximum(np.where(res_happened, resolved, now_s), created)
    # Pause edges are clipped into the ticket's clock span before measuring, so that every
    # instant measured lies inside the span the calendars have to expand.
    span_end = np.maximum(fr_stop, res_stop)
    pause_start = np.clip(pause_start, created[rows], span_end[rows])
    pause_end = np.clip(pause_end, created[rows], span_end[rows])

    timelines, (b_created, b_fr_stop, b_res_stop), (b_pause_start, b_pause_end) = _business_elapsed(
        plan, rows, span_end, (created, fr_stop, res_stop), (pause_start, pause_end)
    )

    fr_span = b_fr_stop - b_created
    res_span = b_res_stop - b_created
    # Pauses relative to creation, sorted by ticket and start (in business time).
    rel_start = b_pause_start - b_created[rows]
    rel_end = b_pause_end - b_created[rows]
    width = int(max(fr_span.max(initial=0), res_span.max(initial=0))) + 1
    order = _pause_order(rows, rel_start, width)
    if order is not None:
        rows, rel_start, rel_end = rows[order], rel_start[order], rel_end[order]

    res = _Clock(
        target=plan.resolution_target,
        span=res_span,
        happened=res_happened,
        event=res_stop,
    )
    fr = _Clock(
        target=plan.first_response_target,
        span=fr_span,
        happened=fr_happened,
        event=fr_stop,
    )
    # Pauses count towards the first-response clock only under pause_first_response; a zero
    # upper bound clips them to nothing otherwise.
    fr_pause_limit = np.where(plan.pause_first_response, fr_span, 0)
    for clock, limit in ((res, res_span), (fr, fr_pause_limit)):
        clock.measure_pauses(rows, rel_start, rel_end, limit, width)

    for group, calendar in enumerate(plan.calendars):
        in_group = plan.calendar_group == group
        for clock in (res, fr):
            clock.schedule(calendar, timelines[group], in_group, created, b_created)
    for clock in (res, fr):
        clock.judge(now_s, plan.near_breach_share)

    return _result_frame(ticket_ids, plan.has_policy, fr, res)


def _ticket_ids_and_creation(frame: pl.DataFrame) -> tuple[pl.Series, np.ndarray]:
    """The tickets' ids (present and unique) and creation instants (present), or a
    ValueError naming up to five offending tickets."""
    ticket_ids = frame.get_column("ticket_id").cast(pl.Int64)
    if ticket_ids.null_count():
        raise ValueError("tickets.ticket_id: contains nulls")
    if ticket_ids.n_unique() != frame.height:
        dupes = ticket_ids.filter(ticket_ids.is_duplicated()).unique().sort().head(5).to_list()
        raise ValueError(f"tickets.ticket_id: duplicate ids, for example {dupes}")
    created, created_nulls = _instants(frame, "created_at", "tickets")
    if created_nulls is not None:
        bad = ticket_ids.filter(pl.Series(created_nulls)).head(5).to_list()
        raise ValueError(f"tickets.created_at: missing for tickets {bad}")
    return ticket_ids, created


def _business_elapsed(
    plan: _PolicyPlan,
    rows: np.ndarray,
    span_end: np.ndarray,
    ticket_instants: tuple[np.ndarray, ...],
    pause_instants: tuple[np.ndarray, ...],
) -> tuple[list[BusinessTimeline | None], tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Business time elapsed (B values) at each instant, per ticket calendar, and the
    calendars' timelines. ``ticket_instants`` are per ticket (the first is the creation),
    ``pause_instants`` per pause row (``rows`` maps them to tickets). B values of different
    calendars live on different scales; only differences within one ticket are used."""
    created = ticket_instants[0]
    b_tickets = tuple(np.zeros(len(created), dtype=np.int64) for _ in ticket_instants)
    b_pauses = tuple(np.zeros(len(rows), dtype=np.int64) for _ in pause_instants)
    timelines: list[BusinessTimeline | None] = []
    for group, calendar in enumerate(plan.calendars):
        mine = _selector(plan.calendar_group == group)
        pause_mine = _selector(plan.calendar_group[rows] == group)
        lo = int(created[mine].min(initial=_NO_EVENT))
        timelines.append(None)
        if lo == _NO_EVENT:
            continue
        hi = int(span_end[mine].max())
        timeline = timelines[group] = calendar.timeline(lo, hi)
        for b_values, instants in zip(b_tickets, ticket_instants, strict=True):
            b_values[mine] = timeline.elapsed(instants[mine])
        for b_values, instants in zip(b_pauses, pause_instants, strict=True):
            b_values[pause_mine] = timeline.elapsed(instants[pause_mine])
    return timelines, b_tickets, b_pauses


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


class _PolicyPlan:
    """Per-ticket policy facts: targets, options and calendar group."""

    def __init__(
        self, policies: Mapping[int, SlaPolicy], frame: pl.DataFrame, ticket_ids: pl.Series
    ) -> None:
        for policy_id, policy in policies.items():
            if not isinstance(policy, SlaPolicy):
                raise ValueError(f"policies[{policy_id!r}]: expected an SlaPolicy")
        n = frame.height
        policy_col = frame.get_column("policy_id").cast(pl.Int64)
        priority_col = frame.get_column("priority").cast(pl.Int64)
        ids = np.array(sorted(policies), dtype=np.int64)
        policy_values = policy_col.fill_null(0).to_numpy()
        position = np.searchsorted(ids, policy_values).clip(0, max(len(ids) - 1, 0))
        known = (
            ids[position] == policy_values if len(ids) else np.zeros(n, dtype=bool)
        ) & ~policy_col.is_null().to_numpy()
        unknown = ~known & ~policy_col.is_null().to_numpy()
        if unknown.any():
            bad = sorted(set(policy_values[unknown].tolist()))[:5]
            examples = ticket_ids.filter(pl.Series(unknown)).head(3).to_list()
            raise ValueError(
                f"tickets.policy_id: unknown SLA policy ids {bad} (e.g. tickets {examples}); "
                "pass every policy in `policies`"
            )
        self.has_policy: BoolArray = known
        ordered = [policies[int(i)] for i in ids]
        self.calendars: list[BusinessCalendar] = []
        calendar_index: dict[BusinessCalendar, int] = {}
        group_of_policy = np.zeros(len(ids), dtype=np.int64)
        for k, policy in enumerate(ordered):
            group_of_policy[k] = calendar_index.setdefault(policy.calendar, len(calendar_index))
            if group_of_policy[k] == len(self.calendars):
                self.calendars.append(policy.calendar)
        self.calendar_group: Int64Array = np.where(known, group_of_policy[position], -1)

        priority = priority_col.fill_null(-1000).to_numpy()
        has_priority = ~priority_col.is_null().to_numpy()
        offset = 128  # priorities are int8: -128..127 index a table of 256 columns
        in_range = has_priority & (priority >= -128) & (priority <= 127)
        column = np.where(in_range, priority + offset, 0)

        def targets(attribute: str) -> Int64Array:
            table = np.zeros((max(len(ids), 1), 256), dtype=np.int64)
            for k, policy in enumerate(ordered):
                for prio, seconds in getattr(policy, attribute).items():
                    table[k, prio + offset] = seconds
            found: Int64Array = table[position, column]
            return np.where(known & in_range, found, 0)

        self.first_response_target = targets("first_response_targets")
        self.resolution_target = targets("resolution_targets")
        pause_fr = np.array([p.pause_first_response for p in ordered] or [False])
        share = np.array([float(p.near_breach_share) for p in ordered] or [1.0])
        self.pause_first_response: BoolArray = known & pause_fr[position]
        self.near_breach_share: npt.NDArray[np.float64] = share[position]


def _pause_arrays(
    pauses: pl.DataFrame, ticket_ids: pl.Series, has_policy: BoolArray, now: int
) -> tuple[npt.NDArray[np.intp], Int64Array, Int64Array, BoolArray]:
    """Pauses as (ticket row, start, end, is a resolved period), ``end`` null read as now;
    only pauses of tickets under a policy."""
    frame = _require(pauses, PAUSE_COLUMNS, "pauses")
    kinds = frame.get_column("kind").cast(pl.String)
    bad_kinds = set(kinds.unique().to_list()) - set(PAUSE_KINDS)
    if bad_kinds:
        raise ValueError(f"pauses.kind: unknown kinds {sorted(map(str, bad_kinds))}")
    for column in ("start", "end"):
        _instant_dtype(frame, column, "pauses")
    start_col = frame.get_column("start")
    if start_col.null_count():
        raise ValueError("pauses.start: contains nulls; every pause needs a start")
    start = start_col.dt.epoch("s").to_numpy().astype(np.int64, copy=False)
    end_col = frame.get_column("end")
    if isinstance(end_col.dtype, pl.Null):
        end = np.full(len(start), now, dtype=np.int64)
    else:
        end = end_col.dt.epoch("s").fill_null(now).to_numpy().astype(np.int64, copy=False)
    is_resolved = (kinds == "resolved").to_numpy()
    pause_ticket = frame.get_column("ticket_id").cast(pl.Int64).to_numpy()
    rows, found = _rows_of(ticket_ids.to_numpy(), pause_ticket)
    keep = found & has_policy[rows]
    if keep.all():
        return rows, start, end, is_resolved
    return rows[keep], start[keep], end[keep], is_resolved[keep]


def _pause_order(
    rows: npt.NDArray[np.intp], rel_start: Int64Array, width: int
) -> npt.NDArray[np.intp] | None:
    """Order that sorts pauses by ticket row, then start; None if already sorted."""
    if len(rows) < 2:
        return None
    start = np.clip(rel_start, 0, width - 1)
    if (int(rows.max()) + 1) * width < 2**62:
        key = rows.astype(np.int64) * np.int64(width) + start
        if bool((key[1:] >= key[:-1]).all()):
            return None
        return np.argsort(key, kind="stable").astype(np.intp)
    return np.lexsort((start, rows)).astype(np.intp)


def _sum_by_row(rows: npt.NDArray[np.intp], values: Int64Array, n: int) -> Int64Array:
    """Totals per ticket row of values whose rows are sorted (grouped)."""
    totals = np.zeros(n, dtype=np.int64)
    if len(rows) == 0:
        return totals
    first = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    totals[rows[first]] = np.add.reduceat(values, first)
    return totals


def _or_no_event(instants: Int64Array, nulls: BoolArray | None) -> Int64Array:
    if nulls is None:
        return instants.copy()
    return np.where(nulls, _NO_EVENT, instants)


def _selector(mask: BoolArray) -> npt.NDArray[np.intp] | slice:
    """Index for a boolean mask; a plain slice when it selects everything (no copy)."""
    if mask.all():
        return slice(None)
    return np.flatnonzero(mask)


def _result_frame(
    ticket_ids: pl.Series, has_policy: BoolArray, fr: _Clock, res: _Clock
) -> pl.DataFrame:
    columns: dict[str, pl.Series] = {"ticket_id": ticket_ids.alias("ticket_id")}
    measured = has_policy
    for prefix, clock in (("first_response", fr), ("resolution", res)):
        assert clock.counted is not None
        assert clock.due is not None
        assert clock.state is not None
        assert clock.near_breach is not None
        has_target = clock.target > 0
        columns[f"{prefix}_target_seconds"] = _masked(clock.target, has_target, pl.Int64)
        columns[f"{prefix}_business_seconds"] = _masked(clock.counted, measured, pl.Int64)
        if prefix == "resolution":
            assert clock.paused is not None
            columns["paused_business_seconds"] = _masked(clock.paused, measured, pl.Int64)
        columns[f"{prefix}_due"] = _masked(clock.due * _MICROS, has_target, pl.Int64).cast(_TIME)
        columns[f"{prefix}_state"] = _masked(clock.state, has_target, pl.Int8).replace_strict(
            dict(enumerate(STATES)), return_dtype=pl.String
        )
        columns[f"{prefix}_margin_seconds"] = _masked(
            clock.target - clock.counted, has_target, pl.Int64
        )
        columns[f"{prefix}_near_breach"] = _masked(clock.near_breach, has_target, pl.Boolean)
    return pl.DataFrame({name: series.alias(name) for name, series in columns.items()})


def _masked(
    values: npt.NDArray[np.generic], keep: BoolArray, dtype: pl.DataType | type[pl.DataType]
) -> pl.Series:
    series = pl.Series(values=values, dtype=dtype)
    if keep.all():
        return series
    return pl.select(pl.when(pl.lit(pl.Series(keep))).then(series)).to_series()


# -- status histories ------------------------------------------------------------------------


def pauses_from_status_changes(
    changes: pl.DataFrame,
    pausing_statuses: Mapping[int, Collection[str]] | Collection[str],
    *,
    tickets: pl.DataFrame | None = None,
    resolved_statuses: Collection[str] = RESOLVED_STATUSES,
) -> pl.DataFrame:
    """Derive the pause intervals of :func:`evaluate_tickets` from status histories.

    ``changes``: ``ticket_id``, ``changed_at`` (Datetime with a time zone) and ``status`` (the
    status entered). A status holds from its change until the ticket's next change, or is still
    current (open end). Periods in a pausing status become kind "pause" (open-ended if current);
    periods in a resolved status that a later change to another status ends (a reopen) become
    kind "resolved". Consecutive periods of one kind are joined, and periods of no length
    dropped. The time a ticket currently sits resolved is not a pause: its resolution clock has
    stopped.

    ``pausing_statuses`` is either one collection for every ticket or a mapping from SLA policy
    id to the statuses that pause under that policy; the mapping needs each ticket's
    ``policy_id``, from a ``policy_id`` column in ``changes`` or from ``tickets``
    (``ticket_id``, ``policy_id``). Tickets without a policy get no "pause" periods.

    Changes at the same instant keep their order in ``changes``. Returns ``ticket_id``,
    ``start``, ``end``, ``kind`` sorted by ticket and start.
    """
    resolved = _status_set(resolved_statuses, "resolved_statuses")
    if isinstance(pausing_statuses, Mapping):
        per_policy = {
            int(policy_id): _status_set(statuses, f"pausing_statuses[{policy_id!r}]")
            for policy_id, statuses in pausing_statuses.items()
        }
    else:
        per_policy = {0: _status_set(pausing_statuses, "pausing_statuses")}
    for statuses in per_policy.values():
        _check_disjoint(statuses, resolved)
    known = sorted(resolved | set().union(*per_policy.values()))
    history = _History(changes, known, resolved)

    # Which statuses pause, per policy: a small table [policy, status code] -> bool.
    policy_ids = np.array(sorted(per_policy), dtype=np.int64)
    table = np.zeros((len(policy_ids) + 1, len(known) + 1), dtype=bool)  # last row: no policy
    for row, policy_id in enumerate(policy_ids):
        for status in per_policy[int(policy_id)]:
            table[row, known.index(status)] = True
    if isinstance(pausing_statuses, Mapping):
        policy_row = _policy_rows(history, changes, tickets, policy_ids)
    else:
        policy_row = np.zeros(len(history.ticket), dtype=np.intp)
    pausing = table[policy_row, history.code] & ~history.resolved

    # A resolved period counts when a later change of the same ticket leaves the resolved
    # statuses (a reopen): find the next working row after each row.
    n = len(history.ticket)
    position = np.where(history.resolved, n, np.arange(n))
    next_working = np.minimum.accumulate(position[::-1])[::-1]
    reopened = history.resolved & (next_working < n)
    reopened &= history.ticket[np.minimum(next_working, max(n - 1, 0))] == history.ticket
    kind = np.where(pausing, 1, np.where(reopened, 2, 0)).astype(np.int8)

    kept = np.flatnonzero(kind > 0)
    ticket, start, end = history.ticket[kept], history.at[kept], history.end[kept]
    has_end, kind = history.has_end[kept], kind[kept]
    # Join a period to the one before when it continues it: same ticket, same kind, and it
    # starts where the previous one ended.
    continues = np.zeros(len(kept), dtype=bool)
    continues[1:] = (
        (ticket[1:] == ticket[:-1])
        & (kind[1:] == kind[:-1])
        & has_end[:-1]
        & (start[1:] == end[:-1])
    )
    first = np.flatnonzero(~continues)
    last = np.append(first[1:], len(kept))[: len(first)] - 1
    ticket, start, kind = ticket[first], start[first], kind[first]
    end, has_end = end[last], has_end[last]
    lasting = ~has_end | (end > start)
    ticket, start, kind = ticket[lasting], start[lasting], kind[lasting]
    end, has_end = end[lasting], has_end[lasting]
    return pl.DataFrame(
        {
            "ticket_id": pl.Series(ticket, dtype=pl.Int64),
            "start": pl.Series(start, dtype=pl.Int64).cast(_TIME),
            "end": _masked(end, has_end, pl.Int64).cast(_TIME),
            "kind": pl.Series(list(PAUSE_KINDS)).gather((kind - 1).astype(np.uint32)),
        }
    )


def reopen_counts(
    changes: pl.DataFrame, *, resolved_statuses: Collection[str] = RESOLVED_STATUSES
) -> pl.DataFrame:
    """Reopens per ticket: changes from a resolved status to any other status.

    Returns ``ticket_id`` and ``reopen_count`` (int64) for every ticket in ``changes``, sorted by
    ticket; tickets without status changes are absent (left-join and fill with 0).
    """
    resolved = _status_set(resolved_statuses, "resolved_statuses")
    history = _History(changes, sorted(resolved), resolved)
    ticket = history.ticket
    new_ticket = np.ones(len(ticket), dtype=bool)
    new_ticket[1:] = ticket[1:] != ticket[:-1]
    reopen = np.zeros(len(ticket), dtype=np.int64)
    reopen[1:] = ~new_ticket[1:] & history.resolved[:-1] & ~history.resolved[1:]
    starts = np.flatnonzero(new_ticket)
    counts = np.add.reduceat(reopen, starts) if len(starts) else reopen[:0]
    return pl.DataFrame(
        {
            "ticket_id": pl.Series(ticket[starts], dtype=pl.Int64),
            "reopen_count": pl.Series(counts, dtype=pl.Int64),
        }
    )


class _History:
    """Status changes as arrays sorted by ticket and time (ties keep input order): ticket,
    instant (UTC epoch microseconds), the next change's instant, and status codes."""

    def __init__(self, changes: pl.DataFrame, known: list[str], resolved: frozenset[str]) -> None:
        frame = _require(changes, CHANGE_COLUMNS, "changes")
        _instant_dtype(frame, "changed_at", "changes")
        for column in CHANGE_COLUMNS:
            if frame.get_column(column).null_count():
                raise ValueError(f"changes.{column}: contains nulls")
        ticket = frame.get_column("ticket_id").cast(pl.Int64).to_numpy()
        at = frame.get_column("changed_at").dt.epoch("us").to_numpy()
        # Status names become small codes: the index in ``known``, or len(known) for any other
        # status (a working status that neither pauses nor resolves).
        status = frame.get_column("status").cast(pl.String)
        code = np.full(len(status), len(known), dtype=np.intp)
        for index, name in enumerate(known):  # a handful of names; one vectorised compare each
            code[(status == name).to_numpy()] = index
        order = _order_by(ticket, at)
        if order is not None:
            ticket, at, code = ticket[order], at[order], code[order]
        self.order = order
        self.ticket: Int64Array = ticket.astype(np.int64, copy=False)
        self.at: Int64Array = at.astype(np.int64, copy=False)
        self.code: npt.NDArray[np.intp] = code.astype(np.intp)
        resolved_codes = [known.index(name) for name in resolved]
        self.resolved: BoolArray = np.isin(self.code, resolved_codes)
        n = len(ticket)
        self.has_end: BoolArray = np.zeros(n, dtype=bool)
        self.has_end[:-1] = ticket[1:] == ticket[:-1]
        self.end: Int64Array = np.zeros(n, dtype=np.int64)
        self.end[:-1] = self.at[1:]


def _order_by(ticket: Int64Array, at: Int64Array) -> npt.NDArray[np.intp] | None:
    """A stable order by ticket then time; None when the rows are already in that order (the
    usual case for a database export), which saves the sort."""
    if len(ticket) < 2:
        return None
    step = ticket[1:] - ticket[:-1]
    if bool((step > 0).all()) or bool(((step > 0) | ((step == 0) & (at[1:] >= at[:-1]))).all()):
        return None
    return np.lexsort((at, ticket)).astype(np.intp)


def _policy_rows(
    history: _History,
    changes: pl.DataFrame,
    tickets: pl.DataFrame | None,
    policy_ids: Int64Array,
) -> npt.NDArray[np.intp]:
    """Per status change: the row of its ticket's policy in ``policy_ids``; the extra last row
    (no pausing statuses) for tickets without a policy."""
    if "policy_id" in changes.columns:
        policy_col = changes.get_column("policy_id").cast(pl.Int64)
        present = ~policy_col.is_null().to_numpy()
        policy = policy_col.fill_null(0).to_numpy()
        if history.order is not None:
            policy, present = policy[history.order], present[history.order]
    elif tickets is not None and {"ticket_id", "policy_id"} <= set(tickets.columns):
        owner_ids = tickets.get_column("ticket_id").cast(pl.Int64).to_numpy()
        owner_col = tickets.get_column("policy_id").cast(pl.Int64)
        rows, found = _rows_of(owner_ids, history.ticket)
        present = found & ~owner_col.is_null().to_numpy()[rows]
        policy = owner_col.fill_null(0).to_numpy()[rows]
    else:
        raise ValueError(
            "pausing_statuses per policy needs each ticket's policy: add a policy_id column "
            "to changes or pass tickets with ticket_id and policy_id"
        )
    position = np.searchsorted(policy_ids, policy).clip(0, max(len(policy_ids) - 1, 0))
    matched = present & (policy_ids[position] == policy if len(policy_ids) else False)
    missing = present & ~matched
    if missing.any():
        bad = sorted(set(policy[missing].tolist()))[:5]
        raise ValueError(
            f"pausing_statuses: no entry for SLA policy ids {bad}; give every policy an "
            "entry (an empty list if no status pauses)"
        )
    return np.where(matched, position, len(policy_ids)).astype(np.intp)


def _rows_of(ids: Int64Array, wanted: Int64Array) -> tuple[npt.NDArray[np.intp], BoolArray]:
    """Row of each wanted id in ``ids`` (unique) and whether it was found at all."""
    if len(ids) == 0 or len(wanted) == 0:
        return np.zeros(len(wanted), dtype=np.intp), np.zeros(len(wanted), dtype=bool)
    low, high = int(ids.min()), int(ids.max())
    if high - low <= max(4 * len(ids), 1 << 20):
        # Ticket ids are database keys, mostly dense: a direct lookup table beats any search.
        table = np.full(high - low + 2, -1, dtype=np.intp)  # last slot: out of range
        table[ids - low] = np.arange(len(ids), dtype=np.intp)
        offset = wanted - low
        offset[(offset < 0) | (offset > high - low)] = high - low + 1
        rows = table[offset]
        found = rows >= 0
        return np.where(found, rows, 0).astype(np.intp), found
    if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
        order = None
        ordered = ids
    else:
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
    position = np.searchsorted(ordered, wanted).clip(0, len(ids) - 1)
    found = ordered[position] == wanted
    rows = position if order is None else order[position]
    return rows.astype(np.intp), found


def _status_set(statuses: Collection[str], name: str) -> frozenset[str]:
    if isinstance(statuses, str) or not all(isinstance(s, str) for s in statuses):
        raise ValueError(f"{name}: expected a collection of status names, got {statuses!r}")
    return frozenset(statuses)


def _check_disjoint(pausing: Collection[str], resolved: frozenset[str]) -> None:
    both = sorted(set(pausing) & resolved)
    if both:
        raise ValueError(
            f"pausing_statuses: {both} are resolved statuses; time spent resolved is handled "
            "as a reopen period, not as a pause"
        )


# -- frame checks ------------------------------------------------------------------------------


def _require(frame: pl.DataFrame, columns: Mapping[str, object], name: str) -> pl.DataFrame:
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{name}: expected a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; expected {list(columns)}")
    return frame


def _instant_dtype(frame: pl.DataFrame, column: str, name: str) -> None:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Null):
        return
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValueError(f"{name}.{column}: expected Datetime with a time zone (UTC), got {dtype}")


def _instants(frame: pl.DataFrame, column: str, name: str) -> tuple[Int64Array, BoolArray | None]:
    """UTC epoch seconds of a column (floored) and its null mask (None if no nulls)."""
    _instant_dtype(frame, column, name)
    series = frame.get_column(column)
    if isinstance(series.dtype, pl.Null):
        return np.zeros(len(series), dtype=np.int64), np.ones(len(series), dtype=bool)
    seconds = series.dt.epoch("s")
    if seconds.null_count():
        mask = seconds.is_null().to_numpy()
        return seconds.fill_null(0).to_numpy().astype(np.int64), mask
    return seconds.to_numpy().astype(np.int64), None
