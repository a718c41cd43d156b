"""Creating, finding and revoking API tokens (actions and selectors of the api app)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from solidground.api.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

PREFIX_LENGTH = 8
# 32 random bytes, urlsafe: 43 characters, beyond guessing.
SECRET_BYTES = 32
# Writing last_used_at on every request would turn every read into a write; once a minute is
# enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plain: str  # the whole token string: shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    # Letters and digits only, so that "_" splits the token string unambiguously.
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    while True:
        prefix = "".join(secrets.choice(alphabet) for _ in range(PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def do_create_token(*, user: AbstractBaseUser, name: str, scope: str) -> NewToken:
    """A new token for ``user``; the returned ``plain`` string is the only copy of the secret."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"scope must be read or write, not {scope!r}")
    name = name.strip()[:100] or "API"
    prefix = _new_prefix()
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken.objects.create(
        user_id=user.pk,
        name=name,
        scope=scope,
        prefix=prefix,
        key_hash=hash_secret(secret),
        created_at=timezone.now(),
    )
    return NewToken(token=token, plain=f"sg_{prefix}_{secret}")


def do_revoke_token(*, token: ApiToken) -> ApiToken:
    """Revoke ``token`` (kept for the audit log); revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def find_token(plain: str) -> ApiToken | None:
    """The active token whose string is ``plain``, else None (unknown, malformed, revoked)."""
    parts = plain.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "sg" or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, hash_secret(parts[2])):
        return None
    return token


def do_mark_used(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def tokens_of(*, user: AbstractBaseUser | AnonymousUser | None = None) -> QuerySet[ApiToken]:
    """Tokens (newest first), of ``user`` when given; the CLI lists everyone's."""
    rows = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if user is None:
        return rows
    return rows.filter(user_id=user.pk) if user.pk is not None else rows.none()
