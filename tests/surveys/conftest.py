"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and a small world:
a customer with a contact and a ticket resolved an hour ago, ticket surveys switched on."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.utils import timezone

from solidground.customers.models import Contact, Customer
from solidground.service.models import Ticket
from solidground.surveys.actions import survey_settings
from tests.factories import ContactFactory, CustomerFactory, TicketFactory


@dataclass
class Inbox:
    """What the SMTP server accepted; ``refuse`` makes it answer RCPT with that code."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        code = self.refuse.get(address.lower())
        if code:
            return f"{code} {'Try again later' if code < 500 else 'No such user'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.raw.append(raw)
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def links(self, index: int = -1) -> list[str]:
        body = self.messages[index].get_body(preferencelist=("plain",))
        assert body is not None
        return re.findall(r"https?://\S+", body.get_content())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_smtp(settings: Any, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    use_smtp(settings, port)
    settings.PUBLIC_URL = "http://testserver"
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class World:
    customer: Customer
    contact: Contact
    ticket: Ticket


@pytest.fixture
def world(db: None) -> World:
    config = survey_settings()
    config.ticket_surveys_enabled = True
    config.provider_name = "Nordlicht IT"
    config.save()
    customer = CustomerFactory(name="Bäckerei Sonnenschein GmbH")
    contact = ContactFactory(
        customer=customer, name="Petra Kühn", email="Petra@Example.test", language="en"
    )
    now = timezone.now()
    ticket = TicketFactory(
        customer=customer,
        contact=contact,
        subject="Drucker im Büro druckt nicht",
        status="resolved",
        created_at=now - dt.timedelta(hours=5),
        resolved_at=now - dt.timedelta(hours=1),
        reference="T-1001",
    )
    return World(customer, contact, ticket)
