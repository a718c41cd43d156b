"""An analysis of some customers that lands during a full analysis keeps its newer results.

On the hand-made portfolio, with a store of its own: the demo store that test_store.py shares
across its module would be in this test's store too.
"""

from __future__ import annotations

import datetime as dt

import pytest

from solidground.insights.actions import analyze
from solidground.insights.models import CustomerPeriod
from solidground.service.models import Ticket
from tests.factories import TicketFactory
from tests.insights.stored import stored_results
from tests.portfolio_fixtures import SmallPortfolio

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


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
    left = stored_results()
    analyze(customer_ids=[busy.pk], now=NOW)
    assert stored_results() == left
