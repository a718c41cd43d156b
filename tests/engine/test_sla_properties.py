"""Property tests: evaluate_tickets against the slow per-ticket reference.

Random calendars around DST transitions and window edges (strategies in sla_reference.py),
random targets and options, tickets with and without events, and overlapping pauses of both
kinds, some still open at ``now``. Settings: sla_reference.SLA_PROFILE.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import assume, given, note
from hypothesis import strategies as st

from solidground.engine.sla import SlaPolicy, evaluate_tickets, pauses_from_status_changes
from tests.engine.sla_reference import (
    DAY,
    CalendarSpec,
    ReferenceCalendar,
    ReferencePause,
    ReferencePolicy,
    ReferenceTicket,
    calendar_cases,
    engine_row_in_reference_terms,
    evaluate_ticket,
    examples,
    from_epoch,
    instants_near,
    to_epoch,
)

TIME = pl.Datetime("us", "UTC")


def _ticket_frame(tickets: list[ReferenceTicket]) -> pl.DataFrame:
    def instant(value: int | None) -> object:
        return None if value is None else from_epoch(value)

    return pl.DataFrame(
        {
            "ticket_id": [t.ticket_id for t in tickets],
            "policy_id": [t.policy_id for t in tickets],
            "priority": [t.priority for t in tickets],
            "created_at": [instant(t.created_at) for t in tickets],
            "first_response_at": [instant(t.first_response_at) for t in tickets],
            "resolved_at": [instant(t.resolved_at) for t in tickets],
        },
        schema={
            "ticket_id": pl.Int64,
            "policy_id": pl.Int64,
            "priority": pl.Int8,
            "created_at": TIME,
            "first_response_at": TIME,
            "resolved_at": TIME,
        },
    )


def _pause_frame(pauses: list[ReferencePause]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ticket_id": [p.ticket_id for p in pauses],
            "start": [from_epoch(p.start) for p in pauses],
            "end": [None if p.end is None else from_epoch(p.end) for p in pauses],
            "kind": [p.kind for p in pauses],
        },
        schema={"ticket_id": pl.Int64, "start": TIME, "end": TIME, "kind": pl.String},
    )


@st.composite
def _targets(draw: st.DrawFn, capacity: int) -> dict[int, int]:
    priorities = draw(st.sets(st.integers(1, 4)))
    amounts = st.one_of(st.integers(1, max(1, capacity // 2)), st.sampled_from([1, 60, 900]))
    return {priority: draw(amounts) for priority in priorities}


@st.composite
def _optional_after(draw: st.DrawFn, start: int, near: st.SearchStrategy[int]) -> int | None:
    return draw(
        st.one_of(
            st.none(),
            near,
            st.integers(0, 6 * DAY).map(lambda d: start + d),
            st.sampled_from([0, 1, 59, 60, 3600]).map(lambda d: start + d),
        )
    )


@given(case=calendar_cases(), data=st.data())
@examples(1.5)
def test_evaluate_tickets_matches_reference(
    case: tuple[CalendarSpec, int], data: st.DataObject
) -> None:
    # given a policy on a random calendar with business time around the anchor
    spec, anchor = case
    try:
        calendar = spec.build()
    except ValueError:
        calendar = None  # partial days overlapping a night shift: refused, and the case dropped
    assume(calendar is not None)
    assert calendar is not None
    capacity = ReferenceCalendar(spec).business_seconds(anchor - 5 * DAY, anchor + 40 * DAY)
    assume(capacity > 0)
    options = {
        "first_response_targets": data.draw(_targets(capacity), label="first response"),
        "resolution_targets": data.draw(_targets(capacity), label="resolution"),
        "pause_first_response": data.draw(st.booleans(), label="pause first response"),
        "near_breach_share": data.draw(st.sampled_from([0.5, 0.75, 0.9, 1.0]), label="share"),
    }
    engine_policies = {7: SlaPolicy(calendar=calendar, **options)}  # type: ignore[arg-type]
    reference_policies = {7: ReferencePolicy(calendar=spec, **options)}  # type: ignore[arg-type]

    # and tickets near the anchor with events, priorities and overlapping pauses
    near = instants_near(spec, anchor)
    tickets: list[ReferenceTicket] = []
    pauses: list[ReferencePause] = []
    for ticket_id in range(1, data.draw(st.integers(1, 6), label="tickets") + 1):
        created = data.draw(near)
        tickets.append(
            ReferenceTicket(
                ticket_id=ticket_id * 11,
                policy_id=data.draw(st.sampled_from([7, 7, 7, None])),
                priority=data.draw(st.one_of(st.none(), st.integers(1, 5))),
                created_at=created,
                first_response_at=data.draw(_optional_after(created, near)),
                resolved_at=data.draw(_optional_after(created, near)),
            )
        )
        for _ in range(data.draw(st.integers(0, 4))):
            around_creation = st.integers(-DAY, 5 * DAY).map(lambda d, c=created: c + d)
            start = data.draw(st.one_of(near, around_creation))
            end = data.draw(
                st.one_of(
                    st.none(),
                    st.integers(0, 3 * DAY).map(lambda d, s=start: s + d),
                    st.sampled_from([0, 1, 3600]).map(lambda d, s=start: s + d),
                )
            )
            kind = data.draw(st.sampled_from(["pause", "pause", "resolved"]))
            pauses.append(ReferencePause(ticket_id * 11, start, end, kind))
    # a pause of a ticket that is not evaluated is ignored
    pauses.append(ReferencePause(999, anchor, None, "pause"))
    now = data.draw(st.one_of(near, st.integers(0, 10 * DAY).map(lambda d: anchor + d)))
    note(f"spec={spec}")
    note(f"now={from_epoch(now)} tickets={tickets} pauses={pauses}")

    # when the engine evaluates them all at once
    result = evaluate_tickets(
        _ticket_frame(tickets),
        _pause_frame(pauses),
        engine_policies,
        now=from_epoch(now),
    )

    # then each row is the reference's
    assert result.get_column("ticket_id").to_list() == [t.ticket_id for t in tickets]
    for ticket, row in zip(tickets, result.iter_rows(named=True), strict=True):
        expected = evaluate_ticket(ticket, pauses, reference_policies, now)
        assert engine_row_in_reference_terms(row) == expected, ticket.ticket_id


STATUSES = (
    "new",
    "open",
    "in_progress",
    "waiting_customer",
    "waiting_third_party",
    "resolved",
    "closed",
)


@given(
    histories=st.lists(
        st.lists(
            st.tuples(st.integers(0, 20 * DAY), st.sampled_from(STATUSES)), min_size=1, max_size=8
        ),
        min_size=1,
        max_size=5,
    ),
    pausing=st.sets(st.sampled_from(["waiting_customer", "waiting_third_party", "open"])),
)
@examples(1)
def test_pauses_from_history_match_a_walk_through_each_history(
    histories: list[list[tuple[int, str]]], pausing: set[str]
) -> None:
    # given status histories (changes may share an instant)
    base = to_epoch(from_epoch(0) + timedelta(days=20_000))
    rows = [
        (ticket_id, base + offset, status)
        for ticket_id, history in enumerate(histories, start=1)
        for offset, status in history
    ]
    changes = pl.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "changed_at": [from_epoch(r[1]) for r in rows],
            "status": [r[2] for r in rows],
        },
        schema={"ticket_id": pl.Int64, "changed_at": TIME, "status": pl.String},
    )

    # when they become pause intervals
    pauses = pauses_from_status_changes(changes, pausing)

    # then each instant is paused exactly when a walk through the sorted history says so
    for ticket_id, history in enumerate(histories, start=1):
        ordered = sorted(enumerate(history), key=lambda item: (item[1][0], item[0]))
        steps = [(base + offset, status) for _, (offset, status) in ordered]
        mine = pauses.filter(pl.col("ticket_id") == ticket_id)
        intervals = [
            (to_epoch(r["start"]), None if r["end"] is None else to_epoch(r["end"]), r["kind"])
            for r in mine.iter_rows(named=True)
        ]
        last_working = max(
            (i for i, (_, s) in enumerate(steps) if s not in ("resolved", "closed")), default=-1
        )
        for i, (start, status) in enumerate(steps):
            end = steps[i + 1][0] if i + 1 < len(steps) else None
            if end is not None and end == start:
                continue
            if status in ("resolved", "closed"):
                expected = "resolved" if i < last_working else None
            else:
                expected = "pause" if status in pausing else None
            probe = start
            found = [
                kind for lo, hi, kind in intervals if lo <= probe and (hi is None or probe < hi)
            ]
            assert found == ([expected] if expected else []), (ticket_id, i, steps)
