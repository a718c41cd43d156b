"""The dashboard in a real browser, as each role uses it (issue 9).

Chromium from Debian through Playwright (see test_dashboard.py for the fixture). Screenshots
of every step are kept as test artifacts in ``$SOLIDGROUND_TEST_ARTIFACTS`` (default
``test-artifacts/browser/`` in the checkout, ignored by git), so that a reviewer can look at
the pages as a service manager sees them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.customers.models import Customer
from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze
from solidground.insights.models import CustomerSegment, Finding

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.slow]

END = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"
ARTIFACTS = Path(
    os.environ.get(
        "SOLIDGROUND_TEST_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "test-artifacts" / "browser",
    )
)
TICKETS_CSV = (
    "Ticket-Nr.;Betreff;Kunde;Erstellt am;Status;Priorität\n"
    "T-1;Drucker druckt nicht;K-1001;03.03.2026 09:15;gelöst;mittel\n"
    "T-2;Neuer Arbeitsplatz;K-1002;31.02.2026 08:02;offen;hoch\n"
    "T-3;VPN bricht ab;K-1001;05.03.2026 11:40;offen;niedrig\n"
)


@pytest.fixture
def demo() -> None:
    build_demo(customers=20, months=18, seed=3, end=END, fresh=True)
    analyze(now=NOW)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, username: str) -> list[str]:
    """Log in and collect console errors (a CSP violation is one) for the caller to check."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")
    return errors


def test_owner_reads_the_portfolio_opens_customers_and_switches_language(
    live_server: LiveServer, browser_page: Page, demo: None
) -> None:
    do_create_user(username="owner", password=PASSWORD, role=Role.OWNER)
    page, base = browser_page, str(live_server.url)
    errors = _log_in(page, base, "owner")

    page.wait_for_selector("#chart-satisfaction-block .chart svg")
    page.wait_for_selector("#chart-whale-block .chart svg")
    _shot(page, "01-portfolio-owner-de")
    assert "Servicefalle" in page.inner_text(".tiles")

    # A point of the scatter chart opens that customer's page.
    page.locator("#chart-satisfaction-block .mark-symbol path").first.click()
    page.wait_for_url(f"{base}/customers/*/")
    name = page.inner_text("h1")
    assert Customer.objects.filter(name=name).exists()
    _shot(page, "02-customer-from-chart")

    # A service-trap customer from the table: its page says why and what to do.
    page.goto(base + "/?segment=service_trap")
    trap = page.locator("table.portfolio tbody th a").first
    trap_name = trap.inner_text()
    trap.click()
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == trap_name
    assert "Servicefalle" in page.inner_text("main")
    page.wait_for_selector("#reliability .chart svg")
    _shot(page, "03-customer-service-trap-de")

    page.click("button[name=language][value=en]")
    page.wait_for_selector("text=Findings and what to do")
    assert "service trap" in page.inner_text("main").lower()  # the badge reads "Service trap"
    _shot(page, "04-customer-service-trap-en")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_manager_filters_sla_exports_csv_dismisses_a_finding_and_imports_a_file(
    live_server: LiveServer, browser_page: Page, demo: None, tmp_path: Path
) -> None:
    do_create_user(username="manager", password=PASSWORD, role=Role.MANAGER)
    page, base = browser_page, str(live_server.url)
    errors = _log_in(page, base, "manager")
    page.click("button[name=language][value=en]")  # this manager reads English
    page.wait_for_selector("text=Needs attention first")

    # SLA: filter by priority (HTMX swaps the results), then export what is shown.
    page.goto(base + "/sla/?period=")
    page.select_option("select[name=priority]", "3")
    page.wait_for_url("**priority=3**")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#sla-results tr.sla-row")
    assert rows.count() > 0
    assert all("P3" in text for text in rows.all_inner_texts())
    _shot(page, "05-sla-filtered")
    with page.expect_download() as download:
        page.click("text=Download as CSV")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.count("\n") >= rows.count()

    # Findings: dismiss the first open one with a note; it stays dismissed on reload.
    page.goto(base + "/findings/")
    first = page.locator("article.finding, .finding").first
    first.locator("input[name=note]").fill("Besprochen im Quartalsgespräch")
    first.locator("button[value=dismissed]").click()
    page.wait_for_selector("text=Besprochen im Quartalsgespräch")
    page.goto(base + "/findings/?status=dismissed")
    assert "Besprochen im Quartalsgespräch" in page.inner_text("main")
    _shot(page, "06-finding-dismissed")

    # Imports: upload, preview with a named error, run, and see it in the history.
    file = tmp_path / "Tickets.csv"
    file.write_text(TICKETS_CSV, encoding="utf-8")
    page.goto(base + "/imports/")
    page.set_input_files("#import-file", str(file))
    page.select_option("#import-mapping", "preset:generic-tickets")
    page.click("text=Upload and preview")
    page.wait_for_selector("button:has-text('Run the import')")
    preview = page.inner_text("main")
    assert "31.02.2026" in preview  # the bad date is named with its row
    _shot(page, "07-import-preview")
    with page.expect_navigation():
        page.click("button:has-text('Run the import')")
    page.wait_for_load_state("networkidle")
    _shot(page, "08-import-finished")
    page.goto(base + "/imports/")
    assert "Tickets.csv" in page.inner_text("#history")
    _shot(page, "09-import-history")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_account_manager_sees_only_their_customers(
    live_server: LiveServer, browser_page: Page, demo: None
) -> None:
    mine = CustomerSegment.objects.order_by("customer_id").values_list("customer_id", flat=True)
    own, other = mine[0], mine[1]
    do_create_user(username="am", password=PASSWORD, role=Role.ACCOUNT_MANAGER, customer_ids=[own])
    page, base = browser_page, str(live_server.url)
    _log_in(page, base, "am")

    table = page.inner_text("table.portfolio")
    assert Customer.objects.get(pk=own).name in table
    assert Customer.objects.get(pk=other).name not in page.content()
    assert "Imports" not in page.inner_text("header nav")
    _shot(page, "10-portfolio-account-manager")

    response = page.goto(f"{base}/customers/{other}/")
    assert response is not None
    assert response.status == 404
    assert Customer.objects.get(pk=other).name not in page.content()
    _shot(page, "11-other-customer-404")
    assert Finding.objects.exists()
