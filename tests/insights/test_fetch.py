"""The readers of ``fetch.py`` read the same frames; a full re-analysis rewrites only the
result rows that changed, and never overwrites newer results.

The fast readers read on connections of their own, so these tests commit their data
(``transaction=True``): on PostgreSQL connectorx reads the test database directly; the SQLite
test database lives in memory, so it is copied to a file for the SQLite child reader.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from django.db import connection, transaction
from django.db.models import Model
from polars.testing import assert_frame_equal

from solidground.demo.actions import build_demo
from solidground.insights import store
from solidground.insights.actions import analyze
from solidground.insights.fetch import (
    ConnectorxReader,
    Query,
    Reader,
    SqliteProcessReader,
    StoreFrames,
    connectorx_uri,
    default_reader,
    django_reader,
    load_frames,
    sqlite_store_path,
)
from solidground.insights.models import (
    AnalysisRun,
    CustomerPeriod,
    CustomerTrend,
    TicketScope,
    TicketSla,
)
from solidground.service.models import Ticket
from tests.factories import TicketFactory
from tests.portfolio_fixtures import SmallPortfolio


def _sqlite_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    return copy


def _fast_reader(tmp_path: Path) -> Reader:
    """The reader a whole-store analysis outside a transaction uses on this database."""
    uri = connectorx_uri()
    if uri is not None:
        return ConnectorxReader(uri)
    if connection.vendor != "sqlite":
        pytest.skip("no fast reader reaches this database")
    return SqliteProcessReader(str(_sqlite_copy(tmp_path)))


def _assert_same(left: StoreFrames, right: StoreFrames) -> None:
    for name in StoreFrames.__dataclass_fields__:
        a, b = getattr(left, name), getattr(right, name)
        assert_frame_equal(a.sort(a.columns), b.sort(b.columns), check_exact=True)


@pytest.mark.django_db(transaction=True)
def test_the_fast_reader_and_django_read_the_same_frames(
    small_portfolio: SmallPortfolio, tmp_path: Path
) -> None:
    reader = _fast_reader(tmp_path)

    direct = load_frames(reader=reader)
    through_django = load_frames(reader=django_reader)

    _assert_same(direct, through_django)
    assert direct.tickets.height > 0
    # NULL instants in the first rows are where typing by the first rows used to fail.
    assert direct.tickets["resolved_at"].dtype == pl.Datetime("us", "UTC")


@pytest.mark.django_db(transaction=True)
def test_the_fast_reader_reads_empty_tables(tmp_path: Path) -> None:
    reader = _fast_reader(tmp_path)

    frames = load_frames(reader=reader)

    _assert_same(frames, load_frames(reader=django_reader))
    assert frames.tickets.height == 0


@pytest.mark.django_db(transaction=True)
def test_analysis_outside_a_transaction_matches_inside(small_portfolio: SmallPortfolio) -> None:
    """The default reader switches to the fast reader outside a transaction: same results."""
    outside = analyze()
    with transaction.atomic():
        inside = analyze()

    assert outside.status == inside.status == AnalysisRun.Status.FINISHED
    assert outside.baseline == inside.baseline
    assert outside.whale == inside.whale
    assert outside.scope_report == inside.scope_report


@pytest.mark.django_db
def test_reads_inside_a_transaction_and_filtered_reads_go_through_django() -> None:
    with transaction.atomic():
        assert default_reader(None) is django_reader
    assert default_reader([1]) is django_reader


@pytest.mark.django_db
def test_connectorx_refuses_parameters() -> None:
    with pytest.raises(ValueError, match="binds no parameters"):
        ConnectorxReader("postgresql://nowhere/none")(
            "SELECT id FROM customers_customer WHERE id = %s", [1], {"id": pl.Int64()}
        )


def _wal_store(path: Path) -> sqlite3.Connection:
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)")
    return writer


def test_the_sqlite_child_reader_sees_every_commit_and_stays_out_of_this_process(
    tmp_path: Path,
) -> None:
    """connectorx and ADBC read old snapshots of a WAL store after later commits when loaded
    into the process that writes; the child reader sees each commit."""
    path = tmp_path / "store.sqlite3"
    writer = _wal_store(path)
    reader = SqliteProcessReader(str(path))
    seen = []
    for row in range(3):
        writer.execute("INSERT INTO t (note) VALUES (?)", [f"row {row}"])
        frame = reader("SELECT id, note FROM t", [], {"id": pl.Int64(), "note": pl.String()})
        seen.append(frame.height)
        # Python's sqlite3 still works on the same file (it failed with "disk I/O error").
        assert writer.execute("SELECT COUNT(*) FROM t").fetchone() == (row + 1,)

    assert seen == [1, 2, 3]
    assert "adbc_driver_sqlite" not in sys.modules


def test_the_sqlite_child_reader_reads_in_parallel_and_binds_parameters(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    writer = _wal_store(path)
    writer.executemany("INSERT INTO t (note) VALUES (?)", [[None]] * 3 + [["100%"]])
    reader = SqliteProcessReader(str(path), workers=2)
    schema = {"id": pl.Int64(), "note": pl.String()}

    results = reader.read_many(
        {
            "all": Query("SELECT id, note FROM t", [], schema, "t"),
            "some": Query("SELECT id, note FROM t WHERE id >= %s", [3], schema, "t"),
            "percent": Query(
                "SELECT id, note FROM t WHERE note LIKE '%%!%%' ESCAPE '!'", [], schema, "t"
            ),
        }
    )

    assert results["all"]["note"].to_list() == [None, None, None, "100%"]
    assert results["some"]["id"].to_list() == [3, 4]
    assert results["percent"]["id"].to_list() == [4]


def test_a_failed_sqlite_read_names_the_store_and_the_query(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    _wal_store(path)

    with pytest.raises(RuntimeError, match=r"store\.sqlite3.*broken.*no such table"):
        SqliteProcessReader(str(path)).read_many(
            {"broken": Query("SELECT x FROM missing", [], {"x": pl.Int64()})}
        )


def test_an_in_memory_sqlite_store_is_read_through_django(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setitem(connection.settings_dict, "NAME", ":memory:")
    assert sqlite_store_path() is None
    file = tmp_path / "store.sqlite3"
    file.touch()
    monkeypatch.setitem(connection.settings_dict, "NAME", str(file))
    assert sqlite_store_path() == str(file)


_DIFFED = (TicketSla, TicketScope, CustomerPeriod, CustomerTrend)


def _stored(model: type[Model]) -> list[tuple[object, ...]]:
    """The table's rows; floats to 12 significant digits (the storing compares them so: the
    last bit of a float sum may differ between runs)."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    rows = [
        tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row)
        for row in model.objects.values_list(*fields)
    ]
    return sorted(rows, key=repr)


def _results() -> dict[str, list[tuple[object, ...]]]:
    return {model.__name__: _stored(model) for model in _DIFFED}


def _change_tickets(now: dt.datetime) -> None:
    """Change, remove and add tickets after a first analysis."""
    open_ticket = Ticket.objects.filter(resolved_at__isnull=True).first()
    assert open_ticket is not None
    open_ticket.resolved_at = now - dt.timedelta(hours=1)
    open_ticket.save()
    Ticket.objects.exclude(pk=open_ticket.pk).order_by("pk").first().delete()  # type: ignore[union-attr]
    TicketFactory(
        customer=open_ticket.customer,
        contract=open_ticket.contract,
        priority=2,
        created_at=now - dt.timedelta(days=2),
    )


def _from_scratch(now: dt.datetime) -> dict[str, list[tuple[object, ...]]]:
    for model in _DIFFED:
        model.objects.all().delete()
    analyze(now=now)
    return _results()


NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo_store() -> None:
    """A small demo provider (every result table gets rows), with a third of the tickets'
    catalogue items forgotten so that the scope mapping has tickets to map."""
    build_demo(customers=12, months=15, seed=7, end=dt.date(2026, 3, 1), fresh=True)
    forgotten = list(Ticket.objects.order_by("pk").values_list("pk", flat=True)[::3])
    Ticket.objects.filter(pk__in=forgotten).update(catalogue_item=None)


def _check_only_changed_rows_are_rewritten() -> None:
    analyze(now=NOW)
    _change_tickets(NOW)
    later = NOW + dt.timedelta(days=1)
    analyze(now=later)
    updated = _results()

    assert updated == _from_scratch(later)
    assert len(updated["TicketSla"]) == Ticket.objects.count()
    for model in _DIFFED:
        assert updated[model.__name__], f"no {model.__name__} rows: the test would prove nothing"


# 10: always pick the changed rows (a small portfolio changes most of them); 0: always rewrite.
_REWRITE_SHARES = pytest.mark.parametrize("rewrite_share", [10.0, 0.0])


@_REWRITE_SHARES
@pytest.mark.django_db
@pytest.mark.usefixtures("demo_store")
def test_a_full_reanalysis_keeps_only_current_results(
    monkeypatch: pytest.MonkeyPatch, rewrite_share: float
) -> None:
    monkeypatch.setattr(store, "REWRITE_SHARE", rewrite_share)
    _check_only_changed_rows_are_rewritten()


@_REWRITE_SHARES
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("demo_store")
def test_a_full_reanalysis_outside_a_transaction_keeps_only_current_results(
    monkeypatch: pytest.MonkeyPatch, rewrite_share: float
) -> None:
    monkeypatch.setattr(store, "REWRITE_SHARE", rewrite_share)
    _check_only_changed_rows_are_rewritten()


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_store")
def test_an_unchanged_store_writes_no_result_rows(caplog: pytest.LogCaptureFixture) -> None:
    analyze(now=NOW)
    before = _results()
    caplog.set_level("INFO", logger="solidground.insights.actions")

    analyze(now=NOW)

    assert _results() == before
    stored = [r.getMessage() for r in caplog.records if " stored " in r.getMessage()]
    assert len(stored) == len(_DIFFED)
    assert all(m.endswith("{'deleted': 0, 'inserted': 0}") for m in stored), stored


@pytest.mark.django_db
def test_customers_reanalysed_during_a_full_analysis_keep_their_newer_results(
    small_portfolio: SmallPortfolio,
) -> None:
    """An import (and its re-analysis of one customer) lands while a full analysis computes:
    the full analysis must not store that customer's older figures over the newer ones."""
    analyze(now=NOW)
    busy = small_portfolio.busy

    def import_meanwhile(message: str) -> None:
        if message.startswith("Segments"):
            TicketFactory(
                customer=busy, priority=3, created_at=dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC)
            )
            analyze(customer_ids=[busy.pk], now=NOW)

    analyze(now=NOW, progress=import_meanwhile)

    march = CustomerPeriod.objects.get(
        customer=busy, period_kind="month", period_start=dt.date(2026, 3, 1)
    )
    march_end = dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC)  # midnight in Berlin
    assert march.tickets == Ticket.objects.filter(customer=busy, created_at__lt=march_end).count()
    # What the full analysis left for the customer is what analysing it now gives.
    left = _results()
    analyze(customer_ids=[busy.pk], now=NOW)
    assert _results() == left


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_store")
def test_a_full_analysis_finishing_meanwhile_is_not_mixed_into_the_results() -> None:
    """Another full analysis commits between this one's reads and its writes: the stored rows
    this one compared with are stale, so it compares again under the write lock."""
    analyze(now=NOW)
    _change_tickets(NOW)
    ran = []

    def other_analysis(message: str) -> None:
        if message.startswith("Segments") and not ran:
            ran.append(True)
            analyze(now=NOW + dt.timedelta(days=1))

    analyze(now=NOW + dt.timedelta(days=1), progress=other_analysis)

    assert ran
    assert _results() == _from_scratch(NOW + dt.timedelta(days=1))


_ON_A_FILE_STORE = """
import datetime as dt
import django

django.setup()
from django.core.management import call_command
from django.db import transaction

from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze
from solidground.insights.fetch import SqliteProcessReader, default_reader
from solidground.insights.models import CustomerPeriod, CustomerTrend, TicketSla

call_command("migrate", verbosity=0)
build_demo(customers=8, months=6, seed=4, end=dt.date(2026, 3, 1), fresh=True)
now = dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC)


def stored():
    return [
        sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields
                                           if f.attname != "id"]), key=repr)
        for model in (TicketSla, CustomerPeriod, CustomerTrend)
    ]


assert isinstance(default_reader(None), SqliteProcessReader)
analyze(now=now)
through_children = stored()
assert all(through_children)
with transaction.atomic():  # inside a transaction everything is read through Django
    analyze(now=now)
assert stored() == through_children
print("same")
"""


def test_a_whole_analysis_of_a_sqlite_file_reads_through_child_processes(tmp_path: Path) -> None:
    """The product's own path (a store on disk, no transaction around the analysis) reads in
    child processes and stores the same results as reading through Django."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    env = {
        **os.environ,
        "SOLIDGROUND_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "solidground.config.settings",
    }
    env.pop("SOLIDGROUND_DATABASE_URL", None)

    done = subprocess.run(
        [sys.executable, "-c", _ON_A_FILE_STORE],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("same")
