"""One ConnectWise sync: companies, agreements, tickets and time entries changed since last time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from solidground.contracts.models import Contract
from solidground.importers.records import ImportBatch, Kind
from solidground.importers.sources.common import (
    NoProgress,
    SyncOutcome,
    SyncProgress,
    cursor_instant,
    iso,
    newest,
    write_sync,
)
from solidground.importers.sources.connectwise.client import ConnectWiseClient
from solidground.importers.sources.connectwise.mapping import (
    CONTACT_FIELDS,
    CONTRACT_FIELDS,
    CUSTOMER_FIELDS,
    SOURCE,
    STATUS_CHANGE_FIELDS,
    TICKET_FIELDS,
    TIME_ENTRY_FIELDS,
    ConnectWiseRecords,
    map_agreements,
    map_companies,
    map_tickets,
    map_time_entries,
)
from solidground.service.models import Ticket

# Cursor kind -> (API path, label). Each cursor is the newest ``_info.lastUpdated`` seen.
RESOURCES: dict[str, tuple[str, str]] = {
    "companies": ("company/companies", "ConnectWise companies"),
    "agreements": ("finance/agreements", "ConnectWise agreements"),
    "tickets": ("service/tickets", "ConnectWise service tickets"),
    "time_entries": ("time/entries", "ConnectWise time entries"),
}


def _last_updated(record: dict[str, Any]) -> object:
    info = record.get("_info")
    return info.get("lastUpdated") if isinstance(info, dict) else None


def _stored(model: type[Contract] | type[Ticket]) -> set[str]:
    """External ids of this source's records already in the store."""
    ids = model.objects.filter(source=SOURCE).values_list("external_id", flat=True)
    return {external_id for external_id in ids if external_id}


def sync_connectwise(
    client: ConnectWiseClient,
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: SyncProgress | None = None,
) -> SyncOutcome:
    progress = progress or NoProgress()
    fetched: dict[str, list[dict[str, Any]]] = {}
    cursors: dict[str, datetime | None] = {}
    for kind, (path, label) in RESOURCES.items():
        since = None if full else cursor_instant(SOURCE, kind)
        cursors[kind] = since
        progress.step(label + (f" changed since {iso(since)}" if since else ""))
        fetched[kind] = []
        for page in client.pages(path, updated_since=since):
            fetched[kind].extend(page)
            progress.advance(len(page))

    out = ConnectWiseRecords()
    out.customers = map_companies(fetched["companies"])
    out.contracts = map_agreements(fetched["agreements"], out)
    # References to agreements and tickets synced earlier resolve through the store; ones that
    # are neither there nor in this batch (another board, a deleted agreement) are left empty
    # instead of rejecting the whole ticket or time entry.
    known_contracts = {record.external_id for record in out.contracts} | _stored(Contract)
    map_tickets(fetched["tickets"], out, known_contracts=known_contracts)
    known_tickets = {record.external_id for record in out.tickets} | _stored(Ticket)
    map_time_entries(fetched["time_entries"], out, known_tickets=known_tickets)

    batch = ImportBatch(source=SOURCE)
    batch.extend(out.all())
    supplied: dict[Kind, frozenset[str]] = {
        "customers": CUSTOMER_FIELDS,
        "contacts": CONTACT_FIELDS,
        "contracts": CONTRACT_FIELDS,
        "tickets": TICKET_FIELDS,
        "status_changes": STATUS_CHANGE_FIELDS,
        "time_entries": TIME_ENTRY_FIELDS,
    }
    batch.supplied_fields = supplied
    for kind, records in fetched.items():
        latest = newest((_last_updated(record) for record in records), after=cursors[kind])
        if latest is not None:
            batch.cursors[kind] = iso(latest)
    return write_sync(
        batch,
        skipped=out.skipped,
        requests=client.api.requests_sent,
        dry_run=dry_run,
        label=f"ConnectWise {client.base_url}",
    )
