"""Writes of users and roles.

Every function is keyword-only and runs in one transaction. The rule that protects the install
lives here, not in the views: there is always at least one active owner, because only an owner
can manage users (the admin aside), and an install without one cannot be repaired from the web.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from solidground.accounts.models import Role, UserRole
from solidground.customers.models import Customer

logger = logging.getLogger(__name__)


class LastOwnerError(ValueError):
    """The change would leave no active owner."""


class NotAnAccountManagerError(ValueError):
    """Customers are assigned to account managers only."""


def _owner_q() -> Q:
    # A superuser without a role counts as owner (accounts.selectors.viewer_for): the demo's
    # and `createsuperuser`'s admin.
    return Q(solidground_role__role=Role.OWNER) | Q(
        is_superuser=True, solidground_role__isnull=True
    )


def _role_of(user: AbstractUser) -> Role | None:
    role = UserRole.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
    if role:
        return Role(role)
    return Role.OWNER if user.is_superuser else None


def _refuse_if_last_owner(user: AbstractUser) -> None:
    """Raise LastOwnerError if ``user`` is the only active owner.

    The owners' rows are locked first, so that two owners demoting each other at the same
    moment cannot both succeed (on SQLite, IMMEDIATE transactions serialise writers anyway).
    """
    users = get_user_model()
    owners = list(
        # of=("self",): PostgreSQL cannot lock the nullable side of the join to the roles.
        users.objects.select_for_update(of=("self",))
        .filter(_owner_q(), is_active=True)
        .values_list("pk", flat=True)
    )
    if user.is_active and owners == [user.pk]:
        raise LastOwnerError(
            gettext(
                "%(name)s is the last active owner: make another user owner first, so that "
                "someone can still manage users."
            )
            % {"name": user.get_username()}
        )


def do_create_user(
    *,
    username: str,
    password: str,
    role: Role,
    email: str = "",
    customer_ids: Sequence[int] = (),
) -> AbstractUser:
    """Create a dashboard user with a role; an account manager gets the given customers.

    The password is checked with the project's validators (ValidationError names the rule).
    Owners also get the admin (staff, superuser); the others do not.
    """
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        raise ValueError(f"a user named {username!r} exists already")
    validate_password(password)
    with transaction.atomic():
        user = users.objects.create_user(username=username, email=email, password=password)
        if role == Role.OWNER:
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        UserRole.objects.create(user=user, role=role)
        if customer_ids:
            do_assign_customers(user_id=user.pk, customer_ids=customer_ids)
    logger.info("created user %s with role %s", username, role.value)
    return user


def do_set_role(*, user_id: int, role: Role) -> None:
    """Give a user a role. Owners get the admin; the others lose it.

    The admin shows every customer, so a demoted owner keeping ``is_superuser`` would keep
    seeing everything. Refuses (LastOwnerError) to demote the last active owner.
    """
    users = get_user_model()
    with transaction.atomic():
        user = users.objects.select_for_update().get(pk=user_id)
        if _role_of(user) == Role.OWNER and role != Role.OWNER:
            _refuse_if_last_owner(user)
        UserRole.objects.update_or_create(user_id=user_id, defaults={"role": role})
        admin = role == Role.OWNER
        if user.is_staff != admin or user.is_superuser != admin:
            user.is_staff = user.is_superuser = admin
            user.save(update_fields=["is_staff", "is_superuser"])
    logger.info("set role of user %s to %s", user.get_username(), role.value)


def do_set_active(*, user_id: int, active: bool) -> None:
    """Deactivate (the user can no longer log in; open sessions end) or reactivate a user.

    Refuses (LastOwnerError) to deactivate the last active owner. Customers stay assigned, so
    a reactivated account manager finds their portfolio as it was.
    """
    users = get_user_model()
    with transaction.atomic():
        user = users.objects.select_for_update().get(pk=user_id)
        if user.is_active == active:
            return
        if not active and _role_of(user) == Role.OWNER:
            _refuse_if_last_owner(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
    logger.info("%s user %s", "reactivated" if active else "deactivated", user.get_username())


def do_change_password(*, user_id: int, password: str) -> None:
    """Set a new password (checked with the project's validators; ValidationError if weak)."""
    users = get_user_model()
    with transaction.atomic():
        user = users.objects.select_for_update().get(pk=user_id)
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
    logger.info("changed the password of user %s", user.get_username())


def do_assign_customers(*, user_id: int, customer_ids: Sequence[int]) -> int:
    """Make ``user_id`` the account manager of these customers; returns how many changed."""
    known = set(Customer.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))
    missing = sorted(set(customer_ids) - known)
    if missing:
        raise ValueError(f"no customer with id {', '.join(map(str, missing))}")
    return Customer.objects.filter(pk__in=known).update(account_manager_id=user_id)


@dataclass(frozen=True)
class Assignment:
    added: int
    removed: int


def do_set_customers(
    *,
    user_id: int,
    customer_ids: Collection[int],
    among: Collection[int] | None = None,
) -> Assignment:
    """Make the account manager ``user_id`` look after exactly ``customer_ids``.

    ``among``: the customers the form showed (a search narrows the list); only those change,
    so a customer that was filtered out is neither taken away nor given. None means all.
    A customer moves from its previous account manager (a customer has one). Raises
    NotAnAccountManagerError for other roles and ValueError for unknown customer ids.
    """
    users = get_user_model()
    with transaction.atomic():
        user = users.objects.select_for_update().get(pk=user_id)
        if _role_of(user) != Role.ACCOUNT_MANAGER:
            raise NotAnAccountManagerError(
                gettext(
                    "Only account managers are given customers; owners and service managers "
                    "see every customer."
                )
            )
        wanted = set(customer_ids)
        if among is not None:
            wanted &= set(among)
        known = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(wanted - known)
        if missing:
            raise ValueError(
                gettext("No customer with id %(ids)s.") % {"ids": ", ".join(map(str, missing))}
            )
        current = Customer.objects.filter(account_manager_id=user_id)
        if among is not None:
            current = current.filter(pk__in=among)
        removed = current.exclude(pk__in=known).update(account_manager=None)
        added = (
            Customer.objects.filter(pk__in=known)
            .exclude(account_manager_id=user_id)
            .update(account_manager_id=user_id)
        )
    logger.info(
        "user %s: %d customers assigned, %d taken away", user.get_username(), added, removed
    )
    return Assignment(added=added, removed=removed)
