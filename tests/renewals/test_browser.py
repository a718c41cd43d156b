"""The renewals and thesis pages in a real browser, on the demo provider: the calendar with
its reasons, the survival curves drawn from the stored spec, the three verdicts in German.
Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User

from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 4, 2, 6, 0, tzinfo=dt.UTC)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def test_owner_reads_renewals_at_risk_and_the_thesis(
    live_server: LiveServer, browser_page: Page
) -> None:
    build_demo(customers=100, months=24, seed=7, end=dt.date(2026, 3, 1), fresh=False)
    analyze(now=NOW)
    User.objects.create_superuser("owner", password="a-long-test-password")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    base = str(live_server.url)
    page.goto(base + "/renewals/?days=180")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "a-long-test-password")
    page.click(".login button[type=submit]")
    page.wait_for_url(base + "/renewals/?days=180")

    table = page.inner_text("table.renewals")
    assert "Kündigung bis" in table
    assert "negativ aufgefallen" in table or "Kulanz" in table or "still" in table
    # The survival chart is drawn from the stored spec (vega-embed puts an svg or canvas).
    page.wait_for_selector(
        "#chart-renewal-survival-block .chart svg, #chart-renewal-survival-block .chart canvas"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "renewals.png"), full_page=True)

    page.click("nav a[href='/thesis/']")
    page.wait_for_url(base + "/thesis/")
    text = page.inner_text("main")
    assert text.count("Urteil:") == 3
    assert "Verlängern oder erweitern begeisterte Kunden häufiger als zufriedene?" in text
    page.screenshot(path=str(ARTIFACTS / "thesis.png"), full_page=True)
