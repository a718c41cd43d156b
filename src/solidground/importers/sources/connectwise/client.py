"""HTTP client for the ConnectWise Manage (PSA) REST API 3.0, read-only.

Authentication, as ConnectWise documents it: HTTP Basic with ``<companyId>+<publicKey>`` as the
user name and the private key as the password (an API member's keys), plus a ``clientId``
header that identifies the integration.

Paging: ConnectWise pages with ``page``/``pageSize`` (at most 1000) and announces the next page
in a ``Link`` header. The client pages by key instead: every request asks for ``id > <last id
seen>`` ordered by id, so records that change while a sync runs cannot shift others out of the
page window (a risk with page numbers over a filter on ``lastUpdated``). Incremental sync adds
``lastUpdated > [<cursor>]`` to the conditions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from solidground.importers.sources.apiclient import ApiClient, RetryPolicy, SourceError
from solidground.importers.sources.common import iso

API_PATH = "/v4_6_release/apis/3.0"
MAX_PAGE_SIZE = 1000
MAX_PAGES = 100_000


def api_base(url: str) -> str:
    """The API root from what a user gives: the site address or the API URL itself.

    >>> api_base("https://eu.myconnectwise.net")
    'https://eu.myconnectwise.net/v4_6_release/apis/3.0/'
    >>> api_base("https://cw.example.com/v4_6_release/apis/3.0/")
    'https://cw.example.com/v4_6_release/apis/3.0/'
    """
    url = url.rstrip("/")
    if "/apis/3.0" in url:
        return url + "/"
    return url + API_PATH + "/"


class ConnectWiseClient:
    def __init__(
        self,
        base_url: str,
        *,
        company_id: str,
        public_key: str,
        private_key: str,
        client_id: str,
        page_size: int = MAX_PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1 to {MAX_PAGE_SIZE}, not {page_size}")
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.api = ApiClient(
            name="ConnectWise",
            base_url=api_base(base_url),
            headers={"clientId": client_id},
            auth=(f"{company_id}+{public_key}", private_key),
            auth_hint="check the company id, the API member's public and private key and the "
            "clientId (SOLIDGROUND_CONNECTWISE_COMPANY_ID, _PUBLIC_KEY, _PRIVATE_KEY, _CLIENT_ID)",
            transport=transport,
            policy=policy,
            timeout=timeout,
        )

    def __enter__(self) -> ConnectWiseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.api.close()

    def pages(
        self, path: str, *, updated_since: datetime | None = None, conditions: str = ""
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of records from ``path`` (e.g. ``service/tickets``), by ascending id."""
        last_id = 0
        for _ in range(MAX_PAGES):
            parts = [f"id>{last_id}"]
            if updated_since is not None:
                parts.append(f"lastUpdated>[{iso(updated_since)}]")
            if conditions:
                parts.append(f"({conditions})")
            params = {
                "conditions": " and ".join(parts),
                "orderBy": "id asc",
                "page": 1,
                "pageSize": self.page_size,
            }
            data = self.api.get_json(path, params)
            if not isinstance(data, list):
                raise SourceError(
                    f"ConnectWise at {self.api.url_of(path, params)} answered with "
                    f"{type(data).__name__} instead of a list; check the URL."
                )
            yield data
            if len(data) < self.page_size:
                return
            next_id = max(int(item.get("id") or 0) for item in data)
            if next_id <= last_id:
                raise SourceError(
                    f"ConnectWise at {self.api.url_of(path, params)} ignored the id condition; "
                    "the sync stopped instead of looping."
                )
            last_id = next_id
        raise SourceError(f"ConnectWise at {self.base_url} kept returning {path} records.")
