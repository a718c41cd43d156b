"""What happens to an answer: the worker's follow-up analyses the customer again (an unhappy
answer becomes a finding) and mails the account manager; relationship campaigns with their
one reminder; the hook after an import; the surveys page and the survey settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.importers.actions import after_import
from solidground.insights.messages import render
from solidground.insights.models import Finding
from solidground.surveys import actions, links
from solidground.surveys.models import Invitation, SurveyAnswer
from solidground.surveys.tasks import after_answer
from tests.factories import ContactFactory, TimeEntryFactory
from tests.surveys.conftest import Inbox, World

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _answer_path(invitation: Invitation, answer: str) -> str:
    return reverse("surveys:answer", args=[links.make_token(invitation, "answer", answer)])


def _sent_invitation() -> Invitation:
    actions.do_queue_ticket_invitations()
    actions.do_send_due()
    return Invitation.objects.get()


def test_an_unhappy_answer_raises_a_finding_and_mails_the_account_manager(
    smtp: Inbox, world: World
) -> None:
    manager = do_create_user(
        username="anna", password=PASSWORD, role=Role.ACCOUNT_MANAGER, email="anna@provider.test"
    )
    world.customer.account_manager = manager
    world.customer.save()
    invitation = _sent_invitation()
    Client().post(
        _answer_path(invitation, "negative"),
        {"answer": "negative", "comment": "Drucker geht wieder nicht"},
    )
    answer = SurveyAnswer.objects.get()

    status = after_answer.call(
        answer_id=answer.pk,
        customer_id=world.customer.pk,
        answered_at=answer.answered_at.isoformat(),
        unhappy=True,
    )

    assert status == "account manager told, analysed"
    alert = smtp.messages[-1]
    assert alert["To"] == "anna@provider.test"
    assert world.customer.name in alert["Subject"]
    text = alert.get_body(preferencelist=("plain",)).get_content()
    assert "Drucker geht wieder nicht" in text
    assert "T-1001" in text
    finding = Finding.objects.get(customer=world.customer, kind="unhappy_answer")
    assert finding.params["answers"] == 1
    with translation.override("en"):
        text = render(finding.kind, finding.params, finding.period_start)
    assert text.startswith("unhappy survey answers in the last 30 days: 1, the latest on ")
    # A second follow-up for the same answer finds the analysis done and does nothing.
    assert (
        after_answer.call(
            answer_id=answer.pk,
            customer_id=world.customer.pk,
            answered_at=answer.answered_at.isoformat(),
            unhappy=False,
        )
        == "nothing to do"
    )


def test_a_happy_answer_raises_no_finding(smtp: Inbox, world: World) -> None:
    invitation = _sent_invitation()
    Client().post(_answer_path(invitation, "positive"), {"answer": "positive"})
    answer = SurveyAnswer.objects.get()

    after_answer.call(
        answer_id=answer.pk,
        customer_id=world.customer.pk,
        answered_at=answer.answered_at.isoformat(),
        unhappy=False,
    )

    assert not Finding.objects.filter(kind="unhappy_answer").exists()
    assert len(smtp.messages) == 1  # only the invitation


def test_after_an_import_resolved_tickets_get_invitations_only_when_surveys_are_on(
    world: World,
) -> None:
    config = actions.survey_settings()
    config.ticket_surveys_enabled = False
    config.save()
    after_import([world.customer.pk])
    assert not Invitation.objects.exists()

    config.ticket_surveys_enabled = True
    config.save()
    after_import([world.customer.pk])
    assert Invitation.objects.get().ticket == world.ticket


def test_a_relationship_campaign_asks_decision_makers_once_and_reminds_once(
    smtp: Inbox, world: World
) -> None:
    boss = ContactFactory(
        customer=world.customer,
        name="Klaus Sonne",
        email="klaus@example.test",
        is_decision_maker=True,
        language="en",
    )
    _campaign, report = actions.do_start_campaign(
        name="Herbst 2026",
        customer_ids=[world.customer.pk],
        customer_id=world.customer.pk,
        ask_nps=True,
    )
    assert report.queued == 1
    actions.do_send_due()
    mail = smtp.messages[-1]
    assert mail["To"] == "klaus@example.test"
    assert "How satisfied are you with Nordlicht IT?" in mail["Subject"]
    survey_url = next(u for u in smtp.links() if "/s/r/" in u)
    path = survey_url.split("testserver", 1)[1]
    client = Client(HTTP_ACCEPT_LANGUAGE="de")

    page = client.get(path)
    assert b"How likely is it that you would recommend us" in page.content  # the contact's language
    refused = client.post(path, {"keep": "Die schnelle Hilfe"})
    assert refused.status_code == 400
    assert not SurveyAnswer.objects.exists()
    saved = client.post(
        path, {"score": "2", "nps": "6", "keep": "Die schnelle Hilfe", "change": "Rückrufe"}
    )
    assert saved.status_code == 303
    assert b"Your answers are saved" in client.get(saved["Location"]).content
    client.post(
        path, {"score": "2", "nps": "7", "keep": "Die schnelle Hilfe", "change": "Rückrufe"}
    )

    overall = SurveyAnswer.objects.get(kind="relationship")
    nps = SurveyAnswer.objects.get(kind="nps")
    assert (overall.score, overall.scale_min, overall.scale_max) == (2, 1, 5)
    assert (nps.score, nps.scale_min, nps.scale_max) == (7, 0, 10)
    assert "Die schnelle Hilfe" in overall.comment
    assert "Rückrufe" in overall.comment
    assert overall.contact == boss

    # The reminder goes to those who have not answered, once.
    other = ContactFactory(
        customer=world.customer, email="eva@example.test", is_decision_maker=True
    )
    actions.do_start_campaign(
        name="Nachzügler", customer_ids=[world.customer.pk], customer_id=world.customer.pk
    )
    actions.do_send_due()
    sent_before = len(smtp.messages)
    later = timezone.now() + dt.timedelta(days=8)
    with time_machine.travel(later):
        first = actions.do_send_due()
        second = actions.do_send_due()
    assert (first.reminded, second.reminded) == (2, 0)  # Klaus's first campaign is answered
    reminders = smtp.messages[sent_before:]
    assert sorted(m["To"] for m in reminders) == ["eva@example.test", "klaus@example.test"]
    assert all("Erinnerung" in m["Subject"] or "Reminder" in m["Subject"] for m in reminders)
    assert other.pk


def _owner_client() -> Client:
    owner = do_create_user(username="olga", password=PASSWORD, role=Role.OWNER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    return client


def test_the_surveys_page_shows_rates_answers_by_customer_and_technician(
    smtp: Inbox, world: World
) -> None:
    TimeEntryFactory(customer=world.customer, ticket=world.ticket, technician="Jonas", minutes=50)
    TimeEntryFactory(customer=world.customer, ticket=world.ticket, technician="Mia", minutes=10)
    invitation = _sent_invitation()
    Client().post(
        _answer_path(invitation, "negative"), {"answer": "negative", "comment": "<b>Zu spät</b>"}
    )

    page = _owner_client().get(reverse("web:surveys"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Response rate" in body
    assert "100%" in body  # one sent, one answered
    assert world.customer.name in body
    assert "Jonas" in body
    assert "Mia" not in body  # the technician with the most time on the ticket
    assert "&lt;b&gt;Zu spät&lt;/b&gt;" in body


def test_an_account_manager_sees_only_their_customers_answers(smtp: Inbox, world: World) -> None:
    invitation = _sent_invitation()
    Client().post(
        _answer_path(invitation, "negative"), {"answer": "negative", "comment": "Zu spät"}
    )
    stranger = do_create_user(username="bert", password=PASSWORD, role=Role.ACCOUNT_MANAGER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(stranger)

    body = client.get(reverse("web:surveys")).content.decode()

    assert world.customer.name not in body
    assert "Zu spät" not in body


def test_the_owner_changes_the_survey_settings_and_bad_colours_are_refused(world: World) -> None:
    client = _owner_client()
    form = client.get(reverse("web:survey_settings"))
    assert form.status_code == 200
    data = {
        "provider_name": "Nordlicht IT",
        "brand_colour": "#123456",
        "accent_colour": "#abcdef",
        "sender": "umfrage@nordlicht.test",
        "reply_to": "",
        "ticket_surveys_enabled": "on",
        "period_days": "14",
        "window_hours": "48",
        "reminder_days": "5",
        "excluded_words": "spam",
        "subject_de": "Wie war es? {subject}",
        "intro_de": "Hallo {contact}",
        "subject_en": "How was it? {subject}",
        "intro_en": "Hello {contact}",
    }

    bad = client.post(reverse("web:survey_settings"), {**data, "brand_colour": "red;}"})
    assert bad.status_code == 400
    saved = client.post(reverse("web:survey_settings"), data)
    assert saved.status_code == 302

    config = actions.survey_settings()
    assert (config.period_days, config.brand_colour) == (14, "#123456")
    css = Client().get(reverse("surveys:brand_css")).content.decode()
    assert "--brand:#123456" in css
