"""Pushing records through the API: stored once, refused whole or in part, audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from solidground.api.tasks import reanalyze_customers
from solidground.customers.models import Customer
from solidground.importers.models import AuditEntry
from solidground.service.models import Ticket, TicketStatusChange, TimeEntry
from tests.api.conftest import call

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def tickets(count: int, *, customer: str = "C-1") -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"T-{i}",
            "customer_ref": customer,
            "customer_name": "Bäckerei Huber",
            "subject": f"Printer <b>{i}</b> down",
            "created_at": (START + timedelta(hours=i)).isoformat(),
            "status": "resolved",
            "priority": 3,
            "first_response_at": (START + timedelta(hours=i, minutes=20)).isoformat(),
            "resolved_at": (START + timedelta(hours=i + 2)).isoformat(),
        }
        for i in range(count)
    ]


def status_changes(count: int) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"S-{i}-{step}",
            "ticket_ref": f"T-{i}",
            "changed_at": (START + timedelta(hours=i, minutes=minutes)).isoformat(),
            "status": status,
        }
        for i in range(count)
        for step, (status, minutes) in enumerate([("new", 0), ("resolved", 120)])
    ]


def test_a_batch_of_tickets_and_their_status_changes_is_stored_once(
    client: Client, owner_write_token: str
) -> None:
    # given a PSA that pushes three tickets and their status histories
    body = {"source": "psa", "records": tickets(3)}
    # when it sends them
    first = call(client, "post", "/tickets", owner_write_token, body)
    changes = call(
        client,
        "post",
        "/status-changes",
        owner_write_token,
        {"source": "psa", "records": status_changes(3)},
    )
    # then they are stored, the customer is created, and re-analysis is queued
    assert first.status_code == 200, first.content
    assert first.json()["counts"]["tickets"]["created"] == 3
    assert first.json()["counts"]["customers"]["created"] == 1
    assert first.json()["analysis_queued"] is True
    assert changes.json()["counts"]["status_changes"]["created"] == 6
    assert Ticket.objects.filter(source="psa").count() == 3
    assert TicketStatusChange.objects.count() == 6
    assert Customer.objects.get().name == "Bäckerei Huber"
    assert Ticket.objects.get(external_id="T-1").subject == "Printer <b>1</b> down"
    # and when the same batch comes again, nothing changes
    again = call(client, "post", "/tickets", owner_write_token, body)
    assert again.status_code == 200
    assert again.json()["unchanged"] == 3
    assert again.json()["created"] == again.json()["updated"] == 0
    assert again.json()["analysis_queued"] is False
    assert Ticket.objects.count() == 3


def test_a_changed_ticket_is_updated_in_place_and_unsent_fields_are_kept(
    client: Client, owner_write_token: str
) -> None:
    # given a stored ticket with a subject
    call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(1)})
    # when the PSA sends only its new status
    update = {
        "external_id": "T-0",
        "customer_ref": "C-1",
        "subject": "Printer 0 down",
        "created_at": START.isoformat(),
        "status": "closed",
    }
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": [update]}
    )
    # then the same ticket is updated and its resolution time is kept
    assert answer.json()["updated"] == 1
    ticket = Ticket.objects.get()
    assert ticket.status == "closed"
    assert ticket.resolved_at == START + timedelta(hours=2)


def test_one_bad_record_refuses_the_batch_and_names_index_and_field(
    client: Client, owner_write_token: str
) -> None:
    # given a batch whose third ticket has a priority that does not exist
    records = tickets(4)
    records[2]["priority"] = 9
    # when it is sent
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": records}
    )
    # then nothing is stored and the error says which record and field
    assert answer.status_code == 422
    body = answer.json()
    assert body["refused"] is True
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(2, "priority")]
    assert body["errors"][0]["value"] == "9"
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_partial_writes_the_good_records_and_lists_the_bad(
    client: Client, owner_write_token: str
) -> None:
    records = tickets(4)
    records[1]["status"] = "exploded"
    answer = call(
        client,
        "post",
        "/tickets?partial=true",
        owner_write_token,
        {"source": "psa", "records": records},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["counts"]["tickets"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "status")]
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["T-0", "T-2", "T-3"]


def test_a_status_change_of_an_unknown_ticket_is_refused(
    client: Client, owner_write_token: str
) -> None:
    answer = call(
        client,
        "post",
        "/status-changes",
        owner_write_token,
        {"source": "psa", "records": status_changes(1)},
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"ticket_ref"}
    assert TicketStatusChange.objects.count() == 0


def test_a_time_without_a_zone_is_refused_naming_the_field(
    client: Client, owner_write_token: str
) -> None:
    records = tickets(2)
    records[1]["created_at"] = "2026-03-02T09:00:00"
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": records}
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "created_at")]
    assert "timezone" in errors[0]["reason"]
    assert Ticket.objects.count() == 0


def test_missing_fields_wrong_types_and_unknown_fields_are_named(
    client: Client, owner_write_token: str
) -> None:
    records = tickets(3)
    del records[0]["subject"]
    records[1]["priority"] = "urgent"
    records[2]["colour"] = "red"
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": records}
    )
    assert answer.status_code == 422
    found = {(e["index"], e["field"]) for e in answer.json()["errors"]}
    assert found == {(0, "subject"), (1, "priority"), (2, "colour")}


def test_more_than_1000_records_are_refused(client: Client, owner_write_token: str) -> None:
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(1001)}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "records"
    assert Ticket.objects.count() == 0


def test_an_empty_batch_is_refused(client: Client, owner_write_token: str) -> None:
    answer = call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": []})
    assert answer.status_code == 422


def test_a_body_over_10_mb_is_refused_unread(client: Client, owner_write_token: str) -> None:
    body = '{"source": "psa", "records": [], "padding": "' + "x" * (10 * 1024 * 1024) + '"}'
    answer = call(client, "post", "/tickets", owner_write_token, body)
    assert answer.status_code == 413
    assert "10 MB" in answer.json()["detail"]


def test_malformed_json_is_a_400(client: Client, owner_write_token: str) -> None:
    answer = call(client, "post", "/tickets", owner_write_token, '{"source": "psa", "records": [')
    assert answer.status_code == 400
    assert answer.json()["detail"]


def test_customers_time_entries_and_survey_answers_are_written(
    client: Client, owner_write_token: str
) -> None:
    customers = call(
        client,
        "post",
        "/customers",
        owner_write_token,
        {"source": "psa", "records": [{"external_id": "C-1", "name": "Huber", "seats": 12}]},
    )
    assert customers.json()["created"] == 1
    call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(1)})
    entries = call(
        client,
        "post",
        "/time-entries",
        owner_write_token,
        {
            "source": "psa",
            "records": [
                {
                    "external_id": "E-1",
                    "ticket_ref": "T-0",
                    "started_at": START.isoformat(),
                    "minutes": 45,
                    "billing": "goodwill",
                    "billed_amount": "0.00",
                }
            ],
        },
    )
    answers = call(
        client,
        "post",
        "/survey-answers",
        owner_write_token,
        {
            "source": "psa",
            "records": [
                {
                    "external_id": "A-1",
                    "ticket_ref": "T-0",
                    "kind_of_survey": "ticket_csat",
                    "sent_at": START.isoformat(),
                    "answered_at": (START + timedelta(days=1)).isoformat(),
                    "score": 5,
                }
            ],
        },
    )
    assert entries.json()["created"] == 1, entries.content
    assert answers.json()["created"] == 1, answers.content
    assert Customer.objects.get().seats == 12


def test_every_write_is_in_the_audit_log(client: Client, owner_write_token: str) -> None:
    # given two writes through the API, one of them refused
    call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(2)})
    bad = tickets(1)
    bad[0]["priority"] = 0
    call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": bad})
    # then the audit log has both, with the token, the counts and the address
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [e.action for e in entries] == ["api.write.tickets", "api.write.tickets"]
    # (two tickets and the customer they created)
    assert (entries[0].rows, entries[0].created, entries[0].status) == (2, 3, "finished")
    assert (entries[1].rows, entries[1].rejected, entries[1].status) == (1, 1, "refused")
    assert entries[0].user is not None
    assert entries[0].user.get_username() == "owner"
    assert entries[0].token_label.startswith("sg_")
    assert entries[0].remote_addr == "127.0.0.1"
    assert entries[0].run is not None


def test_a_write_whose_re_analysis_cannot_be_queued_is_not_stored_and_says_failed(
    client: Client, owner_write_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import DatabaseError

    from solidground.api import tasks
    from solidground.importers.models import ImportRun

    # given a store whose task queue refuses the re-analysis after the tickets were written
    def refuse(**_: object) -> str:
        raise DatabaseError("task table is locked")

    monkeypatch.setattr(tasks, "queue_reanalysis", refuse)
    # when a PSA pushes two tickets
    response = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(2)}
    )
    # then it is told the write failed on the server's side
    assert response.status_code == 500
    assert "logged" in response.json()["detail"]
    # and neither they nor their customer are stored: records, run and task commit together
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()
    run = ImportRun.objects.get()
    assert (run.status, run.created, run.customer_ids) == ("failed", 0, [])
    assert run.counts_by_kind == {}  # not the counts of the write that was rolled back
    assert "task table is locked" in run.error
    # and the audit log says the write failed
    assert AuditEntry.objects.get().status == "failed"


def test_the_background_task_re_analyses_the_customers(
    client: Client, owner_write_token: str
) -> None:
    from solidground.insights.models import CustomerPeriod

    call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(2)})
    assert not CustomerPeriod.objects.exists()
    # when the worker runs the queued task (here: directly)
    reanalyze_customers.call(customer_ids=[Customer.objects.get().pk])
    # then the customer's month has its two tickets
    assert CustomerPeriod.objects.get(period_kind="month").tickets == 2


def test_a_file_import_is_in_the_audit_log_too() -> None:
    from pathlib import Path

    from solidground.importers.actions import do_import_file

    # given a customer file imported from the command line
    sample = Path(__file__).resolve().parent.parent / "importers/samples/generic-customers.de.csv"
    outcome = do_import_file(sample, preset="generic-customers", analyze=False)
    # then the audit log names the file import, its counts and its run, without a token
    entry = AuditEntry.objects.get()
    assert entry.action == "import.file"
    assert entry.run == outcome.run
    assert entry.created == outcome.run.created > 0
    assert entry.token_id is None
    assert entry.remote_addr is None


def test_a_nul_character_is_refused_naming_the_field(
    client: Client, owner_write_token: str
) -> None:
    records = tickets(2)
    records[1]["subject"] = "Printer\u0000down"
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": records}
    )
    assert answer.status_code == 422
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [(1, "subject")]
    assert Ticket.objects.count() == 0


def with_history(count: int) -> list[dict[str, Any]]:
    """Tickets that carry their status changes, as a PSA pushes "a ticket with its history"."""
    records = tickets(count)
    changes = status_changes(count)
    for record in records:
        record["status_changes"] = [
            {key: value for key, value in change.items() if key != "ticket_ref"}
            for change in changes
            if change["ticket_ref"] == record["external_id"]
        ]
    return records


def test_tickets_with_their_status_changes_are_stored_in_one_request(
    client: Client, owner_write_token: str
) -> None:
    # given three tickets, each with its two status changes nested
    body = {"source": "psa", "records": with_history(3)}
    # when they are sent once, and then once more
    first = call(client, "post", "/tickets", owner_write_token, body)
    again = call(client, "post", "/tickets", owner_write_token, body)
    # then the tickets and their histories are stored, each change on its own ticket
    assert first.status_code == 200, first.content
    assert first.json()["counts"]["tickets"]["created"] == 3
    assert first.json()["counts"]["status_changes"]["created"] == 6
    change = TicketStatusChange.objects.get(external_id="S-2-1")
    assert change.ticket.external_id == "T-2"
    assert change.status == "resolved"
    # and the second send changes nothing
    assert again.json()["unchanged"] == 9
    assert TicketStatusChange.objects.count() == 6


def test_a_bad_nested_status_change_names_its_ticket_and_position(
    client: Client, owner_write_token: str
) -> None:
    # given a batch whose second ticket's second change has a status that does not exist
    records = with_history(3)
    records[1]["status_changes"][1]["status"] = "teleported"
    # when it is sent
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": records}
    )
    # then nothing is stored, and the error points at ticket 1, change 1, field status
    assert answer.status_code == 422, answer.content
    errors = answer.json()["errors"]
    assert [(e["index"], e["field"], e["value"]) for e in errors] == [
        (1, "status_changes.1.status", "teleported")
    ]
    assert Ticket.objects.count() == 0
    assert TicketStatusChange.objects.count() == 0


def test_a_nested_status_change_without_a_zone_is_refused_by_position(
    client: Client, owner_write_token: str
) -> None:
    records = with_history(2)
    records[0]["status_changes"][0]["changed_at"] = "2026-03-02T09:00:00"
    answer = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": records}
    )
    assert answer.status_code == 422
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [
        (0, "status_changes.0.changed_at")
    ]
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("loaded_cost", "-1e239"),
        ("billed_amount", "1e20"),
        ("minutes", 10**30),
    ],
)
def test_a_number_beyond_what_the_store_holds_is_a_422_naming_the_field(
    client: Client, owner_write_token: str, field: str, value: object
) -> None:
    call(client, "post", "/tickets", owner_write_token, {"source": "psa", "records": tickets(1)})
    entry = {
        "external_id": "E-1",
        "ticket_ref": "T-0",
        "started_at": START.isoformat(),
        "minutes": 45,
        "billing": "billed",
    }
    # The raw JSON: a number as written, not as Python would print it.
    text = f'"{field}": {value}'
    body = json.dumps({"source": "psa", "records": [entry]}).replace('"minutes": 45', text)
    if field != "minutes":
        body = body.replace(text, f'"minutes": 45, {text}')

    response = call(client, "post", "/time-entries", owner_write_token, body)

    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_a_valid_batch_on_every_write_route_is_read_in_one_pass(
    client: Client, owner_write_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the API's parser, whose JSON-then-validate reading (ninja's) is kept for bodies
    # that do not validate, made to fail if it is used
    from ninja.parser import Parser

    def two_passes(self: Parser, request: Any) -> Any:
        raise AssertionError(f"{request.path} was read in two passes")

    monkeypatch.setattr(Parser, "parse_body", two_passes)
    moment = START.isoformat()
    sent: dict[str, list[dict[str, Any]]] = {
        "/customers": [{"external_id": "C-1", "name": "Huber"}],
        "/tickets": with_history(1),
        "/status-changes": [
            {"external_id": "S-9", "ticket_ref": "T-0", "changed_at": moment, "status": "closed"}
        ],
        "/time-entries": [
            {
                "external_id": "E-1",
                "ticket_ref": "T-0",
                "started_at": moment,
                "minutes": 5,
                "billing": "included",
            }
        ],
        "/survey-answers": [
            {
                "external_id": "A-1",
                "ticket_ref": "T-0",
                "kind_of_survey": "ticket_csat",
                "sent_at": moment,
                "answered_at": moment,
                "score": 4,
            }
        ],
    }
    for path, records in sent.items():
        # when a valid batch is sent to each write route
        answer = call(
            client, "post", path, owner_write_token, {"source": "psa", "records": records}
        )
        # then it is stored, read straight from its JSON text
        assert answer.status_code == 200, (path, answer.content)
        assert answer.json()["created"] == len(records) + (2 if path == "/tickets" else 0)
    # and a body that does not validate still takes the reading that names index and field
    monkeypatch.undo()
    refused = call(
        client, "post", "/tickets", owner_write_token, {"source": "psa", "records": [{}]}
    )
    assert refused.status_code == 422
    assert {(e["index"], e["field"]) for e in refused.json()["errors"]} >= {(0, "subject")}
