"""One django-helpdesk sync: every ticket with its follow-ups, through the REST API.

django-helpdesk's API cannot filter by change time, so every sync reads all tickets; the
writer's upsert makes that cheap in the store (unchanged rows are counted, not rewritten).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from solidground.importers.records import ImportBatch, Kind
from solidground.importers.sources.common import (
    NoProgress,
    SyncOutcome,
    SyncProgress,
    write_sync,
)
from solidground.importers.sources.django_helpdesk.client import HelpdeskClient
from solidground.importers.sources.django_helpdesk.mapping import (
    CONTACT_FIELDS,
    SOURCE,
    STATUS_CHANGE_FIELDS,
    TICKET_FIELDS,
    TIME_ENTRY_FIELDS,
    map_tickets,
)


def parse_queue_names(items: Iterable[str]) -> dict[int, str]:
    """``["3=Acme GmbH", "4=Beta AG"]`` -> ``{3: "Acme GmbH", 4: "Beta AG"}``; blanks ignored.

    >>> parse_queue_names(["3=Acme GmbH", " ", "4 = Beta AG"])
    {3: 'Acme GmbH', 4: 'Beta AG'}
    """
    names: dict[int, str] = {}
    for item in items:
        if not item.strip():
            continue
        queue, _, name = item.partition("=")
        if not queue.strip().isdigit() or not name.strip():
            raise ValueError(
                f"A queue name must look like 3=Acme GmbH (queue id, =, customer name), "
                f"not {item.strip()!r}."
            )
        names[int(queue)] = name.strip()
    return names


def sync_django_helpdesk(
    client: HelpdeskClient,
    *,
    queue_names: Mapping[int, str] | None = None,
    billing: str = "included",
    dry_run: bool = False,
    progress: SyncProgress | None = None,
) -> SyncOutcome:
    progress = progress or NoProgress()
    progress.step("django-helpdesk tickets")
    tickets: list[dict[str, Any]] = []
    for page in client.ticket_pages():
        tickets.extend(page)
        progress.advance(len(page))
    if tickets and not all("followup_set" in ticket for ticket in tickets):
        # Releases whose ticket serializer leaves follow-ups out: read them from their own list.
        progress.step("django-helpdesk follow-ups")
        by_ticket: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for page in client.followup_pages():
            for followup in page:
                by_ticket[str(followup.get("ticket"))].append(followup)
            progress.advance(len(page))
        for ticket in tickets:
            ticket["followup_set"] = by_ticket.get(str(ticket["id"]), [])

    out = map_tickets(tickets, queue_names=queue_names or {}, billing=billing)
    batch = ImportBatch(source=SOURCE)
    batch.extend(out.all())
    supplied: dict[Kind, frozenset[str]] = {
        "contacts": CONTACT_FIELDS,
        "tickets": TICKET_FIELDS,
        "status_changes": STATUS_CHANGE_FIELDS,
        "time_entries": TIME_ENTRY_FIELDS,
    }
    batch.supplied_fields = supplied
    return write_sync(
        batch,
        skipped=out.skipped,
        requests=client.api.requests_sent,
        dry_run=dry_run,
        label=f"django-helpdesk {client.base_url}",
    )
