"""A logged-in service manager sees the portfolio; nobody else does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from solidground.insights.actions import analyze
from solidground.insights.messages import SEGMENT_NAMES
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def manager_client(client: Client) -> Client:
    User.objects.create_superuser("manager", password="a-long-test-password")
    client.force_login(User.objects.get(username="manager"))
    return client


def test_anonymous_visitors_are_sent_to_the_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_renders_and_logs_in(client: Client) -> None:
    User.objects.create_superuser("manager", password="a-long-test-password")
    assert client.get("/login/").status_code == 200

    response = client.post(
        "/login/", {"username": "manager", "password": "a-long-test-password"}, follow=True
    )

    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated


def test_portfolio_lists_customers_with_figures_and_no_data(
    manager_client: Client, small_portfolio: SmallPortfolio
) -> None:
    analyze(now=NOW)

    page = manager_client.get("/?months=3", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Müller Metallbau GmbH" in page
    assert "Praxis Dr. Schneider" in page
    assert "no data" in page  # the silent customer has no CSAT answers
    assert "17%" in page  # goodwill share 1/6 of customer-facing hours (English: no space)
    assert "n=5" in page  # small samples say so


def test_portfolio_speaks_german_with_german_number_formats(
    manager_client: Client, small_portfolio: SmallPortfolio
) -> None:
    analyze(now=NOW)

    page = manager_client.get("/?months=3", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Kulanzanteil" in page
    assert "keine Daten" in page
    assert "1.690 EUR" in page  # thousands separator is a dot in German


def test_portfolio_before_any_analysis_says_what_to_do(manager_client: Client) -> None:
    page = manager_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "solidground analyze" in page


def test_admin_lists_every_domain_model(manager_client: Client) -> None:
    User.objects.filter(username="manager").update(is_staff=True, is_superuser=True)
    page = manager_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in (
        "Customers",
        "Contracts",
        "Tickets",
        "Time entries",
        "Survey answers",
        "SLA policies",
        "Business calendars",
        "Revenue lines",
        "Highlights",
    ):
        assert name in page, name


def test_a_german_visit_does_not_leave_german_labels_for_the_next_english_one(
    manager_client: Client, small_portfolio: SmallPortfolio
) -> None:
    # given an analysed portfolio that a German-speaking colleague has just looked at
    analyze(now=NOW)
    german_page = manager_client.get("/?months=3", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    with translation.override("de"):
        german = {str(name) for name in SEGMENT_NAMES.values()}
    with translation.override("en"):
        english = {str(name) for name in SEGMENT_NAMES.values()}
    shown_in_german = {name for name in german - english if name in german_page}
    assert shown_in_german  # the German page does show German segment names
    # when an English-speaking colleague opens it next
    page = manager_client.get("/?months=3", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # then none of those German names is on the English page (the cache is per language)
    assert not {name for name in shown_in_german if name in page}
