"""The mapping rules the API connectors share (names to statuses, lifecycle, Retry-After)."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest

from solidground.importers.sources import apiclient, common
from solidground.importers.sources.connectwise import client as connectwise_client
from solidground.importers.sources.connectwise.mapping import time_billing
from solidground.importers.sources.django_helpdesk import client as helpdesk_client
from solidground.importers.sources.django_helpdesk import sync as helpdesk_sync
from solidground.importers.sources.django_helpdesk.mapping import minutes_spent, ticket_status
from solidground.importers.sources.zammad.mapping import priority_value, state_status

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "module", [apiclient, common, connectwise_client, helpdesk_client, helpdesk_sync]
)
def test_docstring_examples_hold(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


def test_a_reopened_ticket_counts_the_reopen_and_its_last_resolution() -> None:
    changes = [
        (T0, "new"),
        (T0 + timedelta(hours=1), "resolved"),
        (T0 + timedelta(hours=2), "open"),
        (T0 + timedelta(hours=3), "resolved"),
        (T0 + timedelta(hours=4), "closed"),
    ]

    life = common.ticket_lifecycle(changes, current_status="closed", created_at=T0)

    assert life.reopen_count == 1
    assert life.resolved_at == T0 + timedelta(hours=3)
    assert life.closed_at == T0 + timedelta(hours=4)


def test_an_open_ticket_has_no_resolution_even_after_an_earlier_one() -> None:
    changes = [
        (T0, "new"),
        (T0 + timedelta(hours=1), "resolved"),
        (T0 + timedelta(hours=2), "open"),
    ]

    life = common.ticket_lifecycle(changes, current_status="open", created_at=T0)

    assert (life.resolved_at, life.closed_at, life.reopen_count) == (None, None, 1)


def test_a_done_ticket_without_history_uses_the_fallback_never_before_creation() -> None:
    early = T0 - timedelta(days=1)

    life = common.ticket_lifecycle(
        [], current_status="closed", created_at=T0, fallback_done_at=early
    )

    assert life.resolved_at == life.closed_at == T0


@pytest.mark.parametrize(
    ("name", "state_type", "expected"),
    [
        ("pending reminder", "", "waiting_customer"),
        ("pending close", "pending action", "resolved"),
        ("merged", "merged", "closed"),
        ("warten auf Lieferant", "pending reminder", "waiting_third_party"),
        ("in Bearbeitung", "open", "in_progress"),
        ("Eskalation", "open", "open"),
        ("Sonderfall", "pending reminder", "waiting_customer"),
    ],
)
def test_zammad_states(name: str, state_type: str, expected: str) -> None:
    assert state_status(name, state_type) == expected


@pytest.mark.parametrize(
    ("name", "expected"), [("1 low", 4), ("2 normal", 3), ("3 high", 2), ("4 kritisch", 1)]
)
def test_zammad_priorities(name: str, expected: int) -> None:
    assert priority_value(name) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"billableOption": "Billable"}, "billed"),
        ({"billableOption": "Billable", "agreement": {"id": 1}}, "included"),
        ({"billableOption": "NoCharge", "agreement": {"id": 1}}, "goodwill"),
        ({"billableOption": "DoNotBill"}, "goodwill"),
        ({"billableOption": "NoDefault"}, "billed"),
        ({"billableOption": "Billable", "workType": {"name": "Intern"}}, "internal"),
    ],
)
def test_connectwise_billable_options(entry: dict[str, object], expected: str) -> None:
    assert time_billing(entry) == expected


def test_django_helpdesk_statuses_and_durations() -> None:
    assert ticket_status(1) == "open"
    assert ticket_status(2, on_hold=True) == "waiting_customer"
    assert ticket_status(3, on_hold=True) == "resolved"
    assert ticket_status(5) == "closed"
    assert minutes_spent("01:30:00") == 90
    assert minutes_spent("1 02:00:00") == 26 * 60
    assert minutes_spent(None) == 0
    with pytest.raises(ValueError, match="not a duration"):
        minutes_spent("soon")


def test_instants_without_offset_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        common.parse_instant("2024-03-04T08:00:00")
