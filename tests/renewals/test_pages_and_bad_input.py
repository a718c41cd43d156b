"""Too little history gives "not enough history" with the counts, never a crash or a made-up
number; the pages, the command line and the owner's report section read the stored results
through the viewer."""

from __future__ import annotations

import datetime as dt
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.accounts.selectors import Viewer
from solidground.contracts.models import Contract, ContractEvent
from solidground.customers.models import Customer
from solidground.insights.actions import analyze
from solidground.renewals.models import RenewalFit, RenewalRisk
from solidground.renewals.selectors import owner_report_section, renewal_calendar
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def renewing(small_portfolio: SmallPortfolio) -> SmallPortfolio:
    """Both contracts renew on 1 June 2026; the busy customer has had a cancellation-free
    renewal, the silent one nothing at all."""
    Contract.objects.update(renewal_date=date(2026, 6, 1))
    contract = Contract.objects.get(customer=small_portfolio.busy)
    ContractEvent.objects.create(
        source="test",
        external_id="e1",
        contract=contract,
        kind="renewed",
        occurred_on=date(2025, 6, 1),
    )
    analyze(now=NOW)
    return small_portfolio


def test_too_little_history_falls_back_to_rules_and_says_why(renewing: SmallPortfolio) -> None:
    fit = RenewalFit.objects.get()

    assert fit.method == RenewalFit.Method.RULES
    assert set(fit.shortfall) == {"contracts", "cancellations", "quarters"}
    assert fit.history["contracts"] == 2
    assert fit.history["cancellations"] == 0
    assert fit.model == {}
    # The rules give a level and reasons, never a percentage.
    assert RenewalRisk.objects.count() == 2
    assert not RenewalRisk.objects.filter(risk__isnull=False).exists()
    assert {a.verdict for a in fit.answers.all()} == {"cannot_tell"}


def test_one_customer_without_events_gives_not_enough_history(
    small_portfolio: SmallPortfolio,
) -> None:
    Customer.objects.exclude(pk=small_portfolio.busy.pk).delete()
    analyze(now=NOW)
    fit = RenewalFit.objects.get()
    assert fit.method == RenewalFit.Method.RULES
    assert fit.history["contracts"] == 1
    assert fit.history["cancellations"] == 0

    out = StringIO()
    call_command("renewals", "--language", "en", "--days", "180", stdout=out)
    assert (
        "Not enough history for a survival model: 1 contract (a model needs 20)" in out.getvalue()
    )


def test_a_second_analysis_replaces_the_results(renewing: SmallPortfolio) -> None:
    analyze(now=NOW)
    assert RenewalFit.objects.count() == 1
    assert RenewalRisk.objects.count() == 2


def _client(role: Role, customers: list[int] | None = None) -> Client:
    user = do_create_user(
        username=f"u-{role}", password=PASSWORD, role=role, customer_ids=customers or []
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_renewals_page_lists_the_contracts_due_by_revenue(renewing: SmallPortfolio) -> None:
    response = _client(Role.OWNER).get(reverse("web:renewals"), {"days": "90"})
    page = response.content.decode()

    assert response.status_code == 200
    assert "Müller Metallbau GmbH" in page
    assert "Praxis Dr. Schneider" in page
    # The busy customer (more revenue) comes first.
    assert page.index("Müller Metallbau GmbH") < page.index("Praxis Dr. Schneider")
    assert "Not enough history for a survival model" in page
    assert "silent: no survey answer in the last four quarters" in page


def test_renewals_page_shows_an_account_manager_only_their_customers(
    renewing: SmallPortfolio,
) -> None:
    client = _client(Role.ACCOUNT_MANAGER, [renewing.busy.pk])
    page = client.get(reverse("web:renewals"), {"days": "180"}).content.decode()

    assert "Müller Metallbau GmbH" in page
    assert "Praxis Dr. Schneider" not in page
    # The portfolio-wide model and the thesis are for owners and managers.
    assert "How the risk is estimated" not in page
    assert client.get(reverse("web:thesis")).status_code == 403


def test_a_window_outside_the_choices_falls_back_with_a_notice(renewing: SmallPortfolio) -> None:
    page = _client(Role.MANAGER).get(reverse("web:renewals"), {"days": "7"}).content.decode()
    assert "Choose 30, 90 or 180 days; showing the next 90 days." in page


def test_thesis_page_in_german_and_english(renewing: SmallPortfolio) -> None:
    client = _client(Role.MANAGER)
    english = client.get(reverse("web:thesis")).content.decode()
    assert "Do fan-like customers renew or expand more than satisfied ones?" in english
    assert "the data cannot tell yet (n = " in english

    german = client.get(reverse("web:thesis"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Verlängern oder erweitern begeisterte Kunden häufiger als zufriedene?" in german
    assert "die Daten können es noch nicht sagen (n = " in german


def test_the_thesis_command_prints_the_three_questions(renewing: SmallPortfolio) -> None:
    out = StringIO()
    call_command("thesis", "--language", "en", stdout=out)
    text = out.getvalue()
    assert "1. Do fan-like customers renew or expand more than satisfied ones?" in text
    assert "3. Does reliability predict cancellation more than enthusiasm does?" in text


def test_owner_report_section_respects_the_viewer(renewing: SmallPortfolio) -> None:
    everyone = owner_report_section(viewer=Viewer.everyone())
    assert everyone.statistics is not None
    assert {row.customer_name for row in everyone.calendar.rows} <= {
        "Müller Metallbau GmbH",
        "Praxis Dr. Schneider",
    }
    user = do_create_user(
        username="anna",
        password=PASSWORD,
        role=Role.ACCOUNT_MANAGER,
        customer_ids=[renewing.busy.pk],
    )
    anna = Viewer(user_id=user.pk, role=Role.ACCOUNT_MANAGER)
    section = owner_report_section(viewer=anna)
    assert section.statistics is None
    calendar = renewal_calendar(viewer=anna, days=180)
    assert [row.customer_name for row in calendar.rows] == ["Müller Metallbau GmbH"]


def test_the_owners_report_has_the_renewals_section(renewing: SmallPortfolio) -> None:
    from solidground.reports.portfolio import portfolio_review
    from solidground.reports.render import portfolio_html

    review = portfolio_review(viewer=Viewer.everyone(), language="en")
    html = portfolio_html(review, language="en")

    assert [s.key for s in review.sections][-1] == "renewals"
    assert "Renewals at risk and the thesis test" in html
    assert "Do fan-like customers renew or expand more than satisfied ones?" in html
    assert "Not enough history for a survival model" in html


@pytest.mark.parametrize("command", ["renewals", "thesis"])
def test_the_commands_before_any_analysis_say_to_analyse(command: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="run `solidground analyze` first"):
        call_command(command, "--language", "en")
