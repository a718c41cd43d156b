"""The two readers of ``fetch.py`` read the same frames; a full re-analysis rewrites only the
SLA rows that changed.

connectorx reads on its own connection, so these tests commit their data
(``transaction=True``): on PostgreSQL it reads the test database directly; the SQLite test
database lives in memory, so it is copied to a file first.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from django.db import connection, transaction
from polars.testing import assert_frame_equal

from solidground.insights import actions
from solidground.insights.actions import analyze
from solidground.insights.fetch import (
    ConnectorxReader,
    StoreFrames,
    connectorx_uri,
    default_reader,
    django_reader,
    load_frames,
)
from solidground.insights.models import AnalysisRun, TicketSla
from solidground.service.models import Ticket
from tests.factories import TicketFactory
from tests.portfolio_fixtures import SmallPortfolio


def _connectorx_reader(tmp_path: Path) -> ConnectorxReader:
    uri = connectorx_uri()
    if uri is not None:
        return ConnectorxReader(uri, connection.vendor)
    if connection.vendor != "sqlite":
        pytest.skip("connectorx cannot reach this database")
    copy = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    return ConnectorxReader("sqlite://" + str(copy), "sqlite")


def _assert_same(left: StoreFrames, right: StoreFrames) -> None:
    for name in StoreFrames.__dataclass_fields__:
        a, b = getattr(left, name), getattr(right, name)
        assert_frame_equal(a.sort(a.columns), b.sort(b.columns), check_exact=True)


@pytest.mark.django_db(transaction=True)
def test_connectorx_and_django_read_the_same_frames(
    small_portfolio: SmallPortfolio, tmp_path: Path
) -> None:
    reader = _connectorx_reader(tmp_path)

    direct = load_frames(reader=reader)
    through_django = load_frames(reader=django_reader)

    _assert_same(direct, through_django)
    assert direct.tickets.height > 0
    # NULL instants in the first rows are where connectorx's SQLite typing used to fail.
    assert direct.tickets["resolved_at"].dtype == pl.Datetime("us", "UTC")


@pytest.mark.django_db(transaction=True)
def test_connectorx_reads_empty_tables(tmp_path: Path) -> None:
    reader = _connectorx_reader(tmp_path)

    frames = load_frames(reader=reader)

    _assert_same(frames, load_frames(reader=django_reader))
    assert frames.tickets.height == 0


@pytest.mark.django_db(transaction=True)
def test_analysis_outside_a_transaction_matches_inside(small_portfolio: SmallPortfolio) -> None:
    """The default reader switches to connectorx outside a transaction: same results."""
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
        ConnectorxReader("sqlite:///nowhere", "sqlite")(
            "SELECT id FROM customers_customer WHERE id = %s", [1], {"id": pl.Int64()}
        )


def _sla_rows() -> list[tuple[object, ...]]:
    return sorted(TicketSla.objects.values_list(*_SLA_FIELDS))


_SLA_FIELDS = [
    field.attname for field in TicketSla._meta.concrete_fields if field.attname != "ticket_id"
] + ["ticket_id"]


def _rewrite_sla_changes(now: dt.datetime) -> None:
    """Change, remove and add tickets after a first analysis, then analyse again."""
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


def _check_only_changed_sla_rows_are_rewritten() -> None:
    now = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
    analyze(now=now)
    _rewrite_sla_changes(now)
    analyze(now=now + dt.timedelta(days=1))
    updated = _sla_rows()

    # The same results written from scratch.
    TicketSla.objects.all().delete()
    analyze(now=now + dt.timedelta(days=1))

    assert updated == _sla_rows()
    assert len(updated) == Ticket.objects.count()


# 10: always pick the changed rows (a small portfolio changes most of them); 0: always rewrite.
_REWRITE_SHARES = pytest.mark.parametrize("rewrite_share", [10.0, 0.0])


@_REWRITE_SHARES
@pytest.mark.django_db
def test_a_full_reanalysis_keeps_only_current_sla_rows(
    small_portfolio: SmallPortfolio, monkeypatch: pytest.MonkeyPatch, rewrite_share: float
) -> None:
    monkeypatch.setattr(actions, "_SLA_REWRITE_SHARE", rewrite_share)
    _check_only_changed_sla_rows_are_rewritten()


@_REWRITE_SHARES
@pytest.mark.django_db(transaction=True)
def test_a_full_reanalysis_outside_a_transaction_keeps_only_current_sla_rows(
    small_portfolio: SmallPortfolio, monkeypatch: pytest.MonkeyPatch, rewrite_share: float
) -> None:
    monkeypatch.setattr(actions, "_SLA_REWRITE_SHARE", rewrite_share)
    _check_only_changed_sla_rows_are_rewritten()


def test_a_sqlite_store_on_disk_is_always_read_through_django(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """connectorx read an old snapshot of a WAL store after later commits; Django does not."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "store.sqlite3"))
    assert connectorx_uri() is None
