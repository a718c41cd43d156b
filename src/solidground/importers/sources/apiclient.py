"""What every API connector's HTTP client shares: timeouts, retries with backoff, clear errors.

A connector's ``client.py`` builds an :class:`ApiClient` with its base URL and authentication
and adds its own paging. Every request

- has a timeout (30 s to read, 10 s to connect, by default),
- is retried on 429 (honouring ``Retry-After``, in seconds or as an HTTP date), on 5xx answers
  that usually pass (500, 502, 503, 504) and on network errors, with exponential backoff and
  jitter (tenacity), up to ``RetryPolicy.attempts`` tries,
- ends, when it cannot succeed, in a :class:`SourceError`: one sentence that names the URL and
  the status, fit to show a user without a traceback.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import tenacity

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(Exception):
    """A sync cannot go on. The message is one sentence for the user: URL, status, what to do."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    # First wait and cap of the exponential backoff, in seconds.
    initial_wait: float = 1.0
    max_wait: float = 60.0
    # Retry-After values above this are cut to it, so a server asking for an hour does not stall a
    # sync silently; the attempt count still bounds the total.
    max_retry_after: float = 300.0
    # Injected by tests so that backoff costs no wall-clock time.
    sleep: Callable[[float], None] = field(default=time.sleep)


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code} from {response.request.url}")
        self.response = response


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date.

    >>> retry_after_seconds("7")
    7.0
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT",
    ...                     now=datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC))
    30.0
    >>> retry_after_seconds("soon") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(response: httpx.Response) -> str:
    phrase = response.reason_phrase or ""
    return f"{response.status_code} {phrase}".strip()


class ApiClient:
    """An httpx client with a base URL, retries and one-sentence errors.

    ``name`` is the tool's name as users know it ("Zammad"); ``auth_hint`` completes the
    sentence for 401/403 ("check SOLIDGROUND_ZAMMAD_TOKEN").
    """

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        auth_hint: str = "check the credentials",
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.auth_hint = auth_hint
        self.policy = policy or RetryPolicy()
        self.requests_sent = 0
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Accept": "application/json", **dict(headers or {})},
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def url_of(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        return str(self._http.build_request("GET", path, params=params).url)

    def _wait(self, state: Any) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, _RetryableStatus):
            asked = retry_after_seconds(error.response.headers.get("Retry-After"))
            if asked is not None:
                return min(asked, self.policy.max_retry_after)
        backoff = tenacity.wait_exponential_jitter(
            initial=self.policy.initial_wait, max=self.policy.max_wait
        )
        return float(backoff(state))

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        allowed: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """GET with retries; a non-2xx answer (other than ``allowed``) raises SourceError."""
        url = self.url_of(path, params)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((_RetryableStatus, httpx.TransportError)),
            stop=tenacity.stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            sleep=self.policy.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self.requests_sent += 1
                    response = self._http.get(path, params=params)
                    if response.status_code in RETRIED_STATUSES:
                        raise _RetryableStatus(response)
        except _RetryableStatus as exc:
            raise SourceError(
                f"{self.name} at {url} answered {_reason(exc.response)} "
                f"{self.policy.attempts} times in a row; try again later."
            ) from None
        except httpx.TimeoutException:
            raise SourceError(
                f"{self.name} at {url} did not answer in time ({self.policy.attempts} tries); "
                "check that the server is up."
            ) from None
        except httpx.TransportError as exc:
            raise SourceError(
                f"Cannot reach {self.name} at {url} ({type(exc).__name__}: {exc}); "
                "check the URL and that the server is up."
            ) from None
        status = response.status_code
        if status in allowed or 200 <= status < 300:
            return response
        if status in (401, 403):
            hint = self.auth_hint
        elif status == 404:
            hint = "check the URL (it should be the address of the server's web interface)"
        else:
            hint = "see the server's log for the cause"
        raise SourceError(f"{self.name} at {url} answered {_reason(response)}; {hint}.")

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise SourceError(
                f"{self.name} at {response.request.url} answered {_reason(response)} with "
                f"{kind} instead of JSON; check that the URL points to the {self.name} server."
            ) from None
