"""What a careful user notices, in a real browser (issue 16): the 404 page in the product's
layout and the reader's language with a way back, and the portfolio sorted as a German reader
expects ("Böhm" before "Busch") without rewarding a customer for one lucky answer.

Chromium from Debian through Playwright (the fixture is in conftest.py); screenshots go to
``$SOLIDGROUND_TEST_ARTIFACTS`` (default ``test-artifacts/browser/``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.insights.actions import analyze
from tests.factories import ContractFactory, CustomerFactory, SurveyAnswerFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.slow]

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"
ARTIFACTS = Path(
    os.environ.get(
        "SOLIDGROUND_TEST_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "test-artifacts" / "browser",
    )
)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str) -> None:
    do_create_user(username="owner", password=PASSWORD, role=Role.OWNER)
    page.goto(base + "/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")


def test_the_404_page_in_german_and_english_has_the_layout_and_a_way_back(
    live_server: LiveServer, browser_page: Page
) -> None:
    page, base = browser_page, str(live_server.url)
    _log_in(page, base)

    response = page.goto(base + "/customers/999999/")

    assert response is not None
    assert response.status == 404
    assert page.get_attribute("html", "lang") == "de"
    assert page.inner_text("h1") == "Seite nicht gefunden"
    assert page.locator("button", has_text="Abmelden").count() == 1  # the layout's menu
    _shot(page, "16-404-de")

    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.inner_text("h1") == "Page not found"
    assert page.locator("button", has_text="Log out").count() == 1
    _shot(page, "16-404-en")

    page.click("text=Back to the portfolio")
    page.wait_for_url(base + "/")
    assert page.get_attribute("html", "lang") == "en"  # the choice holds on the way back


def _answers(name: str, positive: int, negative: int) -> None:
    customer = CustomerFactory(name=name)
    ContractFactory(customer=customer)
    for score in [5] * positive + [1] * negative:
        SurveyAnswerFactory(customer=customer, score=score)


def _names(page: Page) -> list[str]:
    return page.locator("table.portfolio tbody th a").all_inner_texts()


def test_the_portfolio_sorts_names_the_german_way_and_csat_by_its_lower_bound(
    live_server: LiveServer, browser_page: Page
) -> None:
    # Adler: 1 of 1 answer positive (100%, but the interval is 21-100%).
    # Böhm: 19 of 20 positive (95%, 76-99%). Busch: 2 of 10 positive (20%, 6-51%).
    _answers("Adler Logistik", positive=1, negative=0)
    _answers("Busch Elektro", positive=2, negative=8)
    _answers("Böhm Bau", positive=19, negative=1)
    analyze(now=NOW)
    page, base = browser_page, str(live_server.url)
    _log_in(page, base)

    page.click("table.portfolio thead a:text-is('Kunde')")
    page.wait_for_selector("table.portfolio th[aria-sort=ascending] >> text=Kunde")
    assert _names(page) == ["Adler Logistik", "Böhm Bau", "Busch Elektro"]  # not code points
    _shot(page, "16-portfolio-by-name-de")

    page.click("table.portfolio thead a:text-is('CSAT')")
    page.wait_for_selector("table.portfolio th[aria-sort] >> text=CSAT")
    ranked = _names(page)
    _shot(page, "16-portfolio-by-csat-de")

    # Worst first by the interval's lower end: the clearly unhappy customer leads, and one
    # lucky answer does not put Adler at either extreme above Böhm's twenty.
    assert ranked == ["Busch Elektro", "Adler Logistik", "Böhm Bau"]
    assert "95" in page.inner_text(".table-count")  # the page says how it sorts
