"""SLA evaluation behaviour: the frames in and out, pause handling, status histories, reopens,
and the errors a caller can make."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from solidground.engine.calendar import BusinessCalendar
from solidground.engine.sla import (
    SlaPolicy,
    evaluate_tickets,
    pauses_from_status_changes,
    reopen_counts,
)

BERLIN = ZoneInfo("Europe/Berlin")
TIME = pl.Datetime("us", "UTC")
OFFICE = BusinessCalendar(
    timezone="Europe/Berlin",
    weekly={day: [("08:00", "12:00"), ("13:00", "17:00")] for day in range(5)},
    holidays=("DE", "BY"),
)
HOUR = 3600
POLICY = SlaPolicy(
    calendar=OFFICE,
    first_response_targets={1: HOUR // 2, 2: HOUR, 3: 4 * HOUR},
    resolution_targets={1: 4 * HOUR, 2: 8 * HOUR, 3: 16 * HOUR},
)
TICKET_SCHEMA = {
    "ticket_id": pl.Int64,
    "policy_id": pl.Int64,
    "priority": pl.Int8,
    "created_at": TIME,
    "first_response_at": TIME,
    "resolved_at": TIME,
}
PAUSE_SCHEMA = {"ticket_id": pl.Int64, "start": TIME, "end": TIME, "kind": pl.String}
CHANGE_SCHEMA = {"ticket_id": pl.Int64, "changed_at": TIME, "status": pl.String}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def tickets(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TICKET_SCHEMA, orient="row")


def pauses(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PAUSE_SCHEMA, orient="row")


def changes(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CHANGE_SCHEMA, orient="row")


ONE_OPEN_TICKET = tickets((1, 1, 2, berlin(2026, 3, 2, 8), None, None))
NOW = berlin(2026, 3, 2, 12)


# -- the frames ---------------------------------------------------------------------------------


def test_result_has_one_row_per_ticket_with_documented_columns() -> None:
    result = evaluate_tickets(ONE_OPEN_TICKET, pauses(), {1: POLICY}, now=NOW)
    assert result.schema == pl.Schema(
        {
            "ticket_id": pl.Int64,
            "first_response_target_seconds": pl.Int64,
            "first_response_business_seconds": pl.Int64,
            "first_response_due": TIME,
            "first_response_state": pl.String,
            "first_response_margin_seconds": pl.Int64,
            "first_response_near_breach": pl.Boolean,
            "resolution_target_seconds": pl.Int64,
            "resolution_business_seconds": pl.Int64,
            "paused_business_seconds": pl.Int64,
            "resolution_due": TIME,
            "resolution_state": pl.String,
            "resolution_margin_seconds": pl.Int64,
            "resolution_near_breach": pl.Boolean,
        }
    )


def test_empty_frames_give_an_empty_result() -> None:
    result = evaluate_tickets(tickets(), pauses(), {1: POLICY}, now=NOW)
    assert result.height == 0
    assert "resolution_state" in result.columns


def test_rows_keep_the_order_of_the_tickets_frame() -> None:
    frame = tickets(
        (30, 1, 1, berlin(2026, 3, 2, 8), None, None),
        (10, None, 1, berlin(2026, 3, 2, 8), None, None),
        (20, 1, 3, berlin(2026, 3, 2, 9), None, None),
    )
    result = evaluate_tickets(frame, pauses(), {1: POLICY}, now=NOW)
    assert result.get_column("ticket_id").to_list() == [30, 10, 20]


def test_instants_in_any_zone_and_unit_are_accepted() -> None:
    # given the same ticket with columns in Berlin time and milliseconds
    local = ONE_OPEN_TICKET.with_columns(
        pl.col("created_at").dt.convert_time_zone("Europe/Berlin").dt.cast_time_unit("ms")
    )
    # then the result is the same
    assert evaluate_tickets(local, pauses(), {1: POLICY}, now=NOW).equals(
        evaluate_tickets(ONE_OPEN_TICKET, pauses(), {1: POLICY}, now=NOW)
    )


def test_policies_with_different_calendars_in_one_frame() -> None:
    # given a Berlin office policy and a 24x7 New York policy, one ticket each
    always = SlaPolicy(
        calendar=BusinessCalendar.always_open("America/New_York"),
        first_response_targets={1: HOUR},
        resolution_targets={1: 4 * HOUR},
    )
    frame = tickets(
        (1, 1, 1, berlin(2026, 3, 6, 16), None, None),
        (2, 2, 1, berlin(2026, 3, 6, 16), None, None),
    )
    result = evaluate_tickets(frame, pauses(), {1: POLICY, 2: always}, now=berlin(2026, 3, 7, 12))
    # then the office ticket waits for Monday, the 24x7 one counts the night through
    assert result.get_column("resolution_business_seconds").to_list() == [HOUR, 20 * HOUR]
    assert result.get_column("resolution_due").to_list() == [
        berlin(2026, 3, 9, 11),
        berlin(2026, 3, 6, 20),
    ]
    assert result.get_column("resolution_state").to_list() == ["running", "running_breached"]


# -- pauses -------------------------------------------------------------------------------------


def test_overlapping_pauses_count_once() -> None:
    # given two overlapping pauses 09:00-10:30 and 10:00-11:00 on an open ticket
    overlapping = pauses(
        (1, berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 10, 30), "pause"),
        (1, berlin(2026, 3, 2, 10), berlin(2026, 3, 2, 11), "pause"),
    )
    result = evaluate_tickets(ONE_OPEN_TICKET, overlapping, {1: POLICY}, now=NOW)
    # then two hours are paused, not two and a half
    assert result.get_column("paused_business_seconds").to_list() == [2 * HOUR]
    assert result.get_column("resolution_business_seconds").to_list() == [2 * HOUR]


def test_pauses_outside_the_clock_do_not_count() -> None:
    # given pauses before creation and after resolution
    resolved = tickets((1, 1, 2, berlin(2026, 3, 2, 9), None, berlin(2026, 3, 2, 11)))
    outside = pauses(
        (1, berlin(2026, 3, 2, 7), berlin(2026, 3, 2, 9, 30), "pause"),
        (1, berlin(2026, 3, 2, 10, 30), berlin(2026, 3, 2, 15), "pause"),
    )
    result = evaluate_tickets(resolved, outside, {1: POLICY}, now=NOW)
    # then only the parts inside 09:00-11:00 count: 09:00-09:30 and 10:30-11:00
    assert result.get_column("paused_business_seconds").to_list() == [HOUR]
    assert result.get_column("resolution_business_seconds").to_list() == [HOUR]


def test_an_open_pause_runs_until_now() -> None:
    still_waiting = pauses((1, berlin(2026, 3, 2, 10), None, "pause"))
    result = evaluate_tickets(ONE_OPEN_TICKET, still_waiting, {1: POLICY}, now=NOW)
    assert result.get_column("paused_business_seconds").to_list() == [2 * HOUR]
    # and the due shown is the one that holds if work resumes now: 6 hours of 8 remain
    assert result.get_column("resolution_due").to_list() == [berlin(2026, 3, 3, 10)]


def test_pauses_of_unknown_tickets_are_ignored() -> None:
    stray = pauses((99, berlin(2026, 3, 2, 9), None, "pause"))
    result = evaluate_tickets(ONE_OPEN_TICKET, stray, {1: POLICY}, now=NOW)
    assert result.get_column("paused_business_seconds").to_list() == [0]


def test_unknown_pause_kind_is_rejected_by_name() -> None:
    odd = pauses((1, berlin(2026, 3, 2, 9), None, "lunch"))
    with pytest.raises(ValueError, match="lunch"):
        evaluate_tickets(ONE_OPEN_TICKET, odd, {1: POLICY}, now=NOW)


# -- policies -----------------------------------------------------------------------------------


def test_near_breach_share_is_a_policy_option() -> None:
    strict = SlaPolicy(
        calendar=OFFICE,
        first_response_targets={2: HOUR},
        resolution_targets={2: 8 * HOUR},
        near_breach_share=0.25,
    )
    result = evaluate_tickets(ONE_OPEN_TICKET, pauses(), {1: strict}, now=berlin(2026, 3, 2, 10))
    # two of eight hours used: exactly the share, so near breach
    assert result.get_column("resolution_near_breach").to_list() == [True]


def test_unknown_policy_id_is_rejected_by_id() -> None:
    with pytest.raises(ValueError, match=r"\[1\]"):
        evaluate_tickets(ONE_OPEN_TICKET, pauses(), {2: POLICY}, now=NOW)


@pytest.mark.parametrize(
    ("options", "bad"),
    [
        ({"first_response_targets": {1: 0}}, "target 0"),
        ({"resolution_targets": {1: -60}}, "-60"),
        ({"resolution_targets": {"P1": 60}}, "P1"),
        ({"near_breach_share": 1.5}, "1.5"),
        ({"near_breach_share": 0}, "near_breach_share"),
    ],
)
def test_bad_policy_settings_are_rejected_by_value(options: dict[str, object], bad: str) -> None:
    settings: dict[str, object] = {
        "calendar": OFFICE,
        "first_response_targets": {1: 60},
        "resolution_targets": {1: 60},
        **options,
    }
    with pytest.raises(ValueError, match=bad):
        SlaPolicy(**settings)  # type: ignore[arg-type]


def test_duplicate_ticket_ids_are_rejected() -> None:
    twice = pl.concat([ONE_OPEN_TICKET, ONE_OPEN_TICKET])
    with pytest.raises(ValueError, match="duplicate"):
        evaluate_tickets(twice, pauses(), {1: POLICY}, now=NOW)


def test_missing_creation_time_is_rejected_with_the_ticket() -> None:
    missing = tickets((5, 1, 2, None, None, None))
    with pytest.raises(ValueError, match=r"created_at.*\[5\]"):
        evaluate_tickets(missing, pauses(), {1: POLICY}, now=NOW)


def test_naive_instants_are_rejected() -> None:
    naive = ONE_OPEN_TICKET.with_columns(pl.col("created_at").dt.replace_time_zone(None))
    with pytest.raises(ValueError, match="created_at"):
        evaluate_tickets(naive, pauses(), {1: POLICY}, now=NOW)
    with pytest.raises(ValueError, match="now"):
        evaluate_tickets(ONE_OPEN_TICKET, pauses(), {1: POLICY}, now=datetime(2026, 3, 2))  # noqa: DTZ001


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="resolved_at"):
        evaluate_tickets(ONE_OPEN_TICKET.drop("resolved_at"), pauses(), {1: POLICY}, now=NOW)


# -- status histories ---------------------------------------------------------------------------


def test_consecutive_pausing_statuses_become_one_pause() -> None:
    history = changes(
        (1, berlin(2026, 3, 2, 8), "new"),
        (1, berlin(2026, 3, 2, 9), "waiting_customer"),
        (1, berlin(2026, 3, 2, 10), "waiting_third_party"),
        (1, berlin(2026, 3, 2, 11), "in_progress"),
    )
    derived = pauses_from_status_changes(history, ["waiting_customer", "waiting_third_party"])
    assert derived.rows() == [
        (1, berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 11), "pause"),
    ]
    assert derived.schema == pl.Schema(PAUSE_SCHEMA)


def test_a_ticket_still_waiting_has_an_open_pause() -> None:
    history = changes(
        (1, berlin(2026, 3, 2, 8), "new"), (1, berlin(2026, 3, 2, 9), "waiting_customer")
    )
    assert pauses_from_status_changes(history, {"waiting_customer"}).rows() == [
        (1, berlin(2026, 3, 2, 9), None, "pause")
    ]


def test_resolved_then_closed_then_reopened_is_one_resolved_period() -> None:
    history = changes(
        (1, berlin(2026, 3, 2, 8), "new"),
        (1, berlin(2026, 3, 3, 12), "resolved"),
        (1, berlin(2026, 3, 4, 9), "closed"),
        (1, berlin(2026, 3, 10, 9), "open"),
        (1, berlin(2026, 3, 10, 11), "resolved"),
    )
    assert pauses_from_status_changes(history, []).rows() == [
        (1, berlin(2026, 3, 3, 12), berlin(2026, 3, 10, 9), "resolved")
    ]
    # and it is one reopen; resolved -> closed is not a reopen
    assert reopen_counts(history).rows() == [(1, 1)]


def test_changes_at_the_same_instant_keep_their_order() -> None:
    # given a ticket that enters and leaves waiting at the same instant, then waits again
    history = changes(
        (1, berlin(2026, 3, 2, 9), "waiting_customer"),
        (1, berlin(2026, 3, 2, 9), "open"),
        (1, berlin(2026, 3, 2, 10), "waiting_customer"),
    )
    # then only the later wait is a pause (the first lasted no time)
    assert pauses_from_status_changes(history, ["waiting_customer"]).rows() == [
        (1, berlin(2026, 3, 2, 10), None, "pause")
    ]


def test_unsorted_histories_of_many_tickets_are_sorted_per_ticket() -> None:
    history = changes(
        (2, berlin(2026, 3, 2, 11), "open"),
        (1, berlin(2026, 3, 2, 10), "open"),
        (2, berlin(2026, 3, 2, 9), "waiting_customer"),
        (1, berlin(2026, 3, 2, 9), "waiting_customer"),
    )
    assert pauses_from_status_changes(history, ["waiting_customer"]).rows() == [
        (1, berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 10), "pause"),
        (2, berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 11), "pause"),
    ]


def test_pausing_statuses_per_policy() -> None:
    # given two tickets under policies where different statuses pause
    history = changes(
        (1, berlin(2026, 3, 2, 9), "waiting_third_party"),
        (2, berlin(2026, 3, 2, 9), "waiting_third_party"),
        (3, berlin(2026, 3, 2, 9), "waiting_third_party"),
    )
    owners = pl.DataFrame(
        {"ticket_id": [1, 2, 3], "policy_id": [10, 20, None]},
        schema={"ticket_id": pl.Int64, "policy_id": pl.Int64},
    )
    per_policy = {10: ["waiting_customer", "waiting_third_party"], 20: ["waiting_customer"]}
    # then only the ticket of policy 10 is paused
    derived = pauses_from_status_changes(history, per_policy, tickets=owners)
    assert derived.get_column("ticket_id").to_list() == [1]
    # and a policy column on the changes works the same
    with_column = history.with_columns(policy_id=pl.Series([10, 20, None], dtype=pl.Int64))
    assert pauses_from_status_changes(with_column, per_policy).equals(derived)


def test_per_policy_statuses_need_every_policy_and_each_tickets_policy() -> None:
    history = changes((1, berlin(2026, 3, 2, 9), "waiting_customer"))
    with pytest.raises(ValueError, match="policy_id"):
        pauses_from_status_changes(history, {10: ["waiting_customer"]})
    owners = pl.DataFrame({"ticket_id": [1], "policy_id": [30]})
    with pytest.raises(ValueError, match=r"\[30\]"):
        pauses_from_status_changes(history, {10: ["waiting_customer"]}, tickets=owners)


def test_a_resolved_status_cannot_also_pause() -> None:
    with pytest.raises(ValueError, match="closed"):
        pauses_from_status_changes(changes(), ["waiting_customer", "closed"])


def test_reopen_counts_count_every_reopen() -> None:
    history = changes(
        (7, berlin(2026, 3, 2, 8), "new"),
        (7, berlin(2026, 3, 2, 9), "resolved"),
        (7, berlin(2026, 3, 2, 10), "open"),
        (7, berlin(2026, 3, 2, 11), "closed"),
        (7, berlin(2026, 3, 2, 12), "in_progress"),
        (8, berlin(2026, 3, 2, 8), "new"),
        (8, berlin(2026, 3, 2, 9), "resolved"),
    )
    assert reopen_counts(history).sort("ticket_id").rows() == [(7, 2), (8, 0)]


def test_history_to_result_end_to_end() -> None:
    # given a ticket that waited for the customer over a weekend and was reopened once
    frame = tickets((1, 1, 3, berlin(2026, 3, 13, 15), berlin(2026, 3, 13, 15, 30), None))
    history = changes(
        (1, berlin(2026, 3, 13, 15), "new"),
        (1, berlin(2026, 3, 13, 16), "waiting_customer"),
        (1, berlin(2026, 3, 16, 10), "resolved"),
        (1, berlin(2026, 3, 16, 11), "open"),
    )
    # when evaluated on Monday at noon
    derived = pauses_from_status_changes(history, ["waiting_customer"])
    result = evaluate_tickets(frame, derived, {1: POLICY}, now=berlin(2026, 3, 16, 12))
    # then Friday 15-16 and Monday 11-12 count, the wait and the resolved hour do not
    row = result.row(0, named=True)
    assert row["resolution_business_seconds"] == 2 * HOUR
    assert row["paused_business_seconds"] == 1 * HOUR + 3 * HOUR
    assert row["resolution_state"] == "running"
    # and the due moves out by the four paused hours: 16 + 4 business hours from Friday 15:00
    assert row["resolution_due"] == berlin(2026, 3, 18, 10)
    assert row["first_response_state"] == "met"


def test_sparse_and_unsorted_ticket_ids_find_their_pauses() -> None:
    # given ticket ids far apart and out of order (no dense lookup table possible)
    frame = tickets(
        (10**15, 1, 2, berlin(2026, 3, 2, 8), None, None),
        (5, 1, 2, berlin(2026, 3, 2, 8), None, None),
        (3 * 10**14, 1, 2, berlin(2026, 3, 2, 8), None, None),
    )
    waits = pauses(
        (5, berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 10), "pause"),
        (10**15, berlin(2026, 3, 2, 9), berlin(2026, 3, 2, 11), "pause"),
        (7, berlin(2026, 3, 2, 9), None, "pause"),
    )
    result = evaluate_tickets(frame, waits, {1: POLICY}, now=NOW)
    # then each ticket gets its own pauses
    assert result.get_column("paused_business_seconds").to_list() == [2 * HOUR, HOUR, 0]
    history = changes(
        (10**15, berlin(2026, 3, 2, 9), "waiting_customer"),
        (5, berlin(2026, 3, 2, 9), "waiting_customer"),
    )
    owners = frame.select("ticket_id", pl.Series("policy_id", [1, None, 1], dtype=pl.Int64))
    derived = pauses_from_status_changes(history, {1: ["waiting_customer"]}, tickets=owners)
    assert derived.get_column("ticket_id").to_list() == [10**15]
