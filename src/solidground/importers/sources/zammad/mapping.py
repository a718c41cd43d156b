"""Zammad API JSON -> canonical records (see doc.md beside this file for the table)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from solidground.importers.records import (
    ContactRecord,
    CustomerRecord,
    StatusChangeRecord,
    TicketRecord,
    TimeEntryRecord,
)
from solidground.importers.sources.common import (
    billing_from_name,
    channel_from_name,
    parse_instant,
    priority_from_name,
    status_from_name,
    ticket_lifecycle,
)

SOURCE = "zammad"

# Zammad's default state names, and its state types for states a provider named freely.
DEFAULT_STATES: dict[str, str] = {
    "new": "new",
    "open": "open",
    "pending reminder": "waiting_customer",
    "pending close": "resolved",
    "closed": "closed",
    "merged": "closed",
    "removed": "closed",
}
STATE_TYPES: dict[str, str] = {
    "new": "new",
    "open": "open",
    "pending reminder": "waiting_customer",
    "pending action": "waiting_customer",
    "closed": "closed",
    "merged": "closed",
    "removed": "closed",
}
# Zammad seeds state types with these ids; ticket_states without expand give only the id.
STATE_TYPE_IDS: dict[int, str] = {
    1: "new",
    2: "open",
    3: "pending reminder",
    4: "pending action",
    5: "closed",
    6: "merged",
    7: "removed",
}
DEFAULT_PRIORITIES: dict[str, int] = {"1 low": 4, "2 normal": 3, "3 high": 2}
# Zammad's seeded article types, for tickets returned without expanded names.
ARTICLE_TYPE_IDS: dict[int, str] = {1: "email", 2: "sms", 3: "chat", 4: "fax", 5: "phone"}
ARTICLE_TYPE_IDS.update({10: "note", 11: "web"})
CUSTOMER_ROLE_ID = 3

TICKET_FIELDS = frozenset(
    {
        "subject",
        "created_at",
        "status",
        "priority",
        "reference",
        "category",
        "channel",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "contact_ref",
    }
)
CUSTOMER_FIELDS = frozenset({"name"})
CONTACT_FIELDS = frozenset({"name", "email", "phone"})
STATUS_CHANGE_FIELDS = frozenset({"changed_at", "status", "source_status"})
TIME_ENTRY_FIELDS = frozenset({"started_at", "minutes", "billing", "technician", "ticket_ref"})


@dataclass
class ZammadPayloads:
    """What one sync fetched, as the API returned it."""

    organizations: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    priorities: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    histories: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    time_accountings: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    time_accounting_types: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ZammadRecords:
    customers: list[CustomerRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    tickets: list[TicketRecord] = field(default_factory=list)
    status_changes: list[StatusChangeRecord] = field(default_factory=list)
    time_entries: list[TimeEntryRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def state_status(name: str, state_type: str = "") -> str:
    """Our status for a Zammad state name (and its state type, for custom states)."""
    lowered = name.strip().lower()
    if lowered in DEFAULT_STATES:
        return DEFAULT_STATES[lowered]
    by_keyword = status_from_name(lowered, default="")
    if by_keyword:
        return by_keyword
    return STATE_TYPES.get(state_type.strip().lower(), "open")


def priority_value(name: str) -> int:
    lowered = name.strip().lower()
    return DEFAULT_PRIORITIES.get(lowered) or priority_from_name(lowered)


def _name_by_id(items: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    return {int(item["id"]): str(item.get("name") or "") for item in items if "id" in item}


def _user_name(user: Mapping[str, Any]) -> str:
    name = f"{user.get('firstname') or ''} {user.get('lastname') or ''}".strip()
    return name or str(user.get("email") or user.get("login") or f"user {user.get('id')}")


def _is_customer_user(user: Mapping[str, Any]) -> bool:
    if user.get("organization_id") is None:
        return False
    roles = user.get("roles")
    if isinstance(roles, list) and roles:
        return "Customer" in roles
    return CUSTOMER_ROLE_ID in (user.get("role_ids") or [])


def map_organizations(
    organizations: Iterable[Mapping[str, Any]], *, changed_since: datetime | None
) -> list[CustomerRecord]:
    """Organizations updated since the last sync (all on the first) as customers.

    Unchanged organizations are left out so the analysis re-runs only for customers that
    changed; a ticket of an organization not sent here still finds its customer by reference.
    """
    records: list[CustomerRecord] = []
    for org in organizations:
        updated = parse_instant(org.get("updated_at"))
        if changed_since is not None and updated is not None and updated <= changed_since:
            continue
        name = str(org.get("name") or "").strip()
        if not name:
            continue
        records.append(CustomerRecord(external_id=str(org["id"]), name=name))
    return records


def map_users(
    users: Iterable[Mapping[str, Any]], organization_names: Mapping[int, str]
) -> list[ContactRecord]:
    records: list[ContactRecord] = []
    for user in users:
        if not _is_customer_user(user):
            continue
        org_id = int(user["organization_id"])
        records.append(
            ContactRecord(
                external_id=str(user["id"]),
                customer_ref=str(org_id),
                customer_name=organization_names.get(org_id),
                name=_user_name(user),
                email=str(user.get("email") or ""),
                phone=str(user.get("phone") or user.get("mobile") or ""),
            )
        )
    return records


def map_payloads(payloads: ZammadPayloads, *, minutes_per_unit: float = 1.0) -> ZammadRecords:
    """Tickets with their status history and time accounting (customers/contacts: see above)."""
    out = ZammadRecords()
    org_names = _name_by_id(payloads.organizations)
    users = {int(u["id"]): u for u in payloads.users if "id" in u}
    contact_ids = {uid for uid, user in users.items() if _is_customer_user(user)}
    states = {int(s["id"]): s for s in payloads.states if "id" in s}
    priorities = _name_by_id(payloads.priorities)
    type_names = _name_by_id(payloads.time_accounting_types)

    def status_of(state_id: object, name: object) -> tuple[str, str]:
        state = states.get(int(str(state_id))) if state_id is not None else None
        state_name = str((state or {}).get("name") or name or "")
        state_type = str(
            (state or {}).get("state_type")
            or STATE_TYPE_IDS.get(int((state or {}).get("state_type_id") or 0), "")
        )
        return state_name, state_status(state_name, state_type)

    for ticket in payloads.tickets:
        ticket_id = int(ticket["id"])
        label = f"Zammad ticket #{ticket.get('number') or ticket_id}"
        org_id = ticket.get("organization_id")
        if org_id is None:
            out.skipped.append(
                f"{label} was skipped: its customer belongs to no organization, so it has no "
                "customer in Solidground (assign the user to an organization in Zammad)."
            )
            continue
        created_at = parse_instant(ticket.get("created_at"))
        if created_at is None:
            out.skipped.append(f"{label} was skipped: it has no created_at.")
            continue
        source_state, status = status_of(ticket.get("state_id"), ticket.get("state"))
        priority_name = priorities.get(int(ticket.get("priority_id") or 0)) or str(
            ticket.get("priority") or ""
        )

        history = payloads.histories.get(ticket_id, [])
        changes = _status_changes(ticket_id, history, status_of, created_at)
        _add_creation_state(
            changes, ticket_id, history, status_of, created_at, source_state, status
        )
        out.status_changes.extend(changes)
        close_at = parse_instant(ticket.get("close_at"))
        lifecycle = ticket_lifecycle(
            [(change.changed_at, change.status) for change in changes],
            current_status=status,
            created_at=created_at,
            fallback_done_at=close_at or parse_instant(ticket.get("updated_at")),
        )
        first_response = parse_instant(ticket.get("first_response_at"))
        customer_id = ticket.get("customer_id")
        out.tickets.append(
            TicketRecord(
                external_id=str(ticket_id),
                reference=str(ticket.get("number") or ""),
                customer_ref=str(org_id),
                customer_name=org_names.get(int(org_id)) or ticket.get("organization"),
                contact_ref=str(customer_id) if customer_id in contact_ids else None,
                subject=str(ticket.get("title") or "").strip() or f"Ticket {ticket_id}",
                created_at=created_at,
                status=status,
                priority=priority_value(priority_name) if priority_name else 3,
                category=str(ticket.get("type") or ""),
                channel=_channel(ticket),
                first_response_at=max(first_response, created_at) if first_response else None,
                resolved_at=lifecycle.resolved_at,
                closed_at=lifecycle.closed_at,
                reopen_count=lifecycle.reopen_count,
            )
        )
        for entry in payloads.time_accountings.get(ticket_id, []):
            record = _time_entry(entry, ticket_id, users, type_names, minutes_per_unit, out)
            if record is not None:
                out.time_entries.append(record)
    return out


def _add_creation_state(
    changes: list[StatusChangeRecord],
    ticket_id: int,
    history: list[dict[str, Any]],
    status_of: Callable[[object, object], tuple[str, str]],
    created_at: datetime,
    source_state: str,
    status: str,
) -> None:
    """Put the state the ticket was created in first, unless a change already starts there:
    what its first change left, else (no change at all) the state it still has."""
    if changes and changes[0].changed_at <= created_at:
        return
    initial = _initial_status(history, status_of)
    if initial is None:
        initial = ("new", "new") if changes else (source_state, status)
    changes.insert(
        0,
        StatusChangeRecord(
            external_id=f"ticket-{ticket_id}-created",
            ticket_ref=str(ticket_id),
            changed_at=created_at,
            status=initial[1],
            source_status=initial[0],
        ),
    )


def _channel(ticket: Mapping[str, Any]) -> str:
    name = ticket.get("create_article_type")
    if not name:
        name = ARTICLE_TYPE_IDS.get(int(ticket.get("create_article_type_id") or 0), "")
    return channel_from_name(str(name)) if name else "other"


def _state_entries(history: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        entry
        for entry in history
        if entry.get("object") == "Ticket"
        and entry.get("attribute") == "state"
        and entry.get("type") in ("updated", "created")
        and entry.get("created_at")
    ]


def _initial_status(history: Sequence[Mapping[str, Any]], status_of: Any) -> tuple[str, str] | None:
    entries = _state_entries(history)
    if not entries:
        return None
    first = entries[0]
    if first.get("value_from") is None and first.get("id_from") is None:
        return None
    result: tuple[str, str] = status_of(first.get("id_from"), first.get("value_from"))
    return result


def _status_changes(
    ticket_id: int,
    history: Sequence[Mapping[str, Any]],
    status_of: Any,
    created_at: datetime,
) -> list[StatusChangeRecord]:
    records: list[StatusChangeRecord] = []
    for entry in _state_entries(history):
        changed_at = parse_instant(entry.get("created_at"))
        if changed_at is None:
            continue
        name, status = status_of(entry.get("id_to"), entry.get("value_to"))
        records.append(
            StatusChangeRecord(
                external_id=f"history-{entry['id']}",
                ticket_ref=str(ticket_id),
                changed_at=max(changed_at, created_at),
                status=status,
                source_status=name,
            )
        )
    records.sort(key=lambda record: record.changed_at)
    return records


def _time_entry(
    entry: Mapping[str, Any],
    ticket_id: int,
    users: Mapping[int, Mapping[str, Any]],
    type_names: Mapping[int, str],
    minutes_per_unit: float,
    out: ZammadRecords,
) -> TimeEntryRecord | None:
    units = float(str(entry.get("time_unit") or 0))
    minutes = round(units * minutes_per_unit)
    if minutes <= 0:
        out.skipped.append(
            f"Zammad time accounting {entry.get('id')} on ticket {ticket_id} was skipped: "
            f"{entry.get('time_unit')} units is not a positive duration."
        )
        return None
    started_at = parse_instant(entry.get("created_at"))
    if started_at is None:
        return None
    type_id = entry.get("type_id")
    type_name = type_names.get(int(type_id)) if type_id is not None else None
    author = users.get(int(entry.get("created_by_id") or 0))
    return TimeEntryRecord(
        external_id=str(entry["id"]),
        ticket_ref=str(ticket_id),
        started_at=started_at,
        minutes=minutes,
        billing=billing_from_name(type_name) if type_name else "included",
        technician=_user_name(author) if author else "",
    )
