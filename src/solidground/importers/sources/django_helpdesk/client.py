"""HTTP client for django-helpdesk's REST API (``<helpdesk>/api/``), read-only.

django-helpdesk serves its API with Django REST framework when ``HELPDESK_API_ENABLED`` is true
(the default in 2.x; ``HELPDESK_ACTIVATE_API_ENDPOINT`` in older releases), under the prefix the
helpdesk's URLs are mounted at, e.g. ``https://support.example.com/helpdesk/api/tickets/``. The
ticket and follow-up endpoints are for staff (``is_staff``) users. Authentication is HTTP Basic
(DRF's default) or, where the server enables DRF's token app, ``Authorization: Token ...``.

Lists are paged DRF-style (``{"count", "next", "previous", "results"}``); the client asks for
``page_size`` records a page and follows ``next`` until it is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from solidground.importers.sources.apiclient import ApiClient, RetryPolicy, SourceError

PAGE_SIZE = 100
MAX_PAGES = 100_000


def api_base(url: str) -> str:
    """The API root from the helpdesk's address (or the API address itself).

    >>> api_base("https://support.example.com/helpdesk")
    'https://support.example.com/helpdesk/api/'
    >>> api_base("http://127.0.0.1:8080/helpdesk/api/")
    'http://127.0.0.1:8080/helpdesk/api/'
    """
    url = url.rstrip("/")
    return url + "/" if url.endswith("/api") else url + "/api/"


class HelpdeskClient:
    def __init__(
        self,
        base_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        page_size: int = PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        if token is None and (user is None or password is None):
            raise ValueError("give a token, or a user and a password")
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.api = ApiClient(
            name="django-helpdesk",
            base_url=api_base(base_url),
            headers={"Authorization": f"Token {token}"} if token else None,
            auth=None if token else (str(user), str(password)),
            auth_hint="check the user and password (SOLIDGROUND_DJANGO_HELPDESK_USER and "
            "_PASSWORD, or _TOKEN) and that the user is staff",
            transport=transport,
            policy=policy,
            timeout=timeout,
        )

    def __enter__(self) -> HelpdeskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.api.close()

    def pages(self, path: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``results`` from a DRF list endpoint, following ``next``."""
        url: str | None = path
        params: dict[str, Any] | None = {"page_size": self.page_size}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if url is None:
                return
            data = self.api.get_json(url, params)
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise SourceError(
                    f"django-helpdesk at {self.api.url_of(url, params)} answered without a "
                    "paged list of results; check that the URL is the helpdesk's address and "
                    "that its API is enabled (HELPDESK_API_ENABLED)."
                )
            yield data["results"]
            following = data.get("next")
            if not following:
                return
            if following in seen:
                raise SourceError(
                    f"django-helpdesk at {following} sent the sync back to a page it had read."
                )
            seen.add(following)
            url, params = str(following), None
        raise SourceError(f"django-helpdesk at {self.base_url} kept returning pages.")

    def ticket_pages(self) -> Iterator[list[dict[str, Any]]]:
        return self.pages("tickets/")

    def followup_pages(self) -> Iterator[list[dict[str, Any]]]:
        return self.pages("followups/")
