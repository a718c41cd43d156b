"""Status histories of tickets: the pause intervals and reopens the SLA clocks need.

``pauses_from_status_changes`` turns each ticket's status changes into the intervals that
stop its clocks (time in a pausing status, and resolved periods that a reopen ended), per SLA
policy when policies pause on different statuses; ``reopen_counts`` counts the changes out of
a resolved status. The result of the first is the ``pauses`` input of
``sla.evaluate_tickets``. Both are importable from ``sla`` too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.engine.sla_inputs import (
    _TIME,
    CHANGE_COLUMNS,
    PAUSE_KINDS,
    RESOLVED_STATUSES,
    BoolArray,
    Int64Array,
    _instant_dtype,
    _masked,
    _require,
    _rows_of,
)

__all__ = ["pauses_from_status_changes", "reopen_counts"]


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

    table = _pausing_table(per_policy, known)
    policy_row = _policy_row_of_changes(history, changes, tickets, pausing_statuses, per_policy)
    pausing = table[policy_row, history.code] & ~history.resolved

    # A resolved period counts when a later change of the same ticket leaves the resolved
    # statuses (a reopen): find the next working row after each row.
    n = len(history.ticket)
    position = np.where(history.resolved, n, np.arange(n))
    next_working = np.minimum.accumulate(position[::-1])[::-1]
    reopened = history.resolved & (next_working < n)
    reopened &= history.ticket[np.minimum(next_working, max(n - 1, 0))] == history.ticket
    kind = np.where(pausing, 1, np.where(reopened, 2, 0)).astype(np.int8)

    return _joined_periods(history, kind)


def _pausing_table(
    per_policy: Mapping[int, frozenset[str]], known: list[str]
) -> npt.NDArray[np.bool_]:
    """Which statuses pause, per policy: a small table [policy row, status code] -> bool, in
    the order of the sorted policy ids; the last row (no policy) pauses on nothing, and so
    does the last column (any status not in ``known``)."""
    policy_ids = np.array(sorted(per_policy), dtype=np.int64)
    table = np.zeros((len(policy_ids) + 1, len(known) + 1), dtype=bool)  # last row: no policy
    for row, policy_id in enumerate(policy_ids):
        for status in per_policy[int(policy_id)]:
            table[row, known.index(status)] = True
    return table


def _policy_row_of_changes(
    history: _History,
    changes: pl.DataFrame,
    tickets: pl.DataFrame | None,
    pausing_statuses: Mapping[int, Collection[str]] | Collection[str],
    per_policy: Mapping[int, frozenset[str]],
) -> npt.NDArray[np.intp]:
    """Per status change: its row in ``_pausing_table`` (0 for every change when one
    collection of pausing statuses holds for every ticket)."""
    if isinstance(pausing_statuses, Mapping):
        policy_ids = np.array(sorted(per_policy), dtype=np.int64)
        return _policy_rows(history, changes, tickets, policy_ids)
    return np.zeros(len(history.ticket), dtype=np.intp)


def _joined_periods(history: _History, kind: npt.NDArray[np.int8]) -> pl.DataFrame:
    """The pause frame: the history rows of a kind (1 pause, 2 resolved, 0 neither), joined
    where a period continues the one before, without periods of no length."""
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
