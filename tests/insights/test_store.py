"""A re-analysis rewrites only the result rows that changed and never stores older results.

The tests share one analysed demo store per module (``analysed_demo``): it is built and
analysed once and committed; each test runs in a transaction that is rolled back
(``django_db`` without ``transaction=True``), so every test starts from that same store. The
tests that must commit (``transaction=True``) build their own store (``demo_store``):
pytest-django empties every table after such a test, which would take the shared store with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import pytest_django
from django.db import transaction

from solidground.demo.actions import build_demo
from solidground.demo.load import delete_domain_data
from solidground.insights import store
from solidground.insights.actions import analyze
from solidground.service.models import Ticket
from tests.factories import TicketFactory
from tests.insights.stored import DIFFED, Results, stored_results

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


def _build_demo_store() -> None:
    """A small demo provider (every result table gets rows), with a third of the tickets'
    catalogue items forgotten so that the scope mapping has tickets to map."""
    build_demo(customers=12, months=15, seed=7, end=dt.date(2026, 3, 1), fresh=True)
    forgotten = list(Ticket.objects.order_by("pk").values_list("pk", flat=True)[::3])
    Ticket.objects.filter(pk__in=forgotten).update(catalogue_item=None)


@pytest.fixture(scope="module")
def analysed_demo(
    django_db_setup: None, django_db_blocker: pytest_django.DjangoDbBlocker
) -> Iterator[None]:
    """The demo store analysed at NOW, committed once for the module; removed afterwards."""
    with django_db_blocker.unblock():
        _build_demo_store()
        # Inside a transaction the analysis reads through Django, as the tests' own do.
        with transaction.atomic():
            analyze(now=NOW)
    yield
    with django_db_blocker.unblock(), transaction.atomic():
        delete_domain_data()


@pytest.fixture
def demo_store() -> None:
    """The same store, not yet analysed, for one test that commits."""
    _build_demo_store()


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


def _from_scratch(now: dt.datetime) -> Results:
    for model in DIFFED:
        model.objects.all().delete()
    analyze(now=now)
    return stored_results()


def _check_only_changed_rows_are_rewritten() -> None:
    """On a store analysed at NOW: change tickets, analyse a day later, compare."""
    _change_tickets(NOW)
    later = NOW + dt.timedelta(days=1)
    analyze(now=later)
    updated = stored_results()

    assert updated == _from_scratch(later)
    assert len(updated["TicketSla"]) == Ticket.objects.count()
    for model in DIFFED:
        assert updated[model.__name__], f"no {model.__name__} rows: the test would prove nothing"


# 10: always pick the changed rows (a small portfolio changes most of them); 0: always rewrite.
_REWRITE_SHARES = pytest.mark.parametrize("rewrite_share", [10.0, 0.0])


@_REWRITE_SHARES
@pytest.mark.django_db
@pytest.mark.usefixtures("analysed_demo")
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
    analyze(now=NOW)
    _check_only_changed_rows_are_rewritten()


@pytest.mark.django_db
@pytest.mark.usefixtures("analysed_demo")
def test_an_unchanged_store_writes_no_result_rows(caplog: pytest.LogCaptureFixture) -> None:
    before = stored_results()
    caplog.set_level("INFO", logger="solidground.insights.actions")

    analyze(now=NOW)

    assert stored_results() == before
    stored = [r.getMessage() for r in caplog.records if " stored " in r.getMessage()]
    assert len(stored) == len(DIFFED)
    assert all(m.endswith("{'deleted': 0, 'inserted': 0}") for m in stored), stored


@pytest.mark.django_db
@pytest.mark.usefixtures("analysed_demo")
def test_a_full_analysis_finishing_meanwhile_is_not_mixed_into_the_results() -> None:
    """Another full analysis commits between this one's reads and its writes: the stored rows
    this one compared with are stale, so it compares again under the write lock."""
    _change_tickets(NOW)
    ran = []

    def other_analysis(message: str) -> None:
        if message.startswith("Segments") and not ran:
            ran.append(True)
            analyze(now=NOW + dt.timedelta(days=1))

    analyze(now=NOW + dt.timedelta(days=1), progress=other_analysis)

    assert ran
    assert stored_results() == _from_scratch(NOW + dt.timedelta(days=1))
