"""The webhook payloads as import records: Zammad's trigger webhook (checked against its
HMAC signature) and ConnectWise Manage's ticket callbacks (checked against the URL's key).

The mapping reuses the connectors' own (``importers/sources/``, the same functions as
``solidground sync``); it only reshapes the webhook's JSON into what those read. A payload that
is not what the tool sends is refused with 422 naming the field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from solidground.api.webhook_delivery import (
    CONNECTWISE_ACTIONS,
    ZAMMAD_SIGNATURE_HEADER,
    Refused,
    _cannot_read,
)
from solidground.contracts.models import Contract
from solidground.importers.records import ImportBatch
from solidground.importers.sources.common import parse_instant
from solidground.importers.sources.connectwise import mapping as cw
from solidground.importers.sources.zammad import mapping as zammad

# --- Zammad ---------------------------------------------------------------------------------


@dataclass
class MappedDelivery:
    batch: ImportBatch
    skipped: list[str] = field(default_factory=list)


def zammad_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` Zammad sends: HMAC-SHA1 of the raw body with the secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()
    return f"sha1={digest}"


def verify_zammad_signature(secret: str, body: bytes, header: str | None) -> None:
    if not header:
        raise Refused(
            401,
            _(
                "The X-Hub-Signature header is missing: set the HMAC SHA1 signature token of "
                "the webhook in Zammad to the shared secret."
            ),
            field=ZAMMAD_SIGNATURE_HEADER,
        )
    expected = zammad_signature(secret, body)
    # Constant-time: a timing difference must not reveal how much of a guess was right.
    if not hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode()):
        raise Refused(
            401,
            _("The X-Hub-Signature signature does not match the body and the shared secret."),
            field=ZAMMAD_SIGNATURE_HEADER,
        )


def _as_object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refused(422, _("%(field)s must be a JSON object.") % {"field": name}, field=name)
    return value


def _instant_field(ticket: Mapping[str, Any], key: str, *, required: bool) -> None:
    name = f"ticket.{key}"
    try:
        value = parse_instant(ticket.get(key))
    except ValueError as exc:
        raise Refused(422, _instant_error(name, exc), field=name) from None
    if value is None and required:
        raise Refused(422, _("%(field)s is missing.") % {"field": name}, field=name)


def _instant_error(name: str, exc: Exception) -> str:
    return _("%(field)s must be a date and time with a time zone offset: %(error)s.") % {
        "field": name,
        "error": exc,
    }


def _not_an_id(name: str) -> Refused:
    return Refused(422, _("%(field)s must be a numeric id.") % {"field": name}, field=name)


def _name_of(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or "")
    return "" if value is None else str(value)


def map_zammad_webhook(payload: Mapping[str, Any]) -> MappedDelivery:
    """A trigger webhook's default payload (``{"ticket": {...}, "article": {...}}``) as records.

    Zammad sends the ticket with its associations as objects (organization, customer,
    priority, owner); they become the lists the sync's mapping reads. The delivery has no
    state history, so the ticket's current state becomes one status change at the time of
    the update (for a closed ticket: its last close); the sync later adds the full history.
    Reopens cannot be counted from one moment, so the stored reopen count is left as it is.
    """
    ticket, ticket_id, org_id, state_name = _checked_zammad_ticket(payload)
    payloads = _zammad_payloads(ticket, ticket_id, org_id, state_name)
    try:
        mapped = zammad.map_payloads(payloads)
        org_names = {int(o["id"]): str(o.get("name") or "") for o in payloads.organizations}
        contacts = zammad.map_users(payloads.users, org_names)
        customers = zammad.map_organizations(payloads.organizations, changed_since=None)
    except (ValueError, TypeError, KeyError) as exc:
        raise Refused(422, _cannot_read(exc), field="ticket") from None
    if not mapped.tickets:
        reason = mapped.skipped[0] if mapped.skipped else _("The ticket cannot be mapped.")
        field_name = "ticket.organization_id" if org_id is None else "ticket"
        raise Refused(422, reason, field=field_name)

    batch = ImportBatch(source=zammad.SOURCE)
    batch.extend(customers)
    batch.extend(contacts)
    batch.extend(mapped.tickets)
    batch.extend(mapped.status_changes)
    batch.supplied_fields = {
        "customers": zammad.CUSTOMER_FIELDS,
        "contacts": zammad.CONTACT_FIELDS,
        "tickets": zammad.TICKET_FIELDS - {"reopen_count"},
        "status_changes": zammad.STATUS_CHANGE_FIELDS,
    }
    return MappedDelivery(batch=batch, skipped=mapped.skipped)


def _checked_zammad_ticket(
    payload: Mapping[str, Any],
) -> tuple[dict[str, Any], int, Any, str]:
    """The delivery's ticket, its id, organisation id and state name, each checked."""
    ticket = _as_object(payload.get("ticket"), "ticket")
    if payload.get("article") is not None:
        _as_object(payload.get("article"), "article")
    raw_id = ticket.get("id")
    if isinstance(raw_id, bool) or not str(raw_id or "").strip().isdigit():
        raise _not_an_id("ticket.id")
    ticket_id = int(str(raw_id))
    _instant_field(ticket, "created_at", required=True)
    for key in ("updated_at", "first_response_at", "close_at", "last_close_at"):
        _instant_field(ticket, key, required=False)

    organization = ticket.get("organization")
    org_id = ticket.get("organization_id")
    if org_id is None and isinstance(organization, dict):
        org_id = organization.get("id")
    if org_id is not None and not str(org_id).strip().isdigit():
        raise _not_an_id("ticket.organization_id")
    state_name = _name_of(ticket.get("state"))
    if not state_name and ticket.get("state_id") is None:
        raise Refused(
            422, _("%(field)s is missing.") % {"field": "ticket.state"}, field="ticket.state"
        )
    for key in ("state_id", "priority_id", "customer_id", "create_article_type_id"):
        value = ticket.get(key)
        if value is not None and not str(value).strip().isdigit():
            raise _not_an_id(f"ticket.{key}")
    return ticket, ticket_id, org_id, state_name


def _zammad_payloads(
    ticket: dict[str, Any], ticket_id: int, org_id: Any, state_name: str
) -> zammad.ZammadPayloads:
    """The ticket as the sync's payloads, with its current state as one status change."""
    organization = ticket.get("organization")
    payloads = zammad.ZammadPayloads()
    if isinstance(organization, dict) and organization.get("id") is not None:
        payloads.organizations.append(organization)
    users: dict[int, dict[str, Any]] = {}
    for key in ("customer", "owner", "created_by", "updated_by"):
        user = ticket.get(key)
        if isinstance(user, dict) and str(user.get("id") or "").isdigit():
            users.setdefault(int(user["id"]), user)
    payloads.users = list(users.values())
    priority = ticket.get("priority")
    if isinstance(priority, dict) and priority.get("id") is not None:
        payloads.priorities.append(priority)
    state = ticket.get("state")
    if isinstance(state, dict) and state.get("id") is not None:
        payloads.states.append(state)

    # The ticket as the REST API gives it: associations by name, not as objects.
    flat = dict(ticket)
    flat["organization_id"] = int(str(org_id)) if org_id is not None else None
    flat["organization"] = _name_of(organization) or None
    flat["priority"] = _name_of(priority)
    flat["state"] = state_name
    payloads.tickets.append(flat)

    status = zammad.state_status(state_name) if state_name else "open"
    changed_at = ticket.get("updated_at") or ticket.get("created_at")
    if status == "closed" and ticket.get("last_close_at"):
        changed_at = ticket.get("last_close_at")
    moment = parse_instant(changed_at)
    assert moment is not None  # created_at is required above
    payloads.histories[ticket_id] = [
        {
            # The status change's external id is "history-" + this: one per state and moment,
            # so a replay or a second trigger on the same update changes nothing.
            "id": f"webhook-{ticket_id}-{ticket.get('state_id') or state_name}-"
            f"{int(moment.timestamp() * 1000)}",
            "object": "Ticket",
            "attribute": "state",
            "type": "updated",
            "created_at": changed_at,
            "id_to": ticket.get("state_id"),
            "value_to": state_name,
            "id_from": None,
            "value_from": None,
        }
    ]
    return payloads


# --- ConnectWise ----------------------------------------------------------------------------


def verify_connectwise_key(secret: str, key: str | None) -> None:
    if not key:
        raise Refused(
            401,
            _(
                "The callback URL has no key: register it as "
                "https://<your server>/api/v1/webhooks/connectwise?key=<shared secret>."
            ),
            field="key",
        )
    # Constant-time, as for the Zammad signature.
    if not hmac.compare_digest(secret.encode("utf-8"), key.encode("utf-8")):
        raise Refused(401, _("The key in the callback URL is wrong."), field="key")


def _known_contracts(agreement_id: str | None) -> set[str]:
    if agreement_id is None:
        return set()
    exists = Contract.objects.filter(source=cw.SOURCE, external_id=agreement_id).exists()
    return {agreement_id} if exists else set()


def map_connectwise_callback(payload: Mapping[str, Any]) -> MappedDelivery | None:
    """A callback's ticket (``Entity``, a JSON string) as records; None for a deletion.

    Deletions are not applied: records are never deleted by an import (importers/records.py),
    and a ticket deleted in ConnectWise keeps its history in Solidground.
    """
    action = str(payload.get("Action") or "").strip().lower()
    if action not in CONNECTWISE_ACTIONS:
        raise Refused(
            422,
            _("Action must be added, updated or deleted, not %(value)s.") % {"value": repr(action)},
            field="Action",
        )
    kind = str(payload.get("Type") or "").strip().lower()
    if kind != "ticket":
        raise Refused(
            422,
            _("Type %(value)s is not supported: register the callback for tickets (Type ticket).")
            % {"value": repr(kind)},
            field="Type",
        )
    if action == "deleted":
        return None
    entity = payload.get("Entity")
    if isinstance(entity, str):
        try:
            entity = json.loads(entity)
        except json.JSONDecodeError as exc:
            raise Refused(
                422,
                _("Entity is not the ticket as JSON: %(error)s.") % {"error": exc},
                field="Entity",
            ) from None
    ticket = _as_object(entity, "Entity")
    raw_id = ticket.get("id")
    if isinstance(raw_id, bool) or not str(raw_id or "").strip().isdigit():
        raise _not_an_id("Entity.id")
    company = ticket.get("company")
    if not isinstance(company, dict) or company.get("id") is None:
        raise Refused(
            422, _("%(field)s is missing.") % {"field": "Entity.company"}, field="Entity.company"
        )
    raw_info = ticket.get("_info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    for name, value in (
        ("Entity._info.dateEntered", info.get("dateEntered") or ticket.get("dateEntered")),
        ("Entity.dateResponded", ticket.get("dateResponded")),
        ("Entity.dateResolved", ticket.get("dateResolved")),
        ("Entity.closedDate", ticket.get("closedDate")),
    ):
        try:
            parse_instant(value)
        except ValueError as exc:
            raise Refused(422, _instant_error(name, exc), field=name) from None

    out = cw.ConnectWiseRecords()
    agreement = ticket.get("agreement")
    agreement_id = (
        str(agreement["id"])
        if isinstance(agreement, dict) and agreement.get("id") is not None
        else None
    )
    try:
        cw.map_tickets([ticket], out, known_contracts=_known_contracts(agreement_id))
    except (ValueError, TypeError, KeyError) as exc:
        raise Refused(422, _cannot_read(exc), field="Entity") from None
    if not out.tickets:
        reason = out.skipped[0] if out.skipped else _("The ticket cannot be mapped.")
        raise Refused(422, reason, field="Entity._info.dateEntered")
    batch = ImportBatch(source=cw.SOURCE)
    batch.extend(out.all())
    batch.supplied_fields = {
        "contacts": cw.CONTACT_FIELDS,
        "tickets": cw.TICKET_FIELDS,
        "status_changes": cw.STATUS_CHANGE_FIELDS,
    }
    return MappedDelivery(batch=batch, skipped=out.skipped)
