"""Golden SLA cases: one ticket each, from its status history to its SLA figures.

The tables in golden/sla_cases.toml say in words what a service manager expects (pauses over a
weekend, a reopen after a week closed, a priority change mid-ticket, a deadline met to the
second); each case runs through pauses_from_status_changes, reopen_counts and evaluate_tickets,
and the slow reference must agree on every column.
"""

from __future__ import annotations

import tomllib
from typing import Any

import polars as pl
import pytest

from solidground.engine.sla import (
    SlaPolicy,
    evaluate_tickets,
    pauses_from_status_changes,
    reopen_counts,
)
from tests.engine.sla_reference import (
    GOLDEN,
    ReferencePolicy,
    engine_row_in_reference_terms,
    evaluate_ticket,
    load_golden_calendars,
    local_instant,
    parse_duration,
    reference_pauses,
    reference_tickets,
    to_epoch,
)

CALENDARS = load_golden_calendars()
with (GOLDEN / "sla_cases.toml").open("rb") as _handle:
    TABLES: dict[str, Any] = tomllib.load(_handle)
POLICY_IDS = {name: number for number, name in enumerate(sorted(TABLES["policies"]), start=1)}
TIME = pl.Datetime("us", "UTC")


def _targets(table: dict[str, str]) -> dict[int, int]:
    return {int(priority): parse_duration(text) for priority, text in table.items()}


def _policies() -> tuple[dict[int, SlaPolicy], dict[int, ReferencePolicy], dict[int, list[str]]]:
    engine, reference, pausing = {}, {}, {}
    built = {name: spec.build() for name, spec in CALENDARS.items()}
    for name, table in TABLES["policies"].items():
        number = POLICY_IDS[name]
        options = {
            "first_response_targets": _targets(table["first_response"]),
            "resolution_targets": _targets(table["resolution"]),
            "pause_first_response": table.get("pause_first_response", False),
        }
        engine[number] = SlaPolicy(calendar=built[table["calendar"]], **options)
        reference[number] = ReferencePolicy(calendar=CALENDARS[table["calendar"]], **options)
        pausing[number] = table["pausing"]
    return engine, reference, pausing


ENGINE_POLICIES, REFERENCE_POLICIES, PAUSING = _policies()


def _expected(column: str, text: object, zone: str) -> object:
    if text == "null":
        return None
    if column.endswith("_seconds"):
        assert isinstance(text, str)
        return -parse_duration(text[1:]) if text.startswith("-") else parse_duration(text)
    if column.endswith("_due"):
        assert isinstance(text, str)
        return local_instant(zone, text)
    return text


def _zone(case: dict[str, Any]) -> str:
    if case["policy"] not in POLICY_IDS:
        return "Europe/Berlin"
    return CALENDARS[TABLES["policies"][case["policy"]]["calendar"]].timezone


def _frames(case: dict[str, Any], ticket_id: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The case's ticket and status history as the frames the engine takes."""
    zone = _zone(case)

    def instant(key: str) -> object:
        return local_instant(zone, case[key]) if key in case else None

    tickets = pl.DataFrame(
        {
            "ticket_id": [ticket_id],
            "policy_id": [POLICY_IDS.get(case["policy"])],
            "priority": [case["priority"]],
            "created_at": [instant("created")],
            "first_response_at": [instant("first_response")],
            "resolved_at": [instant("resolved")],
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
    changes = pl.DataFrame(
        {
            "ticket_id": [ticket_id] * len(case["history"]),
            "changed_at": [local_instant(zone, when) for when, _ in case["history"]],
            "status": [status for _, status in case["history"]],
        },
        schema={"ticket_id": pl.Int64, "changed_at": TIME, "status": pl.String},
    )
    return tickets, changes


@pytest.mark.parametrize("case", TABLES["cases"], ids=lambda case: str(case["case"]))
def test_sla_golden(case: dict[str, Any]) -> None:
    # given one ticket, its status history and its policy
    zone = _zone(case)
    tickets, changes = _frames(case)
    now = local_instant(zone, case["now"])

    # when the history becomes pauses and the ticket is evaluated
    pauses = pauses_from_status_changes(changes, PAUSING, tickets=tickets)
    result = evaluate_tickets(tickets, pauses, ENGINE_POLICIES, now=now)
    row = result.row(0, named=True)

    # then every expected figure is there
    for column, text in case["expect"].items():
        if column == "reopen_count":
            counts = reopen_counts(changes)
            assert counts.get_column("reopen_count").to_list() == [text], column
            continue
        assert row[column] == _expected(column, text, zone), column

    # and the slow reference computes the same row
    expected = evaluate_ticket(
        reference_tickets(tickets)[0],
        reference_pauses(pauses),
        REFERENCE_POLICIES,
        to_epoch(now),
    )
    assert engine_row_in_reference_terms(row) == expected


def test_all_golden_tickets_in_one_frame_agree_with_one_by_one() -> None:
    # given every golden ticket in one frame (shuffled ids), evaluated at one instant
    frames = [_frames(case, ticket_id=100 - n) for n, case in enumerate(TABLES["cases"])]
    tickets = pl.concat([t for t, _ in frames])
    changes = pl.concat([c for _, c in frames]).reverse()
    now = local_instant("Europe/Berlin", "2026-03-05 12:00")

    # when evaluated together
    together = evaluate_tickets(
        tickets,
        pauses_from_status_changes(changes, PAUSING, tickets=tickets),
        ENGINE_POLICIES,
        now=now,
    )

    # then each row equals the ticket evaluated alone
    for (ticket, history), row in zip(frames, together.iter_rows(named=True), strict=True):
        alone = evaluate_tickets(
            ticket,
            pauses_from_status_changes(history, PAUSING, tickets=ticket),
            ENGINE_POLICIES,
            now=now,
        )
        assert alone.row(0, named=True) == row
