"""Who is asking: the bearer token, its scope and its user's role; and how often they ask.

A request's viewer is the token user's viewer (``accounts.selectors.viewer_for``), so an
account manager's token sees exactly what that account manager sees on the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from solidground.accounts.selectors import Viewer, viewer_for
from solidground.api.errors import Forbidden, PayloadTooLarge, RateLimited
from solidground.api.models import ApiToken
from solidground.api.tokens import do_mark_used, find_token
from solidground.common import ratelimit


@dataclass(frozen=True)
class Caller:
    """What a route gets as ``request.auth``."""

    token: ApiToken
    viewer: Viewer

    def __str__(self) -> str:
        return f"token {self.token.pk}"


def check_body_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.SOLIDGROUND_API_MAX_BODY_BYTES:
        raise PayloadTooLarge


def check_rate(token: ApiToken) -> None:
    """A fixed one-minute window per token (``common.ratelimit``)."""
    window = ratelimit.count(f"api-token:{token.pk}", settings.SOLIDGROUND_API_RATE_PER_MINUTE)
    if window.over:
        raise RateLimited(window.retry_after)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sg_<prefix>_<secret>``; ``write`` routes need scope write and
    a role that may import (owner, manager)."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def __call__(self, request: HttpRequest) -> Caller | None:
        # Before anything reads the body: a huge body is refused without being read.
        check_body_size(request)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = find_token(token)
        if found is None:
            return None
        viewer = viewer_for(found.user)
        check_rate(found)
        do_mark_used(token=found)
        if self.write and (found.scope != ApiToken.Scope.WRITE or not viewer.can_import):
            raise Forbidden
        return Caller(token=found, viewer=viewer)


def caller(request: HttpRequest) -> Caller:
    auth = getattr(request, "auth", None)
    assert isinstance(auth, Caller)  # every route has TokenAuth
    return auth


def remote_addr(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")
