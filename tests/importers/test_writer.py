"""The canonical writer: upserts by (source, external_id), counts, rejections, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from solidground.contracts.models import Contract
from solidground.customers.models import Customer, CustomerReference
from solidground.importers import kinds
from solidground.importers import writer as writer_module
from solidground.importers.actions import do_import_batch
from solidground.importers.models import ImportRun, SyncCursor
from solidground.importers.records import (
    MODEL_FIELD_NAMES,
    CustomerRecord,
    ImportBatch,
    StatusChangeRecord,
    TicketRecord,
    TimeEntryRecord,
)
from solidground.importers.writer import read_cursor, write_batch
from solidground.service.models import Ticket, TicketStatusChange, TimeEntry

# analysis_calls (conftest.py): record the re-analysis after each import instead of running it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analysis_calls")]


T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _batch(subject: str = "Drucker druckt nicht") -> ImportBatch:
    batch = ImportBatch(source="zammad")
    batch.add(CustomerRecord(external_id="org-1", name="Müller GmbH", seats=12))
    batch.add(
        TicketRecord(
            external_id="1001",
            customer_ref="org-1",
            subject=subject,
            created_at=T0,
            status="resolved",
            priority=2,
            resolved_at=T0 + timedelta(hours=3),
        )
    )
    batch.add(
        TicketRecord(
            external_id="1002",
            customer_ref="org-2",
            customer_name="Schmidt KG",
            subject="VPN",
            created_at=T0.astimezone(ZoneInfo("Europe/Berlin")),
        )
    )
    batch.add(
        StatusChangeRecord(
            external_id="h-1", ticket_ref="1001", changed_at=T0, status="new", source_status="new"
        )
    )
    batch.add(
        TimeEntryRecord(
            external_id="te-1",
            ticket_ref="1001",
            started_at=T0,
            minutes=30,
            billing="goodwill",
            billed_amount=Decimal("0.00"),
        )
    )
    return batch


def test_given_a_batch_when_written_twice_then_second_write_changes_nothing() -> None:
    first = write_batch(_batch())
    assert first.totals.created == 6  # 1 customer, 2 tickets, 1 status change, 1 time entry
    assert first.error_count == 0
    second = write_batch(_batch())
    assert second.totals.created == 0
    assert second.totals.updated == 0
    assert second.totals.unchanged == 5
    assert Ticket.objects.count() == 2
    assert Customer.objects.count() == 2
    assert TimeEntry.objects.get().customer.name == "Müller GmbH"
    assert TicketStatusChange.objects.get().ticket.external_id == "1001"


def test_given_a_changed_record_when_written_then_only_it_is_updated() -> None:
    write_batch(_batch())
    result = write_batch(_batch(subject="Drucker geht wieder nicht"))
    assert result.counts["tickets"].updated == 1
    assert result.counts["tickets"].unchanged == 1
    assert Ticket.objects.get(external_id="1001").subject == "Drucker geht wieder nicht"


def test_given_bad_rows_when_written_then_they_are_rejected_with_reasons() -> None:
    batch = ImportBatch(source="zammad")
    batch.add(TicketRecord(external_id="1", customer_ref="o", subject="x", created_at=T0))
    batch.add(
        TicketRecord(external_id="2", customer_ref="o", subject="x", created_at=T0, priority=9)
    )
    batch.add(
        TicketRecord(
            external_id="3",
            customer_ref="o",
            subject="x",
            created_at=T0,
            resolved_at=T0 - timedelta(hours=1),
        )
    )
    batch.add(
        TicketRecord(
            external_id="4",
            customer_ref="o",
            subject="x",
            created_at=datetime(2025, 1, 1, 10, 0),  # noqa: DTZ001 - the naive instant under test
        )
    )
    batch.add(
        TimeEntryRecord(
            external_id="t1", ticket_ref="nope", started_at=T0, minutes=5, billing="billed"
        )
    )
    result = write_batch(batch)
    assert result.counts["tickets"].created == 1
    assert result.counts["tickets"].rejected == 3
    assert result.counts["time_entries"].rejected == 1
    messages = [error.message() for error in result.errors]
    assert any('column "priority": "9" is not one of' in m for m in messages)
    assert any("resolved_at" in m and "before the ticket was created" in m for m in messages)
    assert any("has no time zone" in m for m in messages)
    assert any('"nope" is not a known ticket from zammad' in m for m in messages)


def test_given_strict_when_a_row_is_bad_then_nothing_is_written() -> None:
    batch = _batch()
    batch.add(
        TicketRecord(external_id="9", customer_ref="o", subject="x", created_at=T0, status="x")
    )
    batch.cursors["tickets"] = "2025-03-03T09:00:00Z"
    result = write_batch(batch, strict=True)
    assert result.refused
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0
    assert read_cursor("zammad", "tickets") is None


def test_given_a_sync_batch_then_run_is_recorded_and_cursor_saved() -> None:
    batch = _batch()
    batch.cursors["tickets"] = "2025-03-03T09:00:00Z"
    run = do_import_batch(batch)
    assert run.status == ImportRun.Status.FINISHED
    assert run.created == 6
    assert read_cursor("zammad", "tickets") == "2025-03-03T09:00:00Z"
    assert SyncCursor.objects.count() == 1


def test_given_a_customer_with_that_name_then_the_reference_is_attached() -> None:
    existing = Customer.objects.create(name="Schmidt KG")
    write_batch(_batch())
    assert Ticket.objects.get(external_id="1002").customer_id == existing.pk
    assert CustomerReference.objects.get(source="zammad", external_id="org-2").customer == existing


@pytest.mark.django_db(transaction=True)
def test_given_the_writer_fails_midway_then_store_and_cursor_are_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_batch(_batch())
    calls = {"n": 0}
    original = writer_module.BatchWriter._write_table

    def failing(self: writer_module.BatchWriter, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer_module.BatchWriter, "_write_table", failing)
    batch = _batch(subject="changed")
    batch.cursors["tickets"] = "later"
    with pytest.raises(RuntimeError, match="disk full"):
        do_import_batch(batch)
    assert Ticket.objects.get(external_id="1001").subject == "Drucker druckt nicht"
    assert read_cursor("zammad", "tickets") is None
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_given_every_kind_when_written_twice_then_all_are_created_then_unchanged() -> None:
    from datetime import date

    from solidground.importers.records import (
        CatalogueItemRecord,
        ContactRecord,
        ContractRecord,
        InteractionRecord,
        RevenueLineRecord,
        SurveyAnswerRecord,
    )

    def batch() -> ImportBatch:
        b = ImportBatch(source="psa")
        b.add(CustomerRecord(external_id="c1", name="Müller GmbH", subdivision="BY"))
        b.add(ContactRecord(external_id="p1", customer_ref="c1", name="Eva Müller"))
        b.add(
            ContractRecord(
                external_id="k1",
                customer_ref="c1",
                name="Managed Workplace",
                kind_of_contract="managed",
                start_date=date(2024, 1, 1),
                monthly_fee=Decimal("2450.00"),
            )
        )
        b.add(
            CatalogueItemRecord(
                external_id="i1", contract_ref="k1", name="Arbeitsplatz", rate=Decimal("95")
            )
        )
        b.add(
            TicketRecord(
                external_id="t1",
                customer_ref="c1",
                subject="Drucker",
                created_at=T0,
                contact_ref="p1",
                contract_ref="k1",
                catalogue_item_ref="i1",
            )
        )
        b.add(
            InteractionRecord(
                external_id="x1",
                occurred_at=T0,
                kind_of_interaction="call",
                direction="inbound",
                ticket_ref="t1",
                contact_ref="p1",
                duration_minutes=12,
            )
        )
        b.add(
            SurveyAnswerRecord(
                external_id="s1",
                kind_of_survey="ticket_csat",
                sent_at=T0,
                ticket_ref="t1",
                answered_at=T0 + timedelta(hours=1),
                score=4,
            )
        )
        b.add(
            RevenueLineRecord(
                external_id="r1",
                customer_ref="c1",
                period=date(2025, 3, 1),
                kind_of_revenue="recurring",
                amount=Decimal("2450.00"),
                contract_ref="k1",
            )
        )
        return b

    first = write_batch(batch())
    assert first.error_count == 0, [e.message() for e in first.errors]
    assert first.totals.created == 8
    second = write_batch(batch())
    assert (second.totals.created, second.totals.updated, second.totals.unchanged) == (0, 0, 8)
    ticket = Ticket.objects.get(external_id="t1")
    assert ticket.contact is not None
    assert ticket.contact.name == "Eva Müller"
    assert ticket.contract is not None
    assert ticket.contract.monthly_fee == Decimal("2450.00")
    assert ticket.catalogue_item is not None
    assert ticket.catalogue_item.rate == Decimal("95.00")
    assert ticket.survey_answers.get().customer.name == "Müller GmbH"


def test_every_required_model_column_is_written_by_the_bulk_insert() -> None:
    """The bulk upsert names its columns itself: a new NOT NULL field needs a record field,
    or a default in the database (as the survey loop's follow-up mark has)."""
    for kind, spec in kinds.SPECS.items():
        written = {MODEL_FIELD_NAMES.get(name, name) for name in kinds.value_fields(kind)} | {
            ref.column for ref in spec.refs
        }
        for field in spec.model._meta.concrete_fields:
            if field.primary_key or field.null or field.name in ("source", "external_id"):
                continue
            if field.has_db_default():
                continue
            assert field.column in written or field.attname in written, (
                f"{spec.model.__name__}.{field.name} is NOT NULL but the {kind} writer does not "
                "write it; add it to the record in records.py"
            )


def test_given_a_contract_set_by_hand_when_a_sync_without_contracts_runs_again_it_stays() -> None:
    batch = _batch()
    batch.supplied_fields["tickets"] = frozenset(
        {"external_id", "customer_ref", "subject", "created_at", "status", "priority",
         "resolved_at", "customer_name"}
    )  # fmt: skip
    write_batch(batch)
    ticket = Ticket.objects.get(external_id="1001")
    contract = Contract.objects.create(
        customer=ticket.customer, name="Managed", kind="managed", start_date=T0.date()
    )
    Ticket.objects.filter(pk=ticket.pk).update(contract=contract)

    again = write_batch(batch)

    assert Ticket.objects.get(pk=ticket.pk).contract_id == contract.pk
    assert again.counts["tickets"].updated == 0


def test_a_ticket_moved_to_another_customer_takes_its_time_entries_along_in_one_batch() -> None:
    # given a ticket of Müller GmbH already stored, and a second one that is new
    write_batch(_batch())
    # when one batch moves ticket 1001 to Schmidt KG, adds ticket 1003, and brings time entries
    # that name only their tickets (their customer comes from the ticket)
    batch = ImportBatch(source="zammad")
    batch.add(
        TicketRecord(external_id="1001", customer_ref="org-2", subject="Drucker", created_at=T0)
    )
    batch.add(TicketRecord(external_id="1003", customer_ref="org-1", subject="Neu", created_at=T0))
    for number, ticket in (("te-2", "1001"), ("te-3", "1003"), ("te-4", "1002")):
        batch.add(
            TimeEntryRecord(
                external_id=number, ticket_ref=ticket, started_at=T0, minutes=15, billing="goodwill"
            )
        )
    result = write_batch(batch)
    # then each entry is booked to its ticket's customer as the batch left it
    assert result.error_count == 0
    booked = dict(TimeEntry.objects.values_list("external_id", "customer__name"))
    assert booked["te-2"] == "Schmidt KG"  # the moved ticket
    assert booked["te-3"] == "Müller GmbH"  # the new ticket
    assert booked["te-4"] == "Schmidt KG"  # a stored ticket the batch did not touch
    assert TimeEntry.objects.get(external_id="te-2").ticket.external_id == "1001"
