"""The dashboard login the demo creates, so a first look needs no `createsuperuser`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model

DEMO_USERNAME = "admin"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    # Set only when the user was created now: the password is never stored in clear text, so
    # it can be shown this once.
    password: str | None


def ensure_demo_login() -> DemoLogin:
    """Create the demo's administrator with a random password, unless it exists."""
    users = get_user_model()
    if users.objects.filter(username=DEMO_USERNAME).exists():
        return DemoLogin(DEMO_USERNAME, None)
    password = secrets.token_urlsafe(12)
    users.objects.create_superuser(DEMO_USERNAME, email="", password=password)
    return DemoLogin(DEMO_USERNAME, password)
