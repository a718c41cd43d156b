"""The service review's download button on the customer page, in a real browser (issue 11).

An owner opens a customer's page and clicks **Download the service review (PDF)**: the browser
receives a download that is a PDF naming the customer. Chromium from Debian through Playwright
(the fixture is in conftest.py); the screenshot of the page with the button goes to
``$SOLIDGROUND_TEST_ARTIFACTS`` (default ``test-artifacts/browser/``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.insights.actions import analyze

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

    from tests.portfolio_fixtures import SmallPortfolio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The small portfolio's figures are in March 2026: the last complete quarter is Q1 2026.
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"
ARTIFACTS = Path(
    os.environ.get(
        "SOLIDGROUND_TEST_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "test-artifacts" / "browser",
    )
)
# A cold test process imports WeasyPrint and starts vl-convert in the first download.
DOWNLOAD_TIMEOUT_MS = 180_000


def _words(text: str) -> str:
    # pypdf breaks lines where the PDF does: compare without whitespace.
    return "".join(text.split())


def test_the_owner_downloads_the_customer_review_as_a_pdf_naming_the_customer(
    live_server: LiveServer, browser_page: Page, small_portfolio: SmallPortfolio
) -> None:
    analyze(now=NOW)
    do_create_user(username="owner", password=PASSWORD, role=Role.OWNER)
    customer = small_portfolio.busy
    page, base = browser_page, str(live_server.url)
    page.goto(base + "/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(f"{base}/customers/{customer.pk}/")
    button = page.locator(".review-download a[download]")
    assert button.inner_text() == "Service-Review herunterladen (PDF)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "11-customer-review-download.png"), full_page=True)

    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as arrived:
        button.click()
    download = arrived.value
    assert download.failure() is None
    assert download.suggested_filename.endswith("-review.pdf")
    assert download.suggested_filename.startswith("2026Q1-")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert _words(customer.name) in _words(text)
    assert "Service-Review" in text
