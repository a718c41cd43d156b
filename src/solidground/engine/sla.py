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

Where the code lives: this module holds the policy and the evaluation (``evaluate_tickets``);
one clock's arithmetic (pauses, due instant, state) is in ``sla_clock``, the pauses and reopens
derived from status histories in ``sla_history``, and the input frames' columns and checks in
``sla_inputs``. Everything public is importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.engine._calendar_arrays import epoch_seconds
from solidground.engine.calendar import BusinessCalendar, BusinessTimeline
from solidground.engine.sla_clock import _Clock, _selector
from solidground.engine.sla_history import pauses_from_status_changes, reopen_counts
from solidground.engine.sla_inputs import (
    _MICROS,
    _NO_EVENT,
    _TIME,
    PAUSE_COLUMNS,
    PAUSE_KINDS,
    RESOLVED_STATUSES,
    STATES,
    STATUSES,
    TICKET_COLUMNS,
    BoolArray,
    Int64Array,
    _instant_dtype,
    _instants,
    _masked,
    _require,
    _rows_of,
)

# Not in __all__, but importable from here as before the split.
from solidground.engine.sla_inputs import (
    CHANGE_COLUMNS as CHANGE_COLUMNS,
)

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


# Long on purpose: the steps share a dozen aligned arrays, and reading them in one place, in
# order, is what makes the clock arithmetic checkable.
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


def _or_no_event(instants: Int64Array, nulls: BoolArray | None) -> Int64Array:
    if nulls is None:
        return instants.copy()
    return np.where(nulls, _NO_EVENT, instants)


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
