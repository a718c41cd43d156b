"""Findings, segments and the whale curve as stored and as a service manager reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from solidground.accounts.selectors import Viewer
from solidground.contracts.models import CatalogueItem
from solidground.insights.actions import analyze
from solidground.insights.models import (
    AnalysisRun,
    CustomerSegment,
    Finding,
    TicketScope,
    WhalePoint,
)
from solidground.insights.selectors.findings import finding_views, visible_findings
from solidground.insights.selectors.portfolio import segments
from solidground.service.models import TimeEntry
from tests.factories import TicketFactory, TimeEntryFactory
from tests.insights.conftest import SmallPortfolio, at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def free_printer_work(small_portfolio: SmallPortfolio) -> SmallPortfolio:
    """Four printer set-ups done as goodwill although printers are billed extra (EUR 95/h)."""
    contract = small_portfolio.busy.contracts.get()
    CatalogueItem.objects.create(
        contract=contract,
        code="PRINT",
        name="Drucker einrichten",
        included=False,
        rate=Decimal("95.00"),
        keywords="drucker, printer",
    )
    for day in (9, 10, 11, 12):
        # No catalogue item recorded: the keyword rule maps the ticket ("Drucker ...").
        ticket = TicketFactory(
            customer=small_portfolio.busy,
            contract=contract,
            created_at=at(day, 9),
            first_response_at=at(day, 9, 20),
            resolved_at=at(day, 11),
            subject=f"Drucker im Büro {day} einrichten",
        )
        TimeEntryFactory(
            customer=small_portfolio.busy,
            ticket=ticket,
            minutes=90,
            billing=TimeEntry.Billing.GOODWILL,
            started_at=at(day, 10),
        )
    return small_portfolio


def test_free_out_of_scope_work_becomes_a_finding_in_both_languages(
    free_printer_work: SmallPortfolio,
) -> None:
    analyze(now=NOW)

    # The factory's subjects ("Drucker 3 einrichten") map the fixture's four tickets too; only
    # the four below have free time booked on them.
    assert TicketScope.objects.filter(method="rule").count() == 8
    finding = Finding.objects.get(kind="out_of_scope_free")
    assert finding.params["tickets"] == 4
    assert finding.params["hours"] == pytest.approx(6.0)
    assert finding.params["value"] == pytest.approx(570.0)
    # EUR 570 over 6 months is EUR 95 a month, rounded up to the next 5.
    assert finding.params["monthly_price"] == 95.0
    english_view = finding_views([finding], language="en")[0]
    german_view = finding_views([finding], language="de")[0]
    english = f"{english_view.customer_name}: {english_view.text}"
    german = f"{german_view.customer_name}: {german_view.text}"
    assert english.startswith("Müller Metallbau GmbH: 4 free “Drucker einrichten” tickets")
    assert "570 EUR at catalogue rate" in english
    assert "95 EUR/month or bill from now" in english
    assert "Katalogpreis" in german
    assert visible_findings(viewer=Viewer.everyone(), customer_id=free_printer_work.busy.pk)[0].kind


def test_every_customer_gets_a_segment_with_its_reasons(small_portfolio: SmallPortfolio) -> None:
    run = analyze(now=NOW)

    assert run.as_of == dt.date(2026, 3, 1)
    stored = {s.customer_id: s for s in CustomerSegment.objects.all()}
    assert set(stored) == {small_portfolio.busy.pk, small_portfolio.silent.pk}
    silent = segments(viewer=Viewer.everyone(), language="en")[small_portfolio.silent.pk]
    # No tickets and no answers: satisfaction is unknown and the reasons say so.
    assert any("satisfaction unknown" in reason for reason in silent.reasons)
    german = segments(viewer=Viewer.everyone(), language="de")[small_portfolio.silent.pk]
    assert german.label in {"solide", "ruhig", "unrentabel", "nicht eingeordnet"}


def test_whale_curve_ranks_customers_by_profit(small_portfolio: SmallPortfolio) -> None:
    run = analyze(now=NOW)

    points = list(WhalePoint.objects.order_by("rank"))
    assert [p.customer_id for p in points] == [small_portfolio.busy.pk, small_portfolio.silent.pk]
    assert points[-1].cumulative_share == pytest.approx(1.0)
    assert run.whale["customers"] == 2


def test_reanalysing_one_customer_keeps_the_others_results(
    free_printer_work: SmallPortfolio,
) -> None:
    analyze(now=NOW)
    findings_before = Finding.objects.filter(customer=free_printer_work.busy).count()

    run = analyze(customer_ids=[free_printer_work.silent.pk], now=NOW)

    assert run.status == AnalysisRun.Status.FINISHED
    assert Finding.objects.filter(customer=free_printer_work.busy).count() == findings_before
    assert CustomerSegment.objects.count() == 2
    assert TicketScope.objects.count() == 8
