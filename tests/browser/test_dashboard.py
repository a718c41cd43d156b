"""A service manager in a real browser: log in, read the portfolio, switch the language.

Chromium comes from Debian (`apt-get install chromium`); .ci/run installs it. Outside CI the
test is skipped with a sentence saying how to get it; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User

from solidground.insights.actions import analyze
from tests.portfolio_fixtures import SmallPortfolio

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def browser_page() -> Iterator[Page]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: .ci/run must `apt-get install chromium`.")
        pytest.skip("Chromium is not installed: `apt-get install chromium` to run browser tests.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
    # a thread with a running loop unless told that this test is synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
        yield page
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


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
