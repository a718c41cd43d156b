"""The ticket survey loop end to end over a real SMTP server on loopback: invitation mail,
signed links, answer, change, comment, unsubscribe; what a forged, expired or abusive request
gets; throttling; SMTP failure and recovery. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from solidground.surveys import actions, links
from solidground.surveys.models import (
    Invitation,
    InvitationEvent,
    SurveyAnswer,
    Unsubscribe,
)
from tests.factories import ContactFactory, StatusChangeFactory, TicketFactory
from tests.surveys.conftest import Inbox, World, free_port, use_smtp

pytestmark = pytest.mark.django_db


def _send() -> actions.SendReport:
    actions.do_queue_ticket_invitations()
    return actions.do_send_due()


def _path(url: str) -> str:
    return urlsplit(url).path


def _answer_links(inbox: Inbox) -> dict[str, str]:
    found = {}
    for url in inbox.links():
        for answer in links.CSAT_SCORES:
            if (
                "/s/a/" in url
                and links.read_token(_path(url).split("/")[3], "answer").answer == answer
            ):
                found[answer] = _path(url)
    return found


def _client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="192.0.2.10")


def test_a_resolved_ticket_gets_one_mail_with_three_signed_answers(
    smtp: Inbox, world: World
) -> None:
    report = _send()
    second = _send()  # a second run adds nothing

    assert report.sent == 1
    assert second.sent == 0
    message = smtp.messages[0]
    assert message["To"] == "petra@example.test"
    assert "Drucker im Büro druckt nicht" in message["Subject"]
    assert "Nordlicht IT" in message["From"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A plain <URL> a mail client can follow, not RFC 2047 encoded words.
    assert b"\nList-Unsubscribe: <http://testserver/s/u/" in smtp.raw[0].replace(b"\r\n", b"\n")
    assert set(_answer_links(smtp)) == {"positive", "neutral", "negative"}
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "/s/a/" in html.get_content()
    invitation = Invitation.objects.get()
    assert invitation.state == Invitation.State.SENT
    assert [e.event for e in invitation.events.all()] == ["queued", "sent"]


def test_a_get_stores_nothing_the_confirmation_stores_and_a_second_click_changes(
    smtp: Inbox, world: World
) -> None:
    _send()
    answer_links = _answer_links(smtp)
    client = _client()

    # A mail scanner or link preview opens every link: nothing is recorded.
    for url in answer_links.values():
        page = client.get(url)
        assert page.status_code == 200
        assert b'value="negative"' in page.content
    assert not SurveyAnswer.objects.exists()

    saved = client.post(answer_links["negative"], {"answer": "negative", "comment": "Zu langsam"})
    assert saved.status_code == 303
    assert b"Your answer is saved" in client.get(saved["Location"]).content
    client.post(answer_links["positive"], {"answer": "positive"})

    answer = SurveyAnswer.objects.get()  # changed, not added
    assert (answer.score, answer.comment) == (3, "Zu langsam")
    assert answer.ticket == world.ticket
    assert answer.contact == world.contact
    assert (answer.scale_min, answer.scale_max, answer.kind) == (1, 3, "ticket_csat")
    events = list(InvitationEvent.objects.values_list("event", flat=True))
    assert events[-2:] == ["answered", "changed"]
    assert Invitation.objects.get().state == Invitation.State.ANSWERED


def test_forged_truncated_and_other_ticket_links_are_refused(smtp: Inbox, world: World) -> None:
    other = TicketFactory(
        customer=world.customer,
        contact=ContactFactory(customer=world.customer, email="max@example.test"),
        status="resolved",
        created_at=world.ticket.created_at,
        resolved_at=world.ticket.resolved_at,
    )
    _send()
    url = _answer_links(smtp)["negative"]
    token = url.split("/")[3]
    mine = Invitation.objects.get(ticket=world.ticket)
    theirs = Invitation.objects.get(ticket=other)
    client = _client()

    forged = signing.dumps({"i": theirs.pk, "k": mine.key, "a": "negative"}, salt="other")
    # The same signature over another invitation's id (as if the id in the link were edited).
    _payload, stamp, signature = token.rsplit(":", 2)
    theirs_payload = {"i": theirs.pk, "k": mine.key, "a": "negative"}
    edited = signing.b64_encode(json.dumps(theirs_payload, separators=(",", ":")).encode())
    swapped = f"{edited.decode()}:{stamp}:{signature}"
    for bad in (token[:-3], token + "x", forged, swapped, "1:2:3", "%00"):
        response = client.post(f"/s/a/{bad}/", {"answer": "negative"})
        assert response.status_code == 404, bad
        assert b"This link does not work" in response.content
    # An unsubscribe link never answers, an answer link never unsubscribes.
    unsubscribe = links.make_token(mine, "unsubscribe")
    assert client.post(f"/s/a/{unsubscribe}/").status_code == 404
    assert client.post(f"/s/u/{token}/").status_code == 404
    assert not SurveyAnswer.objects.exists()
    assert not Unsubscribe.objects.exists()


def test_an_expired_link_shows_a_friendly_page_and_stores_nothing(
    smtp: Inbox, world: World, settings: Any
) -> None:
    _send()
    url = _answer_links(smtp)["positive"]
    settings.SURVEY_LINK_DAYS = 30

    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        response = _client().post(url, {"answer": "positive"})

    assert response.status_code == 410
    assert b"This survey has closed" in response.content
    assert not SurveyAnswer.objects.exists()


def test_a_deleted_ticket_takes_its_links_along(smtp: Inbox, world: World) -> None:
    _send()
    url = _answer_links(smtp)["positive"]
    world.ticket.delete()

    assert _client().post(url, {"answer": "positive"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_a_huge_comment_is_refused_and_html_is_stored_as_text(smtp: Inbox, world: World) -> None:
    _send()
    url = _answer_links(smtp)["negative"]
    client = _client()

    huge = client.post(url, {"answer": "negative", "comment": "x" * 1_000_000})
    assert huge.status_code == 400
    assert b"longer than 2000 characters" in huge.content
    assert not SurveyAnswer.objects.exists()

    script = '<script>alert("x")</script><b>bold</b>'
    client.post(url, {"answer": "negative", "comment": script})
    page = client.get(url)
    assert SurveyAnswer.objects.get().comment == script
    assert b"<script>alert" not in page.content
    assert b"&lt;script&gt;" in page.content
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_many_clicks_from_one_address_are_limited(smtp: Inbox, world: World, settings: Any) -> None:
    settings.SURVEY_RATE_PER_MINUTE = 5
    _send()
    url = _answer_links(smtp)["positive"]
    client = _client()

    codes = [client.post(url, {"answer": "positive"}).status_code for _ in range(8)]
    elsewhere = Client(REMOTE_ADDR="198.51.100.7").get(url)

    assert codes[:5] == [303] * 5
    assert codes[5:] == [429] * 3
    assert elsewhere.status_code == 200  # another address is not held up
    assert SurveyAnswer.objects.count() == 1


def test_throttling_spam_and_merged_tickets(smtp: Inbox, world: World) -> None:
    contact = world.contact
    resolved = world.ticket.resolved_at
    created = world.ticket.created_at
    TicketFactory(  # the same contact again within 7 days
        customer=world.customer,
        contact=contact,
        status="closed",
        created_at=created,
        resolved_at=resolved,
    )
    spam_contact = ContactFactory(customer=world.customer, email="spam@example.test")
    TicketFactory(
        customer=world.customer,
        contact=spam_contact,
        status="closed",
        category="Spam",
        created_at=created,
        resolved_at=resolved,
    )
    merged_contact = ContactFactory(customer=world.customer, email="merged@example.test")
    merged = TicketFactory(
        customer=world.customer,
        contact=merged_contact,
        status="closed",
        created_at=created,
        resolved_at=resolved,
    )
    StatusChangeFactory(ticket=merged, status="closed", source_status="Merged")

    queued = actions.do_queue_ticket_invitations()
    actions.do_send_due()

    assert queued.queued == 1
    assert queued.skipped == {"invited within the period": 1, "spam or merged": 2}
    assert [m["To"] for m in smtp.messages] == ["petra@example.test"]

    later = timezone.now() + dt.timedelta(days=8)
    TicketFactory(
        customer=world.customer,
        contact=contact,
        status="resolved",
        created_at=later - dt.timedelta(hours=3),
        resolved_at=later - dt.timedelta(hours=1),
    )
    with time_machine.travel(later):
        assert actions.do_queue_ticket_invitations().queued == 1  # the period is over


def test_unsubscribe_in_one_click_is_honoured_by_every_later_send(
    smtp: Inbox, world: World
) -> None:
    _send()
    unsubscribe = next(u for u in smtp.links() if "/s/u/" in u)
    client = _client()

    assert b"Send no more survey mails" in client.get(_path(unsubscribe)).content
    assert not Unsubscribe.objects.exists()  # the GET only asks
    # What a mail client's one-click button sends (RFC 8058).
    done = client.post(_path(unsubscribe), {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert b"will get no more survey mails" in done.content
    assert Unsubscribe.objects.get().email == "petra@example.test"

    later = timezone.now() + dt.timedelta(days=10)
    TicketFactory(
        customer=world.customer,
        contact=world.contact,
        status="resolved",
        created_at=later - dt.timedelta(hours=3),
        resolved_at=later - dt.timedelta(hours=1),
    )
    with time_machine.travel(later):
        report = actions.do_queue_ticket_invitations()
        actions.do_send_due()
    assert report.skipped == {"unsubscribed": 1}
    assert len(smtp.messages) == 1


def test_smtp_down_keeps_invitations_queued_and_sends_each_once_later(
    smtp: Inbox, world: World, settings: Any
) -> None:
    for number in range(3):
        TicketFactory(
            customer=world.customer,
            contact=ContactFactory(customer=world.customer, email=f"k{number}@example.test"),
            status="resolved",
            created_at=world.ticket.created_at,
            resolved_at=world.ticket.resolved_at,
        )
    actions.do_queue_ticket_invitations()
    real_port = settings.MAILERS["default"]["OPTIONS"]["port"]
    use_smtp(settings, free_port())  # nothing listens there

    down = actions.do_send_due()
    assert (down.sent, down.retrying) == (0, 1)  # the first try waits, the others untouched
    assert down.next_attempt_at is not None
    assert set(Invitation.objects.values_list("state", flat=True)) == {"queued"}
    assert actions.do_send_due().sent == 0  # still down

    use_smtp(settings, real_port)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        up = actions.do_send_due()
        again = actions.do_send_due()

    assert (up.sent, again.sent) == (4, 0)
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        ["petra@example.test", "k0@example.test", "k1@example.test", "k2@example.test"]
    )
    assert InvitationEvent.objects.filter(event="retry").count() == 2
    assert InvitationEvent.objects.filter(event="sent").count() == 4


def test_a_refused_address_bounces_and_a_busy_one_retries(smtp: Inbox, world: World) -> None:
    smtp.refuse = {"petra@example.test": 550}
    report = _send()
    invitation = Invitation.objects.get()
    assert report.bounced == 1
    assert invitation.state == Invitation.State.BOUNCED
    assert "550" in invitation.last_error


def test_a_dry_run_writes_the_mails_to_files_and_stores_nothing(
    world: World, tmp_path: Any, settings: Any
) -> None:
    from django.core.management import call_command

    settings.PUBLIC_URL = "http://testserver"
    call_command("surveys", "send", "--dry-run", "--out", str(tmp_path))

    written = list(tmp_path.iterdir())
    assert len(written) == 1
    text = written[0].read_text()
    assert "petra@example.test" in text
    assert "/s/a/" in text
    assert not Invitation.objects.exists()
    assert not InvitationEvent.objects.exists()
