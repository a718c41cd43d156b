"""Writes of users and roles."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from solidground.accounts.models import Role, UserRole
from solidground.customers.models import Customer


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
    return user


def do_set_role(*, user_id: int, role: Role) -> None:
    UserRole.objects.update_or_create(user_id=user_id, defaults={"role": role})


def do_assign_customers(*, user_id: int, customer_ids: Sequence[int]) -> int:
    """Make ``user_id`` the account manager of these customers; returns how many changed."""
    known = set(Customer.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))
    missing = sorted(set(customer_ids) - known)
    if missing:
        raise ValueError(f"no customer with id {', '.join(map(str, missing))}")
    return Customer.objects.filter(pk__in=known).update(account_manager_id=user_id)
