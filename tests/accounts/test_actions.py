"""User and role writes: the install always keeps an active owner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation

from solidground.accounts.actions import (
    LastOwnerError,
    do_change_password,
    do_create_user,
    do_set_active,
    do_set_role,
)
from solidground.accounts.models import Role, UserRole
from solidground.accounts.selectors import Viewer, users

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The sentences these tests read are the English ones (the default language is German)."""
    with translation.override("en"):
        yield


PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The default hasher takes a noticeable fraction of a second per user on purpose; these
    # tests create many users and check permissions, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_admin_without_a_role_counts_as_the_last_owner() -> None:
    admin = get_user_model().objects.create_superuser("admin", password=PASSWORD)

    with pytest.raises(LastOwnerError, match="admin is the last active owner"):
        do_set_active(user_id=admin.pk, active=False)
    with pytest.raises(LastOwnerError):
        do_set_role(user_id=admin.pk, role=Role.MANAGER)

    admin.refresh_from_db()
    assert admin.is_active
    assert admin.is_superuser
    assert not UserRole.objects.filter(user=admin).exists()


def test_once_another_owner_exists_the_demo_admin_may_become_a_manager() -> None:
    admin = get_user_model().objects.create_superuser("admin", password=PASSWORD)
    do_create_user(username="owner", password=PASSWORD, role=Role.OWNER)

    do_set_role(user_id=admin.pk, role=Role.MANAGER)

    admin.refresh_from_db()
    assert not admin.is_superuser  # the admin shows every customer; a manager's role decides
    assert [row.role for row in users(viewer=Viewer.everyone()) if row.username == "admin"] == [
        Role.MANAGER
    ]


def test_deactivating_a_non_owner_never_asks_about_owners() -> None:
    anna = do_create_user(username="anna", password=PASSWORD, role=Role.ACCOUNT_MANAGER)

    do_set_active(user_id=anna.pk, active=False)

    anna.refresh_from_db()
    assert not anna.is_active


def test_a_weak_new_password_is_refused_and_the_old_one_stays() -> None:
    anna = do_create_user(username="anna", password=PASSWORD, role=Role.ACCOUNT_MANAGER)

    with pytest.raises(ValidationError):
        do_change_password(user_id=anna.pk, password="anna")

    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)


def test_the_user_list_is_for_owners_and_managers_only() -> None:
    anna = do_create_user(username="anna", password=PASSWORD, role=Role.ACCOUNT_MANAGER)
    manager = do_create_user(username="bert", password=PASSWORD, role=Role.MANAGER)

    as_account_manager = users(viewer=Viewer(user_id=anna.pk, role=Role.ACCOUNT_MANAGER))
    as_manager = users(viewer=Viewer(user_id=manager.pk, role=Role.MANAGER))

    assert as_account_manager == []
    assert {row.username for row in as_manager} == {"anna", "bert"}
