"""Exceptions the API turns into JSON errors (handlers in ``api.main``)."""

from __future__ import annotations


class PayloadTooLarge(Exception):
    """The body is larger than SOLIDGROUND_API_MAX_BODY_MB: 413 before it is read."""


class Forbidden(Exception):
    """A valid token that may not do this (read scope or a role that may not write): 403."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class BadRequest(Exception):
    """A parameter that parses but makes no sense (a malformed cursor, month 13): 400."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.value = value
        self.reason = reason
