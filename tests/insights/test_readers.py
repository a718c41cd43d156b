"""The readers of ``fetch.py`` read the same frames, whichever path the analysis takes.

The fast readers read on connections of their own, so these tests commit their data
(``transaction=True``): on PostgreSQL connectorx reads the test database directly; the SQLite
test database lives in memory, so it is copied to a file for the SQLite child reader.
The re-analysis of a stored result (what is rewritten, what is kept) is in test_store.py.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from django.db import connection, transaction
from polars.testing import assert_frame_equal

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
from solidground.insights.models import AnalysisRun
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
