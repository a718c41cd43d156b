"""ConnectWise Manage API JSON -> canonical records (see doc.md beside this file)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from solidground.importers.records import (
    ContactRecord,
    ContractRecord,
    CustomerRecord,
    StatusChangeRecord,
    TicketRecord,
    TimeEntryRecord,
)
from solidground.importers.sources.common import (
    channel_from_name,
    minutes_from_hours,
    parse_instant,
    priority_from_name,
    status_from_name,
)

SOURCE = "connectwise"
CLIENT_TYPE_WORDS = ("client", "customer", "kunde")
# Time charged to these is the provider's own (admin, training, sales): not work for a customer.
NOT_CUSTOMER_WORK = frozenset({"ChargeCode", "Activity"})
CENT = Decimal("0.01")
MONTHS_PER_CYCLE: dict[str, int] = {
    "monthly": 1,
    "calendarmonth": 1,
    "contract4weeks": 1,
    "quarterly": 3,
    "calendarquarter": 3,
    "contractquarter": 3,
    "semiannual": 6,
    "semi-annual": 6,
    "annual": 12,
    "yearly": 12,
    "calendaryear": 12,
    "contractyear": 12,
}

CUSTOMER_FIELDS = frozenset({"name", "customer_since"})
CONTACT_FIELDS = frozenset({"name", "email", "phone"})
CONTRACT_FIELDS = frozenset(
    {
        "name",
        "kind_of_contract",
        "status",
        "start_date",
        "end_date",
        "monthly_fee",
        "included_hours_per_month",
    }
)
TICKET_FIELDS = frozenset(
    {
        "subject",
        "reference",
        "created_at",
        "status",
        "priority",
        "category",
        "channel",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "billable",
        "contact_ref",
        "contract_ref",
    }
)
STATUS_CHANGE_FIELDS = frozenset({"changed_at", "status", "source_status"})
TIME_ENTRY_FIELDS = frozenset(
    {
        "started_at",
        "minutes",
        "billing",
        "technician",
        "billed_amount",
        "description",
        "customer_ref",
        "ticket_ref",
    }
)


@dataclass
class ConnectWiseRecords:
    customers: list[CustomerRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    contracts: list[ContractRecord] = field(default_factory=list)
    tickets: list[TicketRecord] = field(default_factory=list)
    status_changes: list[StatusChangeRecord] = field(default_factory=list)
    time_entries: list[TimeEntryRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def all(self) -> Iterable[Any]:
        yield from self.customers
        yield from self.contacts
        yield from self.contracts
        yield from self.tickets
        yield from self.status_changes
        yield from self.time_entries


def _name(reference: object) -> str:
    return str(reference.get("name") or "") if isinstance(reference, Mapping) else ""


def _id(reference: object) -> str | None:
    if isinstance(reference, Mapping) and reference.get("id") is not None:
        return str(reference["id"])
    return None


def _info(record: Mapping[str, Any], key: str) -> Any:
    info = record.get("_info")
    return info.get(key) if isinstance(info, Mapping) else None


def _date(value: object) -> date | None:
    instant = parse_instant(value)
    return instant.date() if instant else None


def _money(value: object) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _type_names(company: Mapping[str, Any]) -> list[str]:
    types = company.get("types")
    if isinstance(types, list):
        return [_name(item) for item in types]
    return [_name(company.get("type"))]  # releases before 2019.3 had one type


def map_companies(companies: Iterable[Mapping[str, Any]]) -> list[CustomerRecord]:
    """Client companies (type Client/Customer/Kunde), not deleted ones; others (vendors, the
    provider itself) appear only when a ticket, agreement or time entry names them."""
    records: list[CustomerRecord] = []
    for company in companies:
        if company.get("deletedFlag"):
            continue
        types = " ".join(_type_names(company)).lower()
        if not any(word in types for word in CLIENT_TYPE_WORDS):
            continue
        name = str(company.get("name") or "").strip()
        if not name:
            continue
        records.append(
            CustomerRecord(
                external_id=str(company["id"]),
                name=name,
                customer_since=_date(company.get("dateAcquired")),
            )
        )
    return records


def _contract_kind(agreement: Mapping[str, Any]) -> str:
    type_name = _name(agreement.get("type")).lower()
    if any(word in type_name for word in ("managed", "flat", "pauschal", "msp")):
        return "managed"
    if any(word in type_name for word in ("t&m", "time and material", "time & material")):
        return "time_material"
    if any(word in type_name for word in ("block", "prepaid", "kontingent", "retainer")):
        return "block_hours"
    units = str(agreement.get("applicationUnits") or "").lower()
    if units == "hours" and not agreement.get("applicationUnlimitedFlag"):
        return "block_hours"
    return "managed"


def _per_month(value: Decimal, cycle: str) -> Decimal:
    months = MONTHS_PER_CYCLE.get(cycle.replace(" ", "").lower(), 1)
    return (value / months).quantize(CENT, rounding=ROUND_HALF_UP)


def map_agreements(
    agreements: Iterable[Mapping[str, Any]], out: ConnectWiseRecords
) -> list[ContractRecord]:
    records: list[ContractRecord] = []
    for agreement in agreements:
        company_ref = _id(agreement.get("company"))
        start = _date(agreement.get("startDate"))
        label = f"ConnectWise agreement {agreement.get('id')} ({agreement.get('name')})"
        if company_ref is None or start is None:
            out.skipped.append(f"{label} was skipped: it has no company or no start date.")
            continue
        if agreement.get("cancelledFlag"):
            status = "cancelled"
        elif str(agreement.get("agreementStatus") or "").lower() in ("expired", "inactive"):
            status = "ended"
        else:
            status = "active"
        billing_cycle = _name(agreement.get("billingCycle"))
        units = str(agreement.get("applicationUnits") or "").lower()
        hours = Decimal("0")
        if units == "hours" and not agreement.get("applicationUnlimitedFlag"):
            hours = _per_month(
                _money(agreement.get("applicationLimit")),
                str(agreement.get("applicationCycle") or ""),
            )
        end = None if agreement.get("noEndingDateFlag") else _date(agreement.get("endDate"))
        records.append(
            ContractRecord(
                external_id=str(agreement["id"]),
                customer_ref=company_ref,
                customer_name=_name(agreement.get("company")) or None,
                name=str(agreement.get("name") or f"Agreement {agreement['id']}"),
                kind_of_contract=_contract_kind(agreement),
                status=status,
                start_date=start,
                end_date=end,
                monthly_fee=_per_month(_money(agreement.get("billAmount")), billing_cycle),
                included_hours_per_month=hours,
            )
        )
    return records


def ticket_status(ticket: Mapping[str, Any]) -> str:
    if ticket.get("closedFlag"):
        return "closed"
    return status_from_name(_name(ticket.get("status")))


def map_tickets(
    tickets: Iterable[Mapping[str, Any]],
    out: ConnectWiseRecords,
    *,
    known_contracts: Collection[str],
) -> None:
    """Tickets, their contacts, and the status changes the ticket itself dates.

    ConnectWise keeps a ticket's full status history only in its audit trail; the ticket
    gives when it was entered, responded to, resolved and closed, and those become the status
    changes here (no pauses).
    """
    contacts: dict[str, ContactRecord] = {}
    for ticket in tickets:
        ticket_id = str(ticket["id"])
        company_ref = _id(ticket.get("company"))
        created_at = parse_instant(_info(ticket, "dateEntered") or ticket.get("dateEntered"))
        if company_ref is None or created_at is None:
            out.skipped.append(
                f"ConnectWise ticket #{ticket_id} was skipped: it has no company or no entry date."
            )
            continue
        status = ticket_status(ticket)
        responded = parse_instant(ticket.get("dateResponded"))
        resolved = parse_instant(ticket.get("dateResolved"))
        closed = parse_instant(ticket.get("closedDate"))
        done = status in ("resolved", "closed")
        resolved_at = (resolved or closed) if done else None
        closed_at = closed if status == "closed" else None
        contact_ref = _id(ticket.get("contact"))
        if contact_ref is not None:
            contacts[contact_ref] = ContactRecord(
                external_id=contact_ref,
                customer_ref=company_ref,
                customer_name=_name(ticket.get("company")) or None,
                name=str(ticket.get("contactName") or _name(ticket.get("contact"))),
                email=str(ticket.get("contactEmailAddress") or ""),
                phone=str(ticket.get("contactPhoneNumber") or ""),
            )
        agreement_ref = _id(ticket.get("agreement"))
        category = _name(ticket.get("type"))
        if _name(ticket.get("subType")):
            category = f"{category} / {_name(ticket.get('subType'))}"
        out.tickets.append(
            TicketRecord(
                external_id=ticket_id,
                reference=f"#{ticket_id}",
                customer_ref=company_ref,
                customer_name=_name(ticket.get("company")) or None,
                contact_ref=contact_ref,
                contract_ref=agreement_ref if agreement_ref in known_contracts else None,
                subject=str(ticket.get("summary") or "").strip() or f"Ticket {ticket_id}",
                created_at=created_at,
                status=status,
                priority=priority_from_name(_name(ticket.get("priority"))),
                category=category,
                channel=channel_from_name(_name(ticket.get("source"))),
                first_response_at=max(responded, created_at) if responded else None,
                resolved_at=max(resolved_at, created_at) if resolved_at else None,
                closed_at=max(closed_at, created_at) if closed_at else None,
                billable=str(ticket.get("billTime") or "") == "Billable",
            )
        )
        moments = [("entered", created_at, "new", "New")]
        if resolved_at is not None:
            moments.append(("resolved", max(resolved_at, created_at), "resolved", "Resolved"))
        if closed_at is not None:
            moments.append(("closed", max(closed_at, created_at), "closed", "Closed"))
        for key, when, our_status, name in moments:
            out.status_changes.append(
                StatusChangeRecord(
                    external_id=f"{ticket_id}-{key}",
                    ticket_ref=ticket_id,
                    changed_at=when,
                    status=our_status,
                    source_status=name,
                )
            )
    out.contacts.extend(contacts.values())


def time_billing(entry: Mapping[str, Any]) -> str:
    """Our billing for a time entry's ``billableOption`` (and agreement, work type)."""
    if "intern" in _name(entry.get("workType")).lower():
        return "internal"
    option = str(entry.get("billableOption") or "NoDefault")
    covered = entry.get("agreement") is not None
    if option in ("NoCharge", "DoNotBill"):
        return "goodwill"
    if option == "Billable":
        return "included" if covered else "billed"
    return "included" if covered else "billed"  # NoDefault: what the work type would do


def map_time_entries(
    entries: Iterable[Mapping[str, Any]],
    out: ConnectWiseRecords,
    *,
    known_tickets: Collection[str],
) -> None:
    skipped_internal = 0
    for entry in entries:
        charge_type = str(entry.get("chargeToType") or "")
        if charge_type in NOT_CUSTOMER_WORK:
            skipped_internal += 1
            continue
        label = f"ConnectWise time entry {entry.get('id')}"
        company_ref = _id(entry.get("company"))
        started_at = parse_instant(entry.get("timeStart"))
        minutes = minutes_from_hours(entry.get("actualHours"))
        ended_at = parse_instant(entry.get("timeEnd"))
        if not minutes and started_at and ended_at:
            minutes = round((ended_at - started_at).total_seconds() / 60)
        if company_ref is None or started_at is None or minutes <= 0:
            out.skipped.append(
                f"{label} was skipped: it has no company, no start or no positive duration."
            )
            continue
        ticket_ref = str(entry.get("chargeToId")) if charge_type == "ServiceTicket" else None
        billing = time_billing(entry)
        amount: Decimal | None = None
        if billing == "billed":
            if entry.get("extendedInvoiceAmount") is not None:
                amount = _money(entry.get("extendedInvoiceAmount"))
            else:
                hours = Decimal(str(entry.get("hoursBilled") or 0))
                amount = _money(hours * Decimal(str(entry.get("hourlyRate") or 0)))
        member = entry.get("member")
        out.time_entries.append(
            TimeEntryRecord(
                external_id=str(entry["id"]),
                customer_ref=company_ref,
                customer_name=_name(entry.get("company")) or None,
                ticket_ref=ticket_ref if ticket_ref in known_tickets else None,
                started_at=started_at,
                minutes=minutes,
                billing=billing,
                billed_amount=amount,
                technician=_name(member)
                or str(member.get("identifier") if isinstance(member, Mapping) else ""),
                description=str(entry.get("notes") or ""),
            )
        )
    if skipped_internal:
        out.skipped.append(
            f"{skipped_internal} ConnectWise time entries charged to charge codes or activities "
            "(the provider's own time) were left out."
        )
