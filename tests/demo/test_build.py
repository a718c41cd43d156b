"""Building the demo in the store: counts, refusal, --fresh, atomicity, command, ground truth."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from solidground.contracts.models import BusinessCalendar, Contract, SlaPolicy
from solidground.customers.models import Customer
from solidground.demo import load
from solidground.demo.actions import DemoStoreNotEmptyError, build_demo
from solidground.demo.generator import generate
from solidground.service.models import Ticket, TicketStatusChange

END = date(2025, 6, 1)
SMALL = {"customers": 12, "months": 6, "seed": 5, "end": END}


def _structures() -> dict[str, set[str]]:
    """Index and constraint names of the big tables, which the loader drops and rebuilds."""
    with connection.cursor() as cursor:
        return {
            table: set(connection.introspection.get_constraints(cursor, table))
            for table in ("service_ticket", "service_ticketstatuschange", "service_timeentry")
        }


def _counts() -> dict[str, int]:
    labels = generate(**SMALL).frames  # type: ignore[arg-type]
    return {label: apps.get_model(label).objects.count() for label in labels}


@pytest.mark.django_db
def test_build_writes_every_generated_row(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = generate(**SMALL).counts()  # type: ignore[arg-type]
    structures = _structures()
    # Take the bulk path (indexes and foreign keys dropped and rebuilt) even at this size.
    monkeypatch.setattr(load, "BULK_ROWS", 500)

    summary = build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]

    assert summary.counts == expected
    assert _counts() == expected
    assert summary.tickets == expected["service.ticket"] > 100
    assert _structures() == structures


@pytest.mark.django_db
def test_loaded_rows_read_back_as_the_domain_expects() -> None:
    build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]

    ticket = Ticket.objects.filter(reopen_count=1).select_related("contract__sla_policy").first()
    assert ticket is not None
    assert ticket.created_at.utcoffset() is not None
    assert ticket.source == "demo"
    assert ticket.contract is not None
    assert isinstance(ticket.contract.hourly_rate, Decimal)
    assert ticket.contract.hourly_rate >= Decimal("95.00")
    policy = ticket.contract.sla_policy
    assert policy is not None
    assert policy.pausing_statuses == ["waiting_customer"]
    assert policy.near_breach_share == Decimal("0.75")
    statuses = list(
        TicketStatusChange.objects.filter(ticket=ticket)
        .order_by("changed_at")
        .values_list("status", flat=True)
    )
    assert statuses[0] == "new"
    assert statuses.count("resolved") == 2
    assert ticket.customer.references.get().source == "demo"
    # Ids were assigned by the loader; the database must hand out the next ones itself.
    added = Customer.objects.create(name="Nach dem Demo GmbH")
    assert added.pk == Customer.objects.order_by("-pk").values_list("pk", flat=True)[1] + 1


@pytest.mark.django_db
def test_second_build_refuses_and_fresh_rebuilds_without_duplicates() -> None:
    user = get_user_model().objects.create_user("anna", password="x-demo-pass-1")
    first = build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]

    with pytest.raises(DemoStoreNotEmptyError, match=r"12 customers.*--fresh"):
        build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]
    with pytest.raises(CommandError, match="--fresh"):
        call_command("demo", "--customers", "12", "--months", "6", stdout=io.StringIO())

    again = build_demo(**SMALL, fresh=True)  # type: ignore[arg-type]

    assert again.replaced_customers == 12
    assert _counts() == first.counts
    assert SlaPolicy.objects.count() == first.counts["contracts.slapolicy"]
    assert get_user_model().objects.filter(pk=user.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_interrupted_rebuild_leaves_the_store_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]
    truth_before = first.ground_truth_path.read_text(encoding="utf-8")
    structures = _structures()
    monkeypatch.setattr(load, "BULK_ROWS", 500)
    written: list[str] = []
    real_write = load._write

    def failing_write(table: str, chunk: pl.DataFrame) -> None:
        # Fail once tickets are in but status changes are not: mid-load, after --fresh deleted.
        if table == "service_ticketstatuschange":
            raise RuntimeError("disk full")
        written.append(table)
        real_write(table, chunk)

    monkeypatch.setattr(load, "_write", failing_write)

    with pytest.raises(RuntimeError, match="disk full"):
        build_demo(**{**SMALL, "seed": 6}, fresh=True)  # type: ignore[arg-type]

    assert "service_ticket" in written
    assert _counts() == first.counts
    assert set(Customer.objects.values_list("name", flat=True)) == set(
        generate(**SMALL).ground_truth["name"]  # type: ignore[arg-type]
    )
    assert first.ground_truth_path.read_text(encoding="utf-8") == truth_before
    assert _structures() == structures


@pytest.mark.django_db
def test_demo_command_prints_seed_counts_and_timing() -> None:
    out = io.StringIO()

    call_command(
        "demo", "--customers", "12", "--months", "6", "--seed", "5", "--end", "2025-06",
        stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    assert "seed 5" in text
    assert "service.ticket" in text
    assert f"{Ticket.objects.count():,}" in text
    assert "loaded in" in text
    assert Contract.objects.count() == 12


@pytest.mark.django_db
def test_demo_command_rejects_a_malformed_month() -> None:
    with pytest.raises(CommandError, match="2025-6-1"):
        call_command("demo", "--end", "2025-6-1", stdout=io.StringIO())


@pytest.mark.django_db
def test_ground_truth_file_names_every_customer_and_the_seed() -> None:
    summary = build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]

    first_line = summary.ground_truth_path.read_text(encoding="utf-8").splitlines()[0]
    truth = pl.read_csv(summary.ground_truth_path, comment_prefix="#")

    assert "seed=5" in first_line
    assert truth.height == 12
    assert set(truth["name"]) == set(Customer.objects.values_list("name", flat=True))
    assert set(truth["archetype"]) == {"solid", "service_trap", "at_risk", "quiet", "unprofitable"}
    cancelled = set(truth.filter(pl.col("cancelled"))["name"])
    assert cancelled == set(
        Customer.objects.filter(status="cancelled").values_list("name", flat=True)
    )


@pytest.mark.django_db
def test_calendars_and_policies_of_the_same_name_are_reused() -> None:
    # A provider may have set up its 24x7 calendar before trying the demo.
    calendar = BusinessCalendar.objects.create(name="Mo-So 00-24", holiday_country="")
    expected = generate(**SMALL).counts()  # type: ignore[arg-type]

    build_demo(**SMALL, fresh=False)  # type: ignore[arg-type]

    assert BusinessCalendar.objects.count() == expected["contracts.businesscalendar"]
    premium = SlaPolicy.objects.get(name="Premium 24x7")
    assert premium.calendar == calendar
    assert not calendar.windows.exists()  # the existing calendar is used as it is
