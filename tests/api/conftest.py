from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.api.tokens import do_create_token

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fresh_rate_windows() -> None:
    # The rate limit counts in the process's cache; every test starts with empty windows.
    cache.clear()


def make_token(username: str, role: Role, scope: str, customer_ids: list[int] = ()) -> str:  # type: ignore[assignment]
    user = do_create_user(
        username=username, password=PASSWORD, role=role, customer_ids=list(customer_ids)
    )
    return do_create_token(user=user, name="test", scope=scope).plain


ApiCall = Callable[..., Any]


def call(
    client: Client, method: str, path: str, token: str | None, body: Any = None, **extra: Any
) -> Any:
    # The tests read the English sentences; without the header the API answers in the
    # provider's default language (German here).
    headers = {"Accept-Language": "en"} | ({"Authorization": f"Bearer {token}"} if token else {})
    if method == "get":
        return client.get(f"/api/v1{path}", headers=headers, **extra)
    return client.post(
        f"/api/v1{path}",
        data=body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        headers=headers,
        **extra,
    )


@pytest.fixture
def owner_write_token(db: None) -> str:
    return make_token("owner", Role.OWNER, "write")
