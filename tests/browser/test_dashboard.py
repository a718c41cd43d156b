"""A service manager in a real browser: log in, read the portfolio, switch the language.

Chromium comes from Debian (`apt-get install chromium`); .ci/run installs it. Outside CI the
test is skipped with a sentence saying how to get it; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User

from solidground.insights.actions import analyze
from tests.portfolio_fixtures import SmallPortfolio

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


def test_manager_logs_in_reads_the_portfolio_and_switches_to_english(
    live_server: LiveServer, browser_page: Page, small_portfolio: SmallPortfolio
) -> None:
    analyze(now=NOW)
    User.objects.create_superuser("manager", password="a-long-test-password")
    page = browser_page
    base = str(live_server.url)

    page.goto(base + "/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "a-long-test-password")
    page.click(".login button[type=submit]")
    page.wait_for_url(base + "/")

    table = page.inner_text("table.portfolio")
    assert "Müller Metallbau GmbH" in table
    assert "Kulanzanteil" in table
    assert "keine Daten" in table

    page.click("button[name=language][value=en]")
    page.wait_for_selector("text=Goodwill share")
    assert "no data" in page.inner_text("table.portfolio")
