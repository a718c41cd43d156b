"""HTTP client for the Zammad REST API (``/api/v1``), read-only.

Authentication is an access token (``Authorization: Token token=...``), which each Zammad user
creates under Profile > Token Access; it needs ``ticket.agent`` (and ``admin.time_accounting``
for the names of time accounting types, which are optional).

Zammad pages with ``page`` and ``per_page`` (at most 100) and gives no total: the client asks
for pages until one comes back shorter than ``per_page``. Incremental sync uses the search
endpoint with ``updated_at:>=<cursor>`` sorted by ``updated_at`` (Zammad's search needs its
Elasticsearch index; without a cursor the plain ticket list is used).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from solidground.importers.sources.apiclient import ApiClient, RetryPolicy, SourceError
from solidground.importers.sources.common import iso

MAX_PER_PAGE = 100
# A guard against a server that ignores ``page`` and returns the first page forever.
MAX_PAGES = 100_000


class ZammadClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        per_page: int = MAX_PER_PAGE,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1 to {MAX_PER_PAGE}, not {per_page}")
        self.base_url = base_url.rstrip("/")
        self.per_page = per_page
        self.api = ApiClient(
            name="Zammad",
            base_url=f"{self.base_url}/api/v1/",
            headers={"Authorization": f"Token token={token}"},
            auth_hint="check the access token (SOLIDGROUND_ZAMMAD_TOKEN or --token) and that its "
            "user is an agent",
            transport=transport,
            policy=policy,
            timeout=timeout,
        )

    def __enter__(self) -> ZammadClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.api.close()

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[list[dict[str, Any]]]:
        previous_first: object = None
        for page in range(1, MAX_PAGES + 1):
            query = {**params, "page": page, "per_page": self.per_page}
            data = self.api.get_json(path, query)
            if isinstance(data, dict) and "assets" in data:
                data = _from_assets(data, path)
            if not isinstance(data, list):
                raise SourceError(
                    f"Zammad at {self.api.url_of(path, query)} answered with "
                    f"{type(data).__name__} instead of a list; is this a Zammad server?"
                )
            if data and page > 1 and data[0].get("id") == previous_first:
                raise SourceError(
                    f"Zammad at {self.api.url_of(path, query)} returned page 1 again; the "
                    "server ignores paging, so the sync stopped instead of looping."
                )
            if data:
                previous_first = data[0].get("id")
            yield data
            if len(data) < self.per_page:
                return

    def _all(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        for page in self._pages(path, params):
            yield from page

    def organizations(self) -> Iterator[dict[str, Any]]:
        return self._all("organizations", {"expand": "true"})

    def users(self) -> Iterator[dict[str, Any]]:
        return self._all("users", {"expand": "true"})

    def ticket_states(self) -> list[dict[str, Any]]:
        return list(self._all("ticket_states", {"expand": "true"}))

    def ticket_priorities(self) -> list[dict[str, Any]]:
        return list(self._all("ticket_priorities", {"expand": "true"}))

    def ticket_pages(self, *, updated_since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of tickets; with ``updated_since`` only those updated at or after it.

        The incremental search pages by key, not by offset: each request asks for tickets
        updated at or after the last one seen, so a ticket that changes during the sync (and
        moves to the end of the order) cannot push another one out of the window. Tickets seen
        twice (the boundary instant) are dropped.
        """
        if updated_since is None:
            yield from self._pages("tickets", {"expand": "true"})
            return
        since = iso(updated_since)
        seen: set[tuple[object, object]] = set()
        page = 1
        for _ in range(MAX_PAGES):
            query = {
                "query": f"updated_at:>={since}",
                "sort_by": "updated_at",
                "order_by": "asc",
                "expand": "true",
                "page": page,
                "per_page": self.per_page,
            }
            data = self.api.get_json("tickets/search", query)
            if isinstance(data, dict) and "assets" in data:
                data = _from_assets(data, "tickets/search")
            if not isinstance(data, list):
                raise SourceError(
                    f"Zammad at {self.api.url_of('tickets/search', query)} answered with "
                    f"{type(data).__name__} instead of a list of tickets."
                )
            fresh = [t for t in data if (t.get("id"), t.get("updated_at")) not in seen]
            seen.update((t.get("id"), t.get("updated_at")) for t in data)
            yield fresh
            if len(data) < self.per_page:
                return
            last = str(data[-1].get("updated_at") or "")
            if not fresh or not last or last == since:
                # A whole page shares one instant (or repeats): step on by offset instead.
                page += 1
            else:
                since, page = last, 1
        raise SourceError(
            f"Zammad at {self.base_url} kept returning tickets after {MAX_PAGES} pages; the sync "
            "stopped instead of looping."
        )

    def ticket_history(self, ticket_id: int) -> list[dict[str, Any]]:
        data = self.api.get_json(f"ticket_history/{ticket_id}")
        history = data.get("history") if isinstance(data, dict) else data
        if not isinstance(history, list):
            raise SourceError(
                f"Zammad at {self.api.url_of(f'ticket_history/{ticket_id}')} answered without a "
                "history list."
            )
        return history

    def time_accountings(self, ticket_id: int) -> list[dict[str, Any]]:
        data = self.api.get_json(f"tickets/{ticket_id}/time_accountings")
        if not isinstance(data, list):
            raise SourceError(
                f"Zammad at {self.api.url_of(f'tickets/{ticket_id}/time_accountings')} answered "
                "without a list of time accountings."
            )
        return data

    def time_accounting_types(self) -> list[dict[str, Any]]:
        """Activity types (Zammad 6.2+); empty when the token may not read them or they are off."""
        response = self.api.get("time_accounting/types", allowed=frozenset({401, 403, 404}))
        if response.status_code != 200:
            return []
        data = response.json()
        return data if isinstance(data, list) else []


def _from_assets(data: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
    """Tickets from the ``{"tickets": [ids], "assets": {"Ticket": {...}}}`` search shape."""
    ids = data.get("tickets") or data.get("record_ids") or []
    assets = data.get("assets", {}).get("Ticket", {})
    found: list[dict[str, Any]] = []
    for ticket_id in ids:
        ticket = assets.get(str(ticket_id))
        if ticket is not None:
            found.append(ticket)
    return found
