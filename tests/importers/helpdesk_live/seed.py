"""Seed the django-helpdesk peer with queues, tickets and follow-ups (with time spent).

Runs inside the helpdesk venv (``python seed.py`` from the copied project directory). The data
is fixed so the live test can assert exact values; it prints nothing on success.

Tickets are created through the ORM with follow-ups whose dates lie in the past, the way a
helpdesk that has been in use for a while looks through its API.
"""

import datetime as dt
import os
import sys

import django

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdsite.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

UTC = dt.UTC
OPEN, REOPENED, RESOLVED, CLOSED = 1, 2, 3, 4


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def minutes(count: int) -> dt.timedelta:
    return dt.timedelta(minutes=count)


def main() -> None:
    users = get_user_model()
    users.objects.create_superuser(
        username=os.environ["HELPDESK_LIVE_USER"],
        email="sync@example.com",
        password=os.environ["HELPDESK_LIVE_PASSWORD"],
    )
    anna = users.objects.create_user(
        username="anna", email="anna@example.com", password="unused-password", is_staff=True
    )
    acme = Queue.objects.create(title="Acme GmbH", slug="acme")
    beta = Queue.objects.create(title="Beta AG", slug="beta")

    printer = Ticket.objects.create(
        title="Printer offline",
        queue=acme,
        priority=3,
        status=CLOSED,
        submitter_email="it@acme.example",
        description="The printer on floor 2 is offline.",
    )
    followups(
        printer,
        [
            ("2025-03-03 08:15:00", None, "Ticket Opened", True, None, None),
            ("2025-03-03 08:40:00", anna, "Looking into it", True, None, 30),
            ("2025-03-03 10:00:00", anna, "Driver reinstalled", True, RESOLVED, 45),
            ("2025-03-05 09:00:00", anna, "Closed", False, CLOSED, None),
        ],
    )

    vpn = Ticket.objects.create(
        title="VPN broken for home office",
        queue=acme,
        priority=1,
        status=REOPENED,
        submitter_email="ceo@acme.example",
        assigned_to=anna,
    )
    followups(
        vpn,
        [
            ("2025-03-10 07:00:00", None, "Ticket Opened", True, None, None),
            ("2025-03-10 07:05:00", anna, "On it", True, None, 20),
            ("2025-03-10 09:00:00", anna, "Certificate renewed", True, RESOLVED, 90),
            ("2025-03-11 08:00:00", None, "Still broken", True, REOPENED, None),
        ],
    )

    laptop = Ticket.objects.create(
        title="New laptop for Max",
        queue=beta,
        priority=4,
        status=OPEN,
        on_hold=True,
        submitter_email="office@beta.example",
    )
    followups(
        laptop,
        [
            ("2025-04-01 12:00:00", None, "Ticket Opened", True, None, None),
            ("2025-04-01 13:00:00", anna, "Ordered, waiting for delivery", False, None, 75),
        ],
    )

    mailbox = Ticket.objects.create(
        title="Shared mailbox for sales",
        queue=beta,
        priority=2,
        status=RESOLVED,
        submitter_email="office@beta.example",
    )
    followups(
        mailbox,
        [
            ("2025-04-02 09:30:00", None, "Ticket Opened", True, None, None),
            ("2025-04-02 10:10:00", anna, "Mailbox created", True, RESOLVED, 25),
        ],
    )


def followups(ticket: Ticket, rows: list[tuple]) -> None:
    for when, user, title, public, new_status, spent in rows:
        FollowUp.objects.create(
            ticket=ticket,
            date=at(when),
            user=user,
            title=title,
            comment=title,
            public=public,
            new_status=new_status,
            time_spent=minutes(spent) if spent else None,
        )


if __name__ == "__main__":
    main()
