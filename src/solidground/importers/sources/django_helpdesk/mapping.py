"""django-helpdesk API JSON -> canonical records (see doc.md beside this file).

django-helpdesk has no customers: an MSP running it usually keeps one queue per client, so a
queue becomes a customer. Its ``/api/tickets/`` gives neither the creation time nor queue
titles: a ticket's creation time is its earliest follow-up (django-helpdesk writes a "Ticket
Opened" follow-up when a ticket is created), and a queue's name comes from configuration
(``--queue-name 3=Acme GmbH``), else "django-helpdesk queue 3". Follow-ups with time spent
become time entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_duration

from solidground.importers.records import (
    ContactRecord,
    StatusChangeRecord,
    TicketRecord,
    TimeEntryRecord,
)
from solidground.importers.sources.common import parse_instant, ticket_lifecycle

SOURCE = "django-helpdesk"

# django-helpdesk's default TICKET_STATUS_CHOICES.
STATUS_NAMES = {1: "Open", 2: "Reopened", 3: "Resolved", 4: "Closed", 5: "Duplicate"}
STATUSES = {1: "open", 2: "open", 3: "resolved", 4: "closed", 5: "closed"}
# django-helpdesk priorities run 1 (critical) to 5 (very low); ours stop at 4 (low).
PRIORITIES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 4}

TICKET_FIELDS = frozenset(
    {
        "subject",
        "description",
        "reference",
        "created_at",
        "status",
        "priority",
        "channel",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "contact_ref",
    }
)
CONTACT_FIELDS = frozenset({"name", "email"})
STATUS_CHANGE_FIELDS = frozenset({"changed_at", "status", "source_status"})
# Billing is not among them: django-helpdesk has none, so a billing set in Solidground stays.
TIME_ENTRY_FIELDS = frozenset({"started_at", "minutes", "technician", "description", "ticket_ref"})


@dataclass
class HelpdeskRecords:
    contacts: list[ContactRecord] = field(default_factory=list)
    tickets: list[TicketRecord] = field(default_factory=list)
    status_changes: list[StatusChangeRecord] = field(default_factory=list)
    time_entries: list[TimeEntryRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def all(self) -> Iterable[Any]:
        yield from self.contacts
        yield from self.tickets
        yield from self.status_changes
        yield from self.time_entries


def queue_customer_name(queue_id: int, names: Mapping[int, str]) -> str:
    return names.get(queue_id) or f"django-helpdesk queue {queue_id}"


def ticket_status(status: object, *, on_hold: bool = False) -> str:
    """Our status for django-helpdesk's status number; "on hold" open tickets wait."""
    ours = STATUSES.get(int(str(status)), "open") if status is not None else "open"
    if on_hold and ours == "open":
        return "waiting_customer"
    return ours


def minutes_spent(value: object) -> int:
    """Whole minutes from DRF's duration text ("01:30:00", "1 02:00:00"); 0 for empty."""
    if not value:
        return 0
    duration = parse_duration(str(value))
    if duration is None:
        raise ValueError(f"{value!r} is not a duration")
    return round(duration.total_seconds() / 60)


def _dated(followups: Iterable[Mapping[str, Any]]) -> list[tuple[datetime, Mapping[str, Any]]]:
    dated: list[tuple[datetime, Mapping[str, Any]]] = []
    for followup in followups:
        when = parse_instant(followup.get("date"))
        if when is not None:
            dated.append((when, followup))
    dated.sort(key=lambda pair: (pair[0], int(pair[1].get("id") or 0)))
    return dated


def map_tickets(
    tickets: Iterable[Mapping[str, Any]],
    *,
    queue_names: Mapping[int, str],
    billing: str = "included",
) -> HelpdeskRecords:
    out = HelpdeskRecords()
    contacts: dict[str, ContactRecord] = {}
    for ticket in tickets:
        ticket_id = str(ticket["id"])
        label = f"django-helpdesk ticket {ticket_id} ({ticket.get('title')})"
        queue = ticket.get("queue")
        queue_id = int(queue["id"] if isinstance(queue, Mapping) else str(queue))
        followups = _dated(ticket.get("followup_set") or [])
        if not followups:
            out.skipped.append(
                f"{label} was skipped: it has no follow-up, so its creation time is unknown "
                "(the API does not give it)."
            )
            continue
        created_at, opening = followups[0]
        later = followups[1:]
        customer_ref = str(queue_id)
        customer_name = queue_customer_name(queue_id, queue_names)
        status = ticket_status(ticket.get("status"), on_hold=bool(ticket.get("on_hold")))

        changes = _status_changes(ticket_id, created_at, opening, later)
        out.status_changes.extend(changes)
        lifecycle = ticket_lifecycle(
            [(change.changed_at, change.status) for change in changes],
            current_status=status,
            created_at=created_at,
            fallback_done_at=followups[-1][0],
        )
        first_response = next(
            (when for when, f in later if f.get("user") is not None and f.get("public")), None
        )

        contact_ref = None
        email = str(ticket.get("submitter_email") or "").strip().lower()
        if email:
            contact_ref = f"{queue_id}:{email}"
            contacts[contact_ref] = ContactRecord(
                external_id=contact_ref,
                customer_ref=customer_ref,
                customer_name=customer_name,
                name=email,
                email=email,
            )
        out.tickets.append(
            TicketRecord(
                external_id=ticket_id,
                reference=f"#{ticket_id}",
                customer_ref=customer_ref,
                customer_name=customer_name,
                contact_ref=contact_ref,
                subject=str(ticket.get("title") or "").strip() or f"Ticket {ticket_id}",
                description=str(ticket.get("description") or ""),
                created_at=created_at,
                status=status,
                priority=PRIORITIES.get(int(ticket.get("priority") or 3), 3),
                channel="email" if opening.get("message_id") else "portal",
                first_response_at=first_response,
                resolved_at=lifecycle.resolved_at,
                closed_at=lifecycle.closed_at,
                reopen_count=lifecycle.reopen_count,
            )
        )
        out.time_entries.extend(_time_entries(ticket_id, followups, billing))
    out.contacts = list(contacts.values())
    return out


def _status_changes(
    ticket_id: str,
    created_at: datetime,
    opening: Mapping[str, Any],
    later: list[tuple[datetime, Mapping[str, Any]]],
) -> list[StatusChangeRecord]:
    """ "Opened" at creation, then each follow-up that set a new status."""
    changes = [
        StatusChangeRecord(
            external_id=f"ticket-{ticket_id}-opened",
            ticket_ref=ticket_id,
            changed_at=created_at,
            status="new",
            source_status=str(opening.get("title") or "Opened"),
        )
    ]
    for when, followup in later:
        new_status = followup.get("new_status")
        if new_status is None:
            continue
        changes.append(
            StatusChangeRecord(
                external_id=f"followup-{followup['id']}",
                ticket_ref=ticket_id,
                changed_at=when,
                status=ticket_status(new_status),
                source_status=STATUS_NAMES.get(int(new_status), str(new_status)),
            )
        )
    return changes


def _time_entries(
    ticket_id: str, followups: list[tuple[datetime, Mapping[str, Any]]], billing: str
) -> list[TimeEntryRecord]:
    """A time entry for each follow-up with time spent."""
    entries = []
    for when, followup in followups:
        minutes = minutes_spent(followup.get("time_spent"))
        if minutes <= 0:
            continue
        user = followup.get("user")
        entries.append(
            TimeEntryRecord(
                external_id=f"followup-{followup['id']}",
                ticket_ref=ticket_id,
                started_at=when,
                minutes=minutes,
                billing=billing,
                technician=f"helpdesk user #{user}" if user is not None else "",
                description=str(followup.get("title") or ""),
            )
        )
    return entries
