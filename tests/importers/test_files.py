"""File imports: German spreadsheet reality, staged errors, strictness, interruption, preview."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from solidground.customers.models import Customer
from solidground.importers import actions
from solidground.importers import writer as writer_module
from solidground.importers.actions import do_import_file, preview_import
from solidground.importers.files import import_file
from solidground.importers.mapping import PRESETS_DIR, MappingError, load_mapping
from solidground.importers.models import ImportRun
from solidground.importers.reading import detect_delimiter, detect_encoding
from solidground.insights import actions as analysis
from solidground.service.models import Ticket, TimeEntry

# analysis_calls (conftest.py): record the re-analysis after each import instead of running it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analysis_calls")]


SAMPLES = Path(__file__).resolve().parent / "samples"

GERMAN_TICKETS = (
    "Ticket-Nr.;Betreff;Kunde;Erstellt am;Gelöst am;Status;Priorität\r\n"
    "T-1;Drucker;Müller GmbH;03.03.2025 09:15;03.03.2025 14:40;gelöst;hoch\r\n"
    "T-2;VPN;Müller GmbH;31.02.2025 10:00;;offen;mittel\r\n"
    "T-3;Mail;Schmidt KG;04.03.2025 08:00;;unbekannt;mittel\r\n"
    "T-4;Zeitumstellung;Schmidt KG;30.03.2025 02:30;;offen;mittel\r\n"
    "T-5;Spät;Schmidt KG;26.10.2025 02:30;;offen;niedrig\r\n"
    ";;;;;;\r\n"
)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_given_german_csv_then_dialect_encoding_and_dates_are_detected(tmp_path: Path) -> None:
    path = _write(tmp_path, "tickets.csv", GERMAN_TICKETS)
    preview = preview_import(path, "generic-tickets")
    assert preview.encoding == "cp1252"
    assert preview.delimiter == ";"
    assert preview.detected == {"encoding": "cp1252", "delimiter": ";"}
    assert preview.date_formats["created_at"] == "dd.mm.yyyy HH:MM"
    assert preview.columns["created_at"] == "Erstellt am"
    assert preview.rows[0]["external_id"] == "T-1"
    messages = [error.message() for error in preview.errors]
    assert (
        'tickets.csv, row 3, column "Erstellt am": "31.02.2025 10:00" is not a date '
        "(expected dd.mm.yyyy HH:MM)"
    ) in messages
    assert any(
        'column "Status": "unbekannt" is not in the mapping for status' in m for m in messages
    )
    assert any('"30.03.2025 02:30" does not exist in Europe/Berlin' in m for m in messages), (
        messages
    )
    assert Ticket.objects.count() == 0  # a preview writes nothing


def test_given_bad_rows_then_good_rows_are_imported_and_bad_ones_go_to_rejects(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "tickets.csv", GERMAN_TICKETS)
    outcome = do_import_file(path, preset="generic-tickets")
    assert sorted(str(i) for i in Ticket.objects.values_list("external_id", flat=True)) == [
        "T-1",
        "T-5",
    ]
    first = Ticket.objects.get(external_id="T-1")
    # 09:15 in Berlin in March (CET) is 08:15 UTC.
    assert first.created_at == datetime(2025, 3, 3, 8, 15, tzinfo=UTC)
    # 02:30 on the night clocks go back exists twice; the earlier (CEST) is taken.
    assert Ticket.objects.get(external_id="T-5").created_at == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )
    run = outcome.run
    assert (run.created, run.rejected, run.status) == (4, 3, ImportRun.Status.FINISHED)
    assert outcome.rejects_path is not None
    with outcome.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert [row["row"] for row in rejects] == ["3", "4", "5"]
    assert rejects[0]["column"] == "Erstellt am"
    assert rejects[0]["value"] == "31.02.2025 10:00"
    assert run.rejects_path == str(outcome.rejects_path)
    assert run.first_errors[0].startswith('tickets.csv, row 3, column "Erstellt am"')


def test_given_strict_and_a_bad_row_then_nothing_is_imported(tmp_path: Path) -> None:
    path = _write(tmp_path, "tickets.csv", GERMAN_TICKETS)
    outcome = do_import_file(path, preset="generic-tickets", strict=True)
    assert outcome.run.status == ImportRun.Status.REFUSED
    assert (outcome.run.created, outcome.run.rejected) == (0, 3)
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_given_a_changed_row_when_imported_again_then_only_it_is_updated(
    tmp_path: Path,
) -> None:
    path = SAMPLES / "generic-tickets.de.csv"
    do_import_file(SAMPLES / "generic-customers.de.csv", preset="generic-customers")
    do_import_file(path, preset="generic-tickets")
    changed = path.read_bytes().replace("Drucker druckt nicht".encode("cp1252"), b"Scanner")
    second = tmp_path / "tickets.csv"
    second.write_bytes(changed)
    run = do_import_file(second, preset="generic-tickets").run
    assert (run.created, run.updated, run.unchanged) == (0, 1, 1)
    assert Ticket.objects.get(external_id="T-1").subject == "Scanner"
    assert Ticket.objects.count() == 2


def test_given_an_xlsx_with_date_cells_serials_and_empty_rows_then_it_imports() -> None:
    do_import_file(SAMPLES / "generic-customers.de.csv", preset="generic-customers")
    do_import_file(SAMPLES / "generic-tickets.de.csv", preset="generic-tickets")
    outcome = do_import_file(
        SAMPLES / "generic-time-entries.de.xlsx", preset="generic-time-entries"
    )
    assert outcome.result.errors == []
    assert outcome.run.created == 3
    by_id = {entry.external_id: entry for entry in TimeEntry.objects.all()}
    assert by_id["Z-1"].started_at == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    # The Excel serial 45719.5625 is 2025-03-03 13:30 in Berlin.
    assert by_id["Z-2"].started_at == datetime(2025, 3, 3, 12, 30, tzinfo=UTC)
    assert by_id["Z-2"].billing == "goodwill"
    assert by_id["Z-3"].minutes == 45


def test_given_a_file_without_a_required_column_then_the_mapping_error_says_which(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "tickets.csv", "Ticket-Nr.;Kunde\r\nT-1;Müller\r\n")
    with pytest.raises(MappingError, match=r"tickets.csv has no column for subject"):
        do_import_file(path, preset="generic-tickets")
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_given_a_yaml_mapping_with_value_maps_and_defaults_then_it_is_used(
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "source: excel\n"
        "kind: tickets\n"
        "decimal_separator: ','\n"
        "columns:\n"
        "  external_id: Nr\n"
        "  subject: Thema\n"
        "  customer_name: Firma\n"
        "  created_at: {columns: [Datum, Zeit]}\n"
        "  status: Stand\n"
        "values:\n"
        "  status: {fertig: resolved, '*': open}\n"
        "defaults:\n"
        "  priority: 2\n",
        encoding="utf-8",
    )
    path = _write(
        tmp_path,
        "liste.csv",
        "\ufeffNr;Thema;Firma;Datum;Zeit;Stand\n1;Drucker;Müller GmbH;03.03.2025;09:15;fertig\n"
        "2;Mail;Müller GmbH;04.03.2025;10:00;irgendwas\n",
        encoding="utf-8",
    )
    outcome = do_import_file(path, mapping=mapping)
    assert outcome.result.errors == []
    first, second = Ticket.objects.order_by("external_id")
    assert (first.status, first.priority, second.status) == ("resolved", 2, "open")
    assert first.created_at == datetime(2025, 3, 3, 8, 15, tzinfo=UTC)
    assert first.customer.name == "Müller GmbH"
    assert load_mapping(mapping).source == "excel"


@pytest.mark.django_db(transaction=True)
def test_given_an_import_interrupted_midway_then_the_store_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import_file(SAMPLES / "connectwise-companies.en.csv", preset="connectwise-companies")
    rows = ["id,summary,status/name,priority/name,company/identifier,dateEntered"]
    rows += [
        f"{n},Ticket {n},New,Priority 3 - Normal Response,MUELLER,2025-03-03T08:15:00Z"
        for n in range(1, 101)
    ]
    path = tmp_path / "tickets.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    calls = {"chunks": 0}
    original = writer_module.BatchWriter.write_frame

    def interrupted(self: writer_module.BatchWriter, *args: object, **kwargs: object) -> object:
        calls["chunks"] += 1
        if calls["chunks"] == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer_module.BatchWriter, "write_frame", interrupted)
    with pytest.raises(KeyboardInterrupt):
        do_import_file(path, preset="connectwise-tickets", chunk_size=20)
    assert calls["chunks"] == 3  # two chunks of 20 had been written inside the transaction
    assert Ticket.objects.count() == 0
    run = ImportRun.objects.get(file_name="tickets.csv")
    assert run.status == ImportRun.Status.FAILED
    assert run.created == 0
    monkeypatch.undo()
    again = do_import_file(path, preset="connectwise-tickets", chunk_size=20)
    assert again.run.created == 100
    assert Ticket.objects.count() == 100


def test_given_the_import_command_then_it_reports_counts_and_fails_on_strict(
    tmp_path: Path,
) -> None:
    out = StringIO()
    call_command(
        "import",
        str(SAMPLES / "zammad-organizations.de.csv"),
        preset="zammad-organizations",
        stdout=out,
        stderr=StringIO(),
    )
    assert "Imported 2 rows" in out.getvalue()
    path = _write(tmp_path, "tickets.csv", GERMAN_TICKETS)
    with pytest.raises(CommandError, match="--strict: 3 errors, nothing was imported"):
        call_command(
            "import",
            str(path),
            preset="generic-tickets",
            strict=True,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    listing = StringIO()
    call_command("import", "-", list_presets=True, stdout=listing)
    assert "connectwise-tickets" in listing.getvalue().split()


def test_detection_helpers() -> None:
    assert detect_encoding("Priorität".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa;b") == "utf-8-sig"
    assert detect_encoding("Erstellt am;Priorität;Gebühr\n".encode("cp1252") * 5) == "cp1252"
    assert detect_delimiter("a;b;c\n1,5;2,5;3\n") == ";"
    assert detect_delimiter("a,b,c\n1,2,3\n") == ","


def test_given_an_import_then_the_analysis_runs_for_the_affected_customers(
    analysis_calls: list[list[int]],
) -> None:
    do_import_file(SAMPLES / "generic-customers.de.csv", preset="generic-customers")
    do_import_file(SAMPLES / "generic-tickets.de.csv", preset="generic-tickets")
    ids = sorted(Customer.objects.values_list("pk", flat=True))
    assert analysis_calls == [ids, ids]


def test_after_import_calls_the_insights_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # analysis_calls replaced actions.after_import; use the real one
    seen: list[list[int]] = []
    monkeypatch.setattr(analysis, "analyze_customers", lambda ids: seen.append(list(ids)))
    actions.after_import([3, 1])
    actions.after_import([])
    assert seen == [[1, 3]]


def _constraints(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


@pytest.mark.django_db(transaction=True)
def test_given_a_bulk_import_then_indexes_and_foreign_keys_are_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _constraints("service_ticket")
    mapping = load_mapping(PRESETS_DIR / "generic-tickets.toml")
    outcome = import_file(SAMPLES / "generic-tickets.de.csv", mapping, defer_indexes=True)
    assert outcome.result.totals.created == 4  # 2 customers, 2 tickets
    assert _constraints("service_ticket") == before
    # Interrupted while the indexes are dropped: the rollback brings them back as well.
    original = writer_module.BatchWriter._write_table

    def failing(self: writer_module.BatchWriter, *args: object, **kwargs: object) -> object:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut")

    monkeypatch.setattr(writer_module.BatchWriter, "_write_table", failing)
    changed = tmp_path / "tickets.csv"
    changed.write_bytes((SAMPLES / "generic-tickets.de.csv").read_bytes().replace(b"T-2", b"T-3"))
    with pytest.raises(RuntimeError, match="power cut"):
        import_file(changed, mapping, defer_indexes=True)
    assert _constraints("service_ticket") == before
    assert sorted(str(i) for i in Ticket.objects.values_list("external_id", flat=True)) == [
        "T-1",
        "T-2",
    ]
