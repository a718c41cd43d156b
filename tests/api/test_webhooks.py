"""Webhook receivers fed with the recorded payloads of Zammad and ConnectWise (no network).

The Zammad delivery is signed here with HMAC-SHA1 exactly as Zammad signs it; the ConnectWise
callback carries the shared key in its URL. The store behind them starts as a Zammad sync of
the recorded API fixtures would leave it (tests/importers/test_sync_zammad.py's fake server).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from solidground.api.webhook_models import WebhookDelivery
from solidground.customers.models import Contact, Customer
from solidground.importers.models import ImportRun
from solidground.importers.sources.zammad.client import ZammadClient
from solidground.importers.sources.zammad.sync import sync_zammad
from solidground.insights.models import CustomerPeriod
from solidground.service.models import Ticket, TicketStatusChange
from tests.importers.test_sync_zammad import TOKEN, URL, FakeZammad

SOURCES = Path(__file__).resolve().parents[2] / "src/solidground/importers/sources"
ZAMMAD_PAYLOAD = (SOURCES / "zammad/fixtures/webhook_ticket_update.json").read_bytes()
CONNECTWISE_PAYLOAD = (SOURCES / "connectwise/fixtures/callback_ticket_updated.json").read_bytes()
ZAMMAD_SECRET = "zammad-shared-secret-for-tests"
CONNECTWISE_SECRET = "connectwise-shared-secret-for-tests"
ZAMMAD_URL = "/api/v1/webhooks/zammad"
CONNECTWISE_URL = "/api/v1/webhooks/connectwise"
# A moment after the recorded tickets (March 2024): the analysis looks at that month.
NOW = datetime(2024, 3, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _secrets(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOLIDGROUND_ZAMMAD_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("SOLIDGROUND_CONNECTWISE_WEBHOOK_SECRET", raising=False)
    settings.ZAMMAD_WEBHOOK_SECRET = ZAMMAD_SECRET
    settings.CONNECTWISE_WEBHOOK_SECRET = CONNECTWISE_SECRET


def sign(body: bytes, secret: str = ZAMMAD_SECRET) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def post_zammad(
    client: Client,
    body: bytes = ZAMMAD_PAYLOAD,
    *,
    delivery: str = "6a1f3e52-08c4-4b9e-9d1a-2f0c7b5e8a31",
    signature: str | None = "sign",
) -> Any:
    headers = {
        "X-Zammad-Delivery": delivery,
        "X-Zammad-Trigger": "Solidground",
        # The answers' sentences are read in English below (the default language is German).
        "Accept-Language": "en",
    }
    if signature == "sign":
        headers["X-Hub-Signature"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature"] = signature
    return client.post(ZAMMAD_URL, data=body, content_type="application/json", headers=headers)


def post_connectwise(
    client: Client, body: bytes = CONNECTWISE_PAYLOAD, *, key: str | None = CONNECTWISE_SECRET
) -> Any:
    url = CONNECTWISE_URL if key is None else f"{CONNECTWISE_URL}?key={key}"
    return client.post(
        url, data=body, content_type="application/json", headers={"Accept-Language": "en"}
    )


def with_changes(raw: bytes, **ticket: Any) -> bytes:
    payload = json.loads(raw)
    payload["ticket"].update(ticket)
    return json.dumps(payload).encode()


def march_tickets(customer: Customer) -> int | None:
    period = CustomerPeriod.objects.filter(
        customer=customer, period_kind="month", period_start=date(2024, 3, 1)
    ).first()
    return None if period is None else period.tickets


def synced_zammad_store() -> Customer:
    """The store after a full Zammad sync of the recorded API responses, analysed."""
    client = ZammadClient(URL, TOKEN, transport=httpx.MockTransport(FakeZammad()))
    sync_zammad(client, full=True)
    return Customer.objects.get(name="Kanzlei Berger & Partner")


# --- Zammad -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_signed_zammad_delivery_is_stored_and_the_customers_figures_follow(
    client: Client,
) -> None:
    # given the store after a Zammad sync, analysed in March 2024
    with time_machine.travel(NOW, tick=False):
        customer = synced_zammad_store()
        before = march_tickets(customer)
        assert before == 2  # tickets 31001 and 31004 of the recorded sync

        # when Zammad's trigger posts the recorded update of a new ticket, signed
        response = post_zammad(client)
        # and the worker runs the re-analysis the delivery queued
        call_command("worker", batch=True, verbosity=0)

        # then the ticket is stored for the organization's customer, with its state
        assert response.status_code == 200, response.content
        answer = response.json()
        assert answer["status"] == "stored"
        assert answer["customer_ids"] == [customer.pk]
        assert answer["analysis_queued"] is True
        ticket = Ticket.objects.get(source="zammad", external_id="105")
        assert ticket.customer == customer
        assert ticket.subject == "Outlook fragt ständig nach dem Kennwort"
        assert ticket.status == "open"
        assert ticket.priority == 2  # "3 high"
        assert ticket.contact == Contact.objects.get(email="s.berger@kanzlei-berger.example")
        changes = TicketStatusChange.objects.filter(ticket=ticket).order_by("changed_at")
        assert [change.status for change in changes] == ["new", "open"]
        # and the customer's March figures count it
        assert march_tickets(customer) == 3


@pytest.mark.django_db
def test_a_zammad_delivery_creates_its_customer_and_records_the_audit(client: Client) -> None:
    # given an empty store
    # when the recorded delivery arrives
    response = post_zammad(client)

    # then the organization becomes a customer and the write is recorded as the webhook's
    assert response.status_code == 200, response.content
    assert Customer.objects.get().name == "Kanzlei Berger & Partner"
    run = ImportRun.objects.get(pk=response.json()["import_run"])
    assert run.kind == ImportRun.Kind.API
    assert run.source == "zammad"
    assert run.created >= 3  # customer, contact, ticket, status changes


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [
        None,  # no header
        "",
        "sha1=" + "0" * 40,
        sign(ZAMMAD_PAYLOAD, "another-secret"),
        sign(ZAMMAD_PAYLOAD).replace("sha1=", "sha256="),
    ],
    ids=["missing", "empty", "zeros", "other-secret", "wrong-algorithm"],
)
def test_a_zammad_delivery_without_the_right_signature_is_refused(
    client: Client, signature: str | None
) -> None:
    # when a delivery arrives without a signature made with the shared secret
    response = post_zammad(client, signature=signature)

    # then it is refused with a JSON error naming the header, and nothing is stored
    assert response.status_code == 401
    assert response.json()["field"] == "X-Hub-Signature"
    assert not Ticket.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_zammad_body_changed_after_signing_is_refused(client: Client) -> None:
    # given a body signed by Zammad, then altered on the way
    tampered = with_changes(ZAMMAD_PAYLOAD, title="Überweisung freigeben")

    # when it arrives with the original signature
    response = post_zammad(client, tampered, signature=sign(ZAMMAD_PAYLOAD))

    # then it is refused
    assert response.status_code == 401
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_replayed_zammad_delivery_is_refused_and_a_new_one_changes_nothing(
    client: Client,
) -> None:
    # given a delivery that was accepted
    assert post_zammad(client, delivery="delivery-1").status_code == 200

    # when the same delivery arrives again, and then the same update under a new delivery id
    replay = post_zammad(client, delivery="delivery-1")
    second_trigger = post_zammad(client, delivery="delivery-2")

    # then the replay is refused and says so; the second trigger writes nothing new
    assert replay.status_code == 409
    assert "processed already" in replay.json()["detail"]
    assert second_trigger.status_code == 200
    assert second_trigger.json()["created"] == 0
    assert second_trigger.json()["updated"] == 0
    assert second_trigger.json()["analysis_queued"] is False
    assert Ticket.objects.count() == 1
    assert ImportRun.objects.count() == 2  # the replay wrote nothing, not even a run


@pytest.mark.django_db
def test_a_zammad_update_closes_the_stored_ticket(client: Client) -> None:
    # given the new ticket delivered
    post_zammad(client, delivery="created")

    # when the next trigger says it was closed
    closed = with_changes(
        ZAMMAD_PAYLOAD,
        state="closed",
        state_id=4,
        updated_at="2024-03-11T10:30:00.000Z",
        last_close_at="2024-03-11T10:30:00.000Z",
        close_at="2024-03-11T10:30:00.000Z",
    )
    response = post_zammad(client, closed, delivery="closed")

    # then the ticket is closed at that moment, with the change in its history
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert ticket.status == "closed"
    assert ticket.closed_at == datetime(2024, 3, 11, 10, 30, tzinfo=UTC)
    assert ticket.resolved_at == datetime(2024, 3, 11, 10, 30, tzinfo=UTC)
    statuses = list(
        TicketStatusChange.objects.filter(ticket=ticket)
        .order_by("changed_at")
        .values_list("status", flat=True)
    )
    assert statuses == ["new", "open", "closed"]


def _without(key: str) -> bytes:
    payload = json.loads(ZAMMAD_PAYLOAD)
    payload["ticket"].pop(key)
    if key == "organization_id":
        payload["ticket"].pop("organization")
    return json.dumps(payload).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"<xml>not json</xml>", "body"),
        (b"[1, 2, 3]", "body"),
        (json.dumps({"article": {}}).encode(), "ticket"),
        (json.dumps({"ticket": "105"}).encode(), "ticket"),
        (with_changes(ZAMMAD_PAYLOAD, id="abc"), "ticket.id"),
        (_without("created_at"), "ticket.created_at"),
        (with_changes(ZAMMAD_PAYLOAD, created_at="2024-03-11 07:41:09"), "ticket.created_at"),
        (with_changes(ZAMMAD_PAYLOAD, updated_at="yesterday"), "ticket.updated_at"),
        (_without("organization_id"), "ticket.organization_id"),
        (with_changes(ZAMMAD_PAYLOAD, state=None, state_id=None), "ticket.state"),
        (with_changes(ZAMMAD_PAYLOAD, priority_id="high"), "ticket.priority_id"),
    ],
    ids=[
        "not-json",
        "array",
        "no-ticket",
        "ticket-not-object",
        "id-not-numeric",
        "no-created-at",
        "created-at-without-zone",
        "updated-at-not-a-time",
        "no-organization",
        "no-state",
        "priority-id-not-numeric",
    ],
)
def test_a_payload_that_is_not_a_zammad_ticket_is_refused_naming_the_field(
    client: Client, body: bytes, field: str
) -> None:
    # when a correctly signed delivery carries something that is not a Zammad ticket
    response = post_zammad(client, body, delivery=f"bad-{field}")

    # then it is refused naming the field, nothing is stored and the delivery is not
    # remembered (Zammad's retry after a fix is processed)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not Ticket.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_ticket_the_writer_refuses_is_answered_with_its_errors_and_nothing_is_written(
    client: Client,
) -> None:
    # given a delivery whose customer user has an e-mail address longer than one can be
    payload = json.loads(ZAMMAD_PAYLOAD)
    payload["ticket"]["customer"]["email"] = "s" * 300 + "@kanzlei-berger.example"
    body = json.dumps(payload).encode()

    # when it arrives
    response = post_zammad(client, body)

    # then the writer's refusal names the record's field, and nothing was written
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["field"] == "contacts.email"
    assert "longer than 254" in answer["errors"][0]["reason"]
    assert not Customer.objects.exists()
    assert not Ticket.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_delivery_refused_as_malformed_is_processed_when_it_comes_again_fixed(
    client: Client,
) -> None:
    # given a delivery refused for a missing organization
    assert post_zammad(client, _without("organization_id"), delivery="d-7").status_code == 422

    # when the same delivery id comes again with the organization set
    response = post_zammad(client, delivery="d-7")

    # then it is stored
    assert response.status_code == 200
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_zammad_body_over_10_mb_is_refused_before_it_is_read(client: Client) -> None:
    # given a delivery padded beyond 10 MB (a huge article body)
    payload = json.loads(ZAMMAD_PAYLOAD)
    payload["article"]["body"] = "x" * (10 * 1024 * 1024)
    body = json.dumps(payload).encode()

    # when it arrives, correctly signed
    response = post_zammad(client, body)

    # then it is refused as too large, with JSON
    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_large_delivery_under_10_mb_is_accepted(client: Client) -> None:
    # given a delivery of about 3 MB (above Django's default form limit of 2.5 MB)
    payload = json.loads(ZAMMAD_PAYLOAD)
    payload["article"]["body"] = "x" * (3 * 1024 * 1024)

    # when it arrives
    response = post_zammad(client, json.dumps(payload).encode())

    # then it is stored
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_deliveries_are_forgotten_after_the_replay_window(client: Client) -> None:
    # given a delivery accepted eight days ago
    WebhookDelivery.objects.create(
        receiver="zammad",
        delivery_id="old-delivery",
        received_at=timezone.now() - timedelta(days=8),
    )

    # when a new delivery arrives
    post_zammad(client, delivery="new-delivery")

    # then the old one is no longer kept; the new one is
    kept = set(WebhookDelivery.objects.values_list("delivery_id", flat=True))
    assert kept == {"new-delivery"}


@pytest.mark.django_db
def test_a_receiver_without_a_secret_is_disabled(client: Client, settings: Any) -> None:
    # given no secrets configured
    settings.ZAMMAD_WEBHOOK_SECRET = ""
    settings.CONNECTWISE_WEBHOOK_SECRET = ""

    # when both receivers are called, even with what would be valid credentials
    zammad = post_zammad(client)
    connectwise = post_connectwise(client)

    # then both answer 404 with JSON and store nothing
    assert zammad.status_code == 404
    assert connectwise.status_code == 404
    assert "not enabled" in zammad.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_secret_can_come_from_the_environment(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the secret in SOLIDGROUND_ZAMMAD_WEBHOOK_SECRET rather than in the settings
    settings.ZAMMAD_WEBHOOK_SECRET = ""
    monkeypatch.setenv("SOLIDGROUND_ZAMMAD_WEBHOOK_SECRET", ZAMMAD_SECRET)

    # when a signed delivery arrives
    response = post_zammad(client)

    # then it is accepted
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_receivers_need_no_api_token_but_only_answer_post(client: Client) -> None:
    # when someone reads the receiver's URL
    response = client.get(ZAMMAD_URL)

    # then it is not there for reading
    assert response.status_code == 405


# --- ConnectWise ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_connectwise_callback_with_the_key_is_stored_and_analysed(client: Client) -> None:
    with time_machine.travel(NOW, tick=False):
        # when ConnectWise posts the recorded callback of an updated ticket
        response = post_connectwise(client)
        call_command("worker", batch=True, verbosity=0)

        # then the ticket, its company as customer and its contact are stored
        assert response.status_code == 200, response.content
        ticket = Ticket.objects.get(source="connectwise", external_id="5104")
        assert ticket.subject == "VPN-Verbindung bricht im Homeoffice ab"
        assert ticket.customer.name == "Kanzlei Berger & Partner"
        assert ticket.status == "in_progress"
        assert ticket.channel == "phone"
        assert ticket.contact is not None
        assert ticket.contact.name == "Sabine Berger"
        # and the re-analysis counted it in March
        assert march_tickets(ticket.customer) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "", "wrong-key", CONNECTWISE_SECRET + "x"])
def test_a_connectwise_callback_without_the_right_key_is_refused(
    client: Client, key: str | None
) -> None:
    # when a callback arrives without the shared key in its URL
    response = post_connectwise(client, key=key)

    # then it is refused naming the key, and nothing is stored
    assert response.status_code == 401
    assert response.json()["field"] == "key"
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_replayed_connectwise_message_is_refused(client: Client) -> None:
    # given a callback that was accepted
    assert post_connectwise(client).status_code == 200

    # when ConnectWise sends the same message again
    replay = post_connectwise(client)

    # then it is refused
    assert replay.status_code == 409
    assert replay.json()["field"] == "delivery"
    assert Ticket.objects.count() == 1


def _callback(**changes: Any) -> bytes:
    payload = json.loads(CONNECTWISE_PAYLOAD)
    payload.update(changes)
    return json.dumps(payload).encode()


def _entity(**changes: Any) -> str:
    ticket = json.loads(json.loads(CONNECTWISE_PAYLOAD)["Entity"])
    ticket.update(changes)
    return json.dumps(ticket)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (_callback(MessageId=None), "MessageId"),
        (_callback(Action="merged"), "Action"),
        (_callback(Type="company"), "Type"),
        (_callback(Entity="{broken"), "Entity"),
        (_callback(Entity="[]"), "Entity"),
        (_callback(Entity=_entity(id="x")), "Entity.id"),
        (_callback(Entity=_entity(company=None)), "Entity.company"),
        (_callback(Entity=_entity(dateResponded="11.03.2024 09:14")), "Entity.dateResponded"),
    ],
    ids=[
        "not-json",
        "no-message-id",
        "unknown-action",
        "not-a-ticket",
        "entity-not-json",
        "entity-not-object",
        "id-not-numeric",
        "no-company",
        "date-without-zone",
    ],
)
def test_a_malformed_connectwise_callback_is_refused_naming_the_field(
    client: Client, body: bytes, field: str
) -> None:
    # when a callback with the right key carries something that is not a ticket callback
    response = post_connectwise(client, body)

    # then it is refused naming the field, and nothing is stored
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_connectwise_deletion_is_acknowledged_but_not_applied(client: Client) -> None:
    # given the ticket stored by an earlier callback
    post_connectwise(client)

    # when ConnectWise says it was deleted
    response = post_connectwise(
        client, _callback(MessageId="9b1d7a40-deleted", Action="deleted", Entity=None)
    )

    # then the answer says it was ignored and the ticket stays
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_connectwise_body_over_10_mb_is_refused(client: Client) -> None:
    # when a callback of more than 10 MB arrives
    response = post_connectwise(client, _callback(Padding="x" * (10 * 1024 * 1024 + 1)))

    # then it is refused as too large
    assert response.status_code == 413
    assert not Ticket.objects.exists()
