"""The customer's side in Chromium: the links in the received mail lead to the answer page,
the answer is confirmed, changed and commented, and the address unsubscribed. Screenshots of
each step go to ``$SOLIDGROUND_TEST_ARTIFACTS`` (default ``test-artifacts/browser/``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from solidground.surveys import actions
from solidground.surveys.models import SurveyAnswer, Unsubscribe
from tests.browser.conftest import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.surveys.conftest import Inbox, World

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(
    os.environ.get(
        "SOLIDGROUND_TEST_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "test-artifacts" / "browser",
    )
)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"surveys-{name}.png"), full_page=True)


def test_a_customer_answers_changes_comments_and_unsubscribes_from_the_mail(
    live_server: LiveServer,
    browser_page: Page,  # noqa: F811 - the imported fixture
    smtp: Inbox,
    world: World,
    settings: Any,
) -> None:
    settings.PUBLIC_URL = str(live_server.url)
    world.contact.language = "de"  # the pages speak the contact's language
    world.contact.save()
    actions.do_queue_ticket_invitations()
    actions.do_send_due()
    mailed = smtp.links()
    negative = next(u for u in mailed if "/s/a/" in u and mailed.index(u) == 2)
    unsubscribe = next(u for u in mailed if "/s/u/" in u)
    page = browser_page

    # The "Not good" link of the mail: the page has the answer chosen, nothing stored yet.
    page.goto(negative)
    _shot(page, "1-confirm")
    assert page.locator("input[value=negative]").is_checked()
    assert page.get_by_text("Drucker im Büro druckt nicht").is_visible()
    assert not SurveyAnswer.objects.exists()

    page.fill("textarea[name=comment]", "Der Drucker <b>ging</b> erst nach drei Tagen")
    page.get_by_role("button", name="Antwort senden").click()
    page.wait_for_selector(".saved")
    _shot(page, "2-saved")
    answer = SurveyAnswer.objects.get()
    assert answer.score == 1
    assert "<b>ging</b>" in answer.comment
    assert page.locator("textarea[name=comment]").input_value() == answer.comment

    # Changed the mind: "Good" and saved again; still one answer.
    page.locator("label.choice-positive").click()
    page.get_by_role("button", name="Änderungen speichern").click()
    page.wait_for_selector(".saved")
    assert SurveyAnswer.objects.get().score == 3

    page.goto(unsubscribe)
    page.get_by_role("button", name="Ja, keine Umfragen mehr").click()
    page.wait_for_selector(".saved")
    _shot(page, "3-unsubscribed")
    assert Unsubscribe.objects.get().email == "petra@example.test"


def test_the_service_manager_reads_the_surveys_page_and_the_mail_looks_right(
    live_server: LiveServer,
    browser_page: Page,  # noqa: F811 - the imported fixture
    smtp: Inbox,
    world: World,
    settings: Any,
) -> None:
    from solidground.accounts.actions import do_create_user
    from solidground.accounts.models import Role
    from tests.factories import TimeEntryFactory

    settings.PUBLIC_URL = str(live_server.url)
    TimeEntryFactory(customer=world.customer, ticket=world.ticket, technician="Jonas", minutes=50)
    actions.do_queue_ticket_invitations()
    actions.do_send_due()
    page = browser_page
    html = smtp.messages[0].get_body(preferencelist=("html",))
    assert html is not None
    page.set_content(html.get_content())
    _shot(page, "4-mail")
    assert page.get_by_role("link", name="Not good").is_visible()

    answer = [u for u in smtp.links() if "/s/a/" in u][2]  # "Not good"
    page.goto(answer)
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_selector(".saved")

    do_create_user(username="olga", password="a-long-test-password", role=Role.OWNER)
    base = str(live_server.url)
    page.goto(base + "/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "a-long-test-password")
    page.click(".login button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(base + "/surveys/")
    _shot(page, "5-dashboard")
    text = page.inner_text("main")
    assert "Antwortquote" in text
    assert world.customer.name in text
    assert "Jonas" in text
    page.goto(base + "/settings/surveys/")
    _shot(page, "6-settings")
    assert page.get_by_label("Name des Dienstleisters").input_value() == "Nordlicht IT"
