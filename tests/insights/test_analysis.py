"""`solidground analyze` on a small hand-made portfolio: every stored figure checked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from statsmodels.stats.proportion import proportion_confint

from solidground.insights.actions import analyze
from solidground.insights.models import AnalysisRun, CustomerPeriod, TicketSla
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


def march(customer_id: int) -> CustomerPeriod:
    return CustomerPeriod.objects.get(
        customer_id=customer_id, period_kind="month", period_start=MARCH
    )


def test_monthly_figures_match_the_hand_computation(small_portfolio: SmallPortfolio) -> None:
    run = analyze(now=NOW)

    assert run.status == AnalysisRun.Status.FINISHED
    figures = march(small_portfolio.busy.pk)
    assert figures.tickets == 3
    assert (figures.hours_included, figures.hours_goodwill, figures.hours_billed) == (3, 1, 2)
    assert figures.hours_internal == 0.5
    # Goodwill share counts customer-facing hours only: 1 of 6.
    assert figures.goodwill_share == pytest.approx(1 / 6)
    # 6 hours at the default loaded cost of 62.00 plus the internal entry's own 50.00.
    assert figures.labour_cost == Decimal("422.00")
    assert figures.revenue == Decimal("1690.00")
    assert figures.direct_cost == Decimal("200.00")
    assert figures.margin == Decimal("1068.00")
    assert figures.margin_share == pytest.approx(1068 / 1690)


def test_csat_share_carries_the_wilson_interval(small_portfolio: SmallPortfolio) -> None:
    analyze(now=NOW)

    figures = march(small_portfolio.busy.pk)
    assert (figures.csat_responses, figures.csat_positive, figures.csat_negative) == (5, 3, 1)
    assert figures.csat_share == pytest.approx(0.6)
    low, high = proportion_confint(3, 5, method="wilson")
    assert (figures.csat_low, figures.csat_high) == (pytest.approx(low), pytest.approx(high))


def test_a_customer_without_answers_shows_no_data_not_zero(
    small_portfolio: SmallPortfolio,
) -> None:
    analyze(now=NOW)

    figures = march(small_portfolio.silent.pk)
    assert figures.csat_responses == 0
    assert figures.csat_share is None
    assert figures.csat_low is None
    assert figures.sla_resolution_share is None
    assert figures.goodwill_share is None
    assert figures.revenue == Decimal("400.00")


def test_sla_compliance_per_month_comes_from_the_clock(small_portfolio: SmallPortfolio) -> None:
    analyze(now=NOW)

    figures = march(small_portfolio.busy.pk)
    assert (figures.sla_response_met, figures.sla_response_total) == (2, 3)
    assert (figures.sla_resolution_met, figures.sla_resolution_total) == (1, 3)
    low, high = proportion_confint(1, 3, method="wilson")
    assert figures.sla_resolution_low == pytest.approx(low)
    assert figures.sla_resolution_high == pytest.approx(high)
    states = sorted(TicketSla.objects.values_list("resolution_state", flat=True))
    # The April ticket is still open on 15 April and long past its 1620-minute target.
    assert states == ["breached", "breached", "met", "running_breached"]


def test_months_are_cut_in_the_providers_time_zone(small_portfolio: SmallPortfolio) -> None:
    analyze(now=NOW)

    april = CustomerPeriod.objects.get(
        customer=small_portfolio.busy, period_kind="month", period_start=dt.date(2026, 4, 1)
    )
    assert april.tickets == 1
    quarter = CustomerPeriod.objects.get(
        customer=small_portfolio.busy, period_kind="quarter", period_start=dt.date(2026, 1, 1)
    )
    assert quarter.tickets == 3
    assert quarter.revenue == Decimal("1690.00")


def test_reanalysing_one_customer_keeps_the_others(small_portfolio: SmallPortfolio) -> None:
    analyze(now=NOW)
    before = CustomerPeriod.objects.count()

    run = analyze(customer_ids=[small_portfolio.silent.pk], now=NOW)

    assert run.customers == 1
    assert CustomerPeriod.objects.count() == before
    assert march(small_portfolio.busy.pk).tickets == 3


def test_a_second_analysis_replaces_results_instead_of_adding(
    small_portfolio: SmallPortfolio,
) -> None:
    analyze(now=NOW)
    counts = (CustomerPeriod.objects.count(), TicketSla.objects.count())

    analyze(now=NOW)

    assert (CustomerPeriod.objects.count(), TicketSla.objects.count()) == counts
