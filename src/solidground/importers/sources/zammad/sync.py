"""One Zammad sync: fetch what changed since the stored cursor, map it, write it."""

from __future__ import annotations

from solidground.importers.records import ImportBatch
from solidground.importers.sources.common import (
    NoProgress,
    SyncOutcome,
    SyncProgress,
    cursor_instant,
    iso,
    newest,
    write_sync,
)
from solidground.importers.sources.zammad.client import ZammadClient
from solidground.importers.sources.zammad.mapping import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    SOURCE,
    STATUS_CHANGE_FIELDS,
    TICKET_FIELDS,
    TIME_ENTRY_FIELDS,
    ZammadPayloads,
    map_organizations,
    map_payloads,
    map_users,
)


def sync_zammad(
    client: ZammadClient,
    *,
    full: bool = False,
    minutes_per_unit: float = 1.0,
    dry_run: bool = False,
    progress: SyncProgress | None = None,
) -> SyncOutcome:
    """Sync tickets (with history and time accounting), organizations and customer users.

    Tickets: those updated since the ``tickets`` cursor (all on the first sync or with
    ``full``). Organizations and users are small and read whole; only organizations changed
    since their cursor are written as customers. ``minutes_per_unit``: Zammad's time
    accounting unit in minutes (1 unless the admin set the unit to hours, quarters, ...).
    """
    progress = progress or NoProgress()
    tickets_since = None if full else cursor_instant(SOURCE, "tickets")
    orgs_since = None if full else cursor_instant(SOURCE, "organizations")

    payloads = ZammadPayloads()
    progress.step("Zammad organizations")
    for org in client.organizations():
        payloads.organizations.append(org)
        progress.advance()
    progress.step("Zammad users")
    for user in client.users():
        payloads.users.append(user)
        progress.advance()
    progress.step("Zammad states and priorities")
    payloads.states = client.ticket_states()
    payloads.priorities = client.ticket_priorities()
    payloads.time_accounting_types = client.time_accounting_types()

    label = "Zammad tickets" + (f" changed since {iso(tickets_since)}" if tickets_since else "")
    progress.step(label)
    for page in client.ticket_pages(updated_since=tickets_since):
        payloads.tickets.extend(page)
        progress.advance(len(page))

    progress.step("Zammad history and time accounting", total=len(payloads.tickets))
    for ticket in payloads.tickets:
        ticket_id = int(ticket["id"])
        payloads.histories[ticket_id] = client.ticket_history(ticket_id)
        payloads.time_accountings[ticket_id] = client.time_accountings(ticket_id)
        progress.advance()

    org_names = {int(org["id"]): str(org.get("name") or "") for org in payloads.organizations}
    mapped = map_payloads(payloads, minutes_per_unit=minutes_per_unit)
    batch = ImportBatch(source=SOURCE)
    batch.extend(map_organizations(payloads.organizations, changed_since=orgs_since))
    batch.extend(map_users(payloads.users, org_names))
    batch.extend(mapped.tickets)
    batch.extend(mapped.status_changes)
    batch.extend(mapped.time_entries)
    batch.supplied_fields = {
        "customers": CUSTOMER_FIELDS,
        "contacts": CONTACT_FIELDS,
        "tickets": TICKET_FIELDS,
        "status_changes": STATUS_CHANGE_FIELDS,
        "time_entries": TIME_ENTRY_FIELDS,
    }
    latest_ticket = newest((t.get("updated_at") for t in payloads.tickets), after=tickets_since)
    if latest_ticket is not None:
        batch.cursors["tickets"] = iso(latest_ticket)
    latest_org = newest((o.get("updated_at") for o in payloads.organizations), after=orgs_since)
    if latest_org is not None:
        batch.cursors["organizations"] = iso(latest_org)
    return write_sync(
        batch,
        skipped=mapped.skipped,
        requests=client.api.requests_sent,
        dry_run=dry_run,
        label=f"Zammad {client.base_url}",
    )
