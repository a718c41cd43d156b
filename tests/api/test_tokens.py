"""Tokens: made by the command line and on the settings page, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import Client

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.api.models import ApiToken
from tests.api.conftest import PASSWORD, call, make_token

pytestmark = pytest.mark.django_db


def test_the_command_line_creates_lists_and_revokes_tokens(client: Client) -> None:
    # given an owner
    do_create_user(username="admin", password=PASSWORD, role=Role.OWNER)
    out = io.StringIO()
    # when a write token is created for them
    call_command(
        "token",
        "create",
        "admin",
        "--scope",
        "write",
        "--name",
        "PSA",
        stdout=out,
        stderr=io.StringIO(),
    )
    plain = out.getvalue().strip()
    # then it works, and only its hash is stored
    token = ApiToken.objects.get()
    assert plain.startswith(f"sg_{token.prefix}_")
    secret = plain.split("_", 2)[2]
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.key_hash
    assert len(secret) >= 43
    assert call(client, "get", "/customers", plain).status_code == 200
    # and the list shows the prefix, never the secret
    listing = io.StringIO()
    call_command("token", "list", stdout=listing)
    assert f"sg_{token.prefix}" in listing.getvalue()
    assert secret not in listing.getvalue()
    # and once revoked, it is refused
    call_command("token", "revoke", str(token.pk), stdout=io.StringIO())
    assert call(client, "get", "/customers", plain).status_code == 401


def test_the_command_line_names_an_unknown_user() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "create", "nobody", stdout=io.StringIO())


def test_the_settings_page_creates_a_token_and_shows_it_once(client: Client) -> None:
    # given a logged-in manager
    user = do_create_user(username="mia", password=PASSWORD, role=Role.MANAGER)
    client.force_login(user)
    # when they create a token
    created = client.post("/settings/tokens/", {"name": "BI <tool>", "scope": "read"})
    assert created.status_code == 302
    shown = client.get(created["Location"])
    # then the next page shows it, and never again
    token = ApiToken.objects.get(user=user)
    page = shown.content.decode()
    assert f"sg_{token.prefix}_" in page
    assert "BI &lt;tool&gt;" in page
    plain = page.split(f"sg_{token.prefix}_", 1)[1].split("<", 1)[0]
    assert hashlib.sha256(plain.encode()).hexdigest() == token.key_hash
    again = client.get("/settings/tokens/new/")
    assert again.status_code == 302
    settings_page = client.get("/settings/").content.decode()
    assert f"sg_{token.prefix}…" in settings_page
    assert plain not in settings_page
    assert call(client, "get", "/customers", f"sg_{token.prefix}_{plain}").status_code == 200


def test_the_settings_page_revokes_only_ones_own_tokens(client: Client) -> None:
    # given two users with a token each
    make_token("other", Role.OWNER, "write")
    theirs = ApiToken.objects.get()
    user = do_create_user(username="mia", password=PASSWORD, role=Role.MANAGER)
    client.force_login(user)
    client.post("/settings/tokens/", {"name": "mine", "scope": "write"})
    mine = ApiToken.objects.get(user=user)
    # when they revoke the other's token: 404, it stays active
    assert client.post(f"/settings/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    # and their own is revoked
    assert client.post(f"/settings/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    # and a GET to the POST routes is refused
    assert client.get(f"/settings/tokens/{mine.pk}/revoke/").status_code == 405
    assert client.get("/settings/tokens/").status_code == 405


def test_token_routes_need_a_login(client: Client) -> None:
    answer = client.post("/settings/tokens/", {"name": "x", "scope": "read"})
    assert answer.status_code == 302
    assert "/login/" in answer["Location"]
    assert not ApiToken.objects.exists()
