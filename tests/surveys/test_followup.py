"""What happens to an answer: the worker's follow-up analyses the customer again (an unhappy
answer becomes a finding) and mails the account manager; relationship campaigns with their
one reminder; the hook after an import; the surveys page and the survey settings."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.importers.actions import after_import
from solidground.insights.messages import render
from solidground.insights.models import AnalysisRun, Finding
from solidground.surveys import actions, links
from solidground.surveys.models import Invitation, SurveyAnswer
from solidground.surveys.tasks import after_answer, follow_up_answers
from tests.factories import ContactFactory, CustomerFactory, TicketFactory, TimeEntryFactory
from tests.surveys.conftest import Inbox, World, free_port, use_smtp

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
    assert answer.follow_up_due

    status = follow_up_answers.call()

    assert status == "1 answer(s), 1 customer(s) analysed, 1 account manager mail(s)"
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
    # The answer is handled: a second run finds nothing to do and sends no second mail.
    answer.refresh_from_db()
    assert not answer.follow_up_due
    assert follow_up_answers.call() == "nothing to do"
    assert len(smtp.messages) == 2  # the invitation and the one alert


def test_a_happy_answer_raises_no_finding(smtp: Inbox, world: World) -> None:
    invitation = _sent_invitation()
    Client().post(_answer_path(invitation, "positive"), {"answer": "positive"})
    assert follow_up_answers.call() == "1 answer(s), 1 customer(s) analysed"

    assert not Finding.objects.filter(kind="unhappy_answer").exists()
    assert len(smtp.messages) == 1  # only the invitation


def _follow_ups(status: str = "READY") -> list[DBTaskResult]:
    runs = DBTaskResult.objects.filter(task_path__endswith=".follow_up_answers", status=status)
    return list(runs.order_by("enqueued_at"))


def _second_customer_invitation(world: World) -> Invitation:
    customer = CustomerFactory(name="Autohaus Berger KG")
    contact = ContactFactory(customer=customer, email="max@berger.test", language="de")
    now = timezone.now()
    TicketFactory(
        customer=customer,
        contact=contact,
        subject="VPN bricht ab",
        status="resolved",
        created_at=now - dt.timedelta(hours=3),
        resolved_at=now - dt.timedelta(hours=1),
    )
    actions.do_queue_ticket_invitations()
    actions.do_send_due()
    return Invitation.objects.get(customer=customer)


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_burst_of_answers_queues_one_follow_up_that_analyses_each_customer_once(
    smtp: Inbox, world: World
) -> None:
    first = _sent_invitation()
    second = _second_customer_invitation(world)
    client = Client()
    # three clicks: two customers, one of them changing the answer
    client.post(_answer_path(first, "positive"), {"answer": "positive"})
    client.post(_answer_path(second, "negative"), {"answer": "negative"})
    client.post(_answer_path(first, "neutral"), {"answer": "neutral"})
    assert len(_follow_ups()) == 1

    call_command("worker", "--batch", verbosity=0)  # the worker runs what is due now

    [done] = _follow_ups("SUCCESSFUL")
    assert done.return_value == "2 answer(s), 2 customer(s) analysed"  # no manager to mail
    run = AnalysisRun.objects.get()
    assert sorted(run.customer_ids) == sorted([first.customer_id, second.customer_id])
    assert not SurveyAnswer.objects.filter(follow_up_due=True).exists()
    # the run queued its sweep a few seconds later; the next click queues a run of its own
    [sweep] = _follow_ups()
    assert sweep.args_kwargs["kwargs"] == {"sweep": True}
    assert sweep.run_after > timezone.now()
    client.post(_answer_path(second, "positive"), {"answer": "positive"})
    assert len(_follow_ups()) == 2


def test_an_answer_committed_while_a_run_takes_the_answers_is_caught_by_its_sweep(
    smtp: Inbox, world: World
) -> None:
    first = _sent_invitation()
    second = _second_customer_invitation(world)
    client = Client()
    client.post(_answer_path(first, "negative"), {"answer": "negative"})
    taken = actions.do_take_due_answers()
    assert [a.unhappy for a in taken] == [True]

    # a click that saw the run waiting commits after the run took the answers; and the
    # first customer changes the answer while the run analyses
    client.post(_answer_path(second, "positive"), {"answer": "positive"})
    client.post(_answer_path(first, "positive"), {"answer": "positive"})
    assert len(_follow_ups()) == 1  # neither click queued a second run
    assert actions.do_mark_followed_up(taken) == 0  # the changed answer stays due

    # the sweep takes both, and a quiet sweep ends the chain
    assert follow_up_answers.call(sweep=True) == "2 answer(s), 2 customer(s) analysed"
    assert not SurveyAnswer.objects.filter(follow_up_due=True).exists()
    assert len(_follow_ups()) == 2  # the run that stays queued here, and the next sweep
    assert follow_up_answers.call(sweep=True) == "nothing to do"
    assert len(_follow_ups()) == 2


def test_an_account_manager_mail_that_cannot_go_out_is_sent_by_a_later_run(
    settings: Any, smtp: Inbox, world: World
) -> None:
    manager = do_create_user(
        username="anna", password=PASSWORD, role=Role.ACCOUNT_MANAGER, email="anna@provider.test"
    )
    world.customer.account_manager = manager
    world.customer.save()
    invitation = _sent_invitation()
    Client().post(_answer_path(invitation, "negative"), {"answer": "negative"})
    working = settings.MAILERS
    use_smtp(settings, free_port())  # nothing listens there: the mail server is down

    status = follow_up_answers.call()

    assert status == "1 answer(s), 1 customer(s) analysed, 1 mail(s) waiting for a retry"
    assert SurveyAnswer.objects.get().follow_up_due
    retry = _follow_ups()[-1]
    assert retry.run_after >= timezone.now() + dt.timedelta(minutes=4)

    settings.MAILERS = working  # the mail server is back
    assert (
        follow_up_answers.call() == "1 answer(s), 0 customer(s) analysed, 1 account manager mail(s)"
    )
    assert [m["To"] for m in smtp.messages] == ["petra@example.test", "anna@provider.test"]


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_starting_worker_handles_answers_a_stopped_worker_left(smtp: Inbox, world: World) -> None:
    invitation = _sent_invitation()
    Client().post(_answer_path(invitation, "positive"), {"answer": "positive"})
    DBTaskResult.objects.all().delete()  # the queued run was lost with the stopped worker
    out = StringIO()

    call_command("worker", "--batch", stdout=out)

    assert "Survey answers left waiting by a stopped worker are queued." in out.getvalue()
    assert not SurveyAnswer.objects.get().follow_up_due
    assert AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED).exists()
    # and a worker with nothing waiting says nothing about it
    out = StringIO()
    call_command("worker", "--batch", stdout=out)
    assert "Survey answers" not in out.getvalue()


def test_a_follow_up_queued_per_answer_by_an_earlier_version_still_runs(
    smtp: Inbox, world: World
) -> None:
    invitation = _sent_invitation()
    Client().post(_answer_path(invitation, "positive"), {"answer": "positive"})
    answer = SurveyAnswer.objects.get()
    arguments = {
        "answer_id": answer.pk,
        "customer_id": world.customer.pk,
        "answered_at": answer.answered_at.isoformat(),
        "unhappy": False,
    }
    assert after_answer.call(**arguments) == "analysed"
    assert after_answer.call(**arguments) == "nothing to do"


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
