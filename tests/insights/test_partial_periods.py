"""Partial periods on a hand-made store (issue 14): an export that starts on 16 January and
ends on 13 March covers January and March only in part, and every figure says so."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from solidground.accounts.selectors import Viewer
from solidground.insights.actions import analyze
from solidground.insights.models import CustomerPeriod, CustomerTrend
from solidground.insights.selectors.portfolio import portfolio
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
JANUARY = [16, 19, 20, 21, 22, 23, 26, 27]  # from Friday 16 January: 16 of 31 days covered
FEBRUARY = [2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23]
MARCH = [2, 3, 4, 5, 6, 9, 12, 13]  # to Friday 13 March: 13 of 31 days covered


def _store() -> int:
    customer = CustomerFactory(seats=20)
    for month, days in ((1, JANUARY), (2, FEBRUARY), (3, MARCH)):
        for day in days:
            TicketFactory(
                customer=customer, created_at=dt.datetime(2026, month, day, 9, 0, tzinfo=dt.UTC)
            )
    return int(customer.pk)


def _period(customer: int, kind: str, start: dt.date) -> CustomerPeriod:
    return CustomerPeriod.objects.get(customer_id=customer, period_kind=kind, period_start=start)


def test_partly_covered_months_and_quarters_are_stored_with_their_days() -> None:
    customer = _store()

    analyze(now=NOW)

    january = _period(customer, "month", dt.date(2026, 1, 1))
    february = _period(customer, "month", dt.date(2026, 2, 1))
    march = _period(customer, "month", dt.date(2026, 3, 1))
    quarter = _period(customer, "quarter", dt.date(2026, 1, 1))
    assert (january.days_covered, january.days_in_period) == (16, 31)
    assert (february.days_covered, february.days_in_period) == (28, 28)
    assert (march.days_covered, march.days_in_period) == (13, 31)
    assert (quarter.days_covered, quarter.days_in_period) == (16 + 28 + 13, 90)


def test_rates_per_seat_and_month_divide_by_the_days_covered() -> None:
    customer = _store()

    analyze(now=NOW)

    # 8 tickets in 16 days of January for 20 seats: 0.775 per seat and month, not 0.4.
    january = _period(customer, "month", dt.date(2026, 1, 1))
    assert january.tickets_per_seat == pytest.approx(8 / 20 / (16 / 31))
    february = _period(customer, "month", dt.date(2026, 2, 1))
    assert february.tickets_per_seat == pytest.approx(16 / 20)
    quarter = _period(customer, "quarter", dt.date(2026, 1, 1))
    assert quarter.tickets_per_seat == pytest.approx(32 / 20 / (3 * 57 / 90))


def test_a_trend_from_a_partial_month_compares_per_covered_day_and_says_partial() -> None:
    customer = _store()

    analyze(now=NOW)

    # March (13 days so far) against February (28 days): 8 / 13 against 16 / 28 per day.
    trend = CustomerTrend.objects.get(
        customer_id=customer,
        period_kind="month",
        period_start=dt.date(2026, 3, 1),
        figure="tickets",
        baseline="previous",
    )
    assert trend.partial is True
    assert trend.change == pytest.approx((8 / 13) / (16 / 28))


def test_the_portfolio_never_claims_months_before_the_data_and_says_so_far() -> None:
    _store()
    analyze(now=NOW)

    result = portfolio(viewer=Viewer.everyone(), months=12)

    assert result.first_month == dt.date(2026, 1, 1)  # not April 2025
    assert result.covered_until == dt.date(2026, 3, 13)
    assert result.segment_window is not None


def test_the_customer_page_says_a_quarter_is_only_partly_covered(client: Client) -> None:
    # given a history that covers Q1 2026 only from 16 January to 13 March
    customer = _store()
    analyze(now=NOW)
    User.objects.create_superuser("manager", password="a-long-test-password")
    client.force_login(User.objects.get(username="manager"))
    # when the service manager opens the customer
    page = client.get(f"/customers/{customer}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # then the quarter's row says how many of its days the data cover
    assert "(data for 57 of 90 days)" in page


def test_the_segment_window_names_the_days_of_its_partial_quarter(client: Client) -> None:
    # given a history that covers Q1 2026 only from 16 January to 13 March
    customer = _store()
    analyze(now=NOW)

    # then the portfolio names the window with its days, in English and German
    result = portfolio(viewer=Viewer.everyone(), months=12)
    with translation.override("en"):
        assert result.segment_window_label == "Q1 2026 (16 Jan to 13 Mar)"
    with translation.override("de"):
        assert result.segment_window_label == "Q1 2026 (16. Jan. bis 13. März)"
    # and so does the customer page
    User.objects.create_superuser("manager", password="a-long-test-password")
    client.force_login(User.objects.get(username="manager"))
    page = client.get(f"/customers/{customer}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "judged on Q1 2026 (16 Jan to 13 Mar)" in page
    page = client.get(f"/customers/{customer}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Grundlage: Q1 2026 (16. Jan. bis 13. März)" in html.unescape(page)
