"""The viewer: who is asking, and which customers they may see.

Every selector that returns customer data takes a ``Viewer`` and filters with it, so that the
web pages, CSV exports, the API and reports enforce the same rule in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Manager, Model, Q, QuerySet
from django.db.models.functions import Lower

from solidground.accounts.models import Role, UserRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Viewer:
    """A user and their role; ``role`` None means: no role assigned, sees nothing."""

    user_id: int | None
    role: Role | None
    username: str = ""

    @property
    def sees_all_customers(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_import(self) -> bool:
        # An import writes data of every customer: owner and manager only.
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def can_manage_users(self) -> bool:
        return self.role == Role.OWNER

    def customer_q(self, path: str = "customer") -> Q:
        """A filter that keeps only the rows of customers this viewer may see.

        ``path`` is the lookup from the queried model to the customer ("customer",
        "ticket__customer"); "" when querying customers themselves.
        """
        if self.sees_all_customers:
            return Q()
        if self.role == Role.ACCOUNT_MANAGER and self.user_id is not None:
            field = f"{path}__account_manager_id" if path else "account_manager_id"
            return Q(**{field: self.user_id})
        return Q(pk__in=[])

    def restrict(self, rows: Manager[M] | QuerySet[M], path: str = "customer") -> QuerySet[M]:
        """``rows`` (a model's manager or a queryset) with only the visible customers' rows."""
        queryset = rows.all()
        if self.sees_all_customers:
            return queryset
        if self.role != Role.ACCOUNT_MANAGER or self.user_id is None:
            return queryset.none()
        return queryset.filter(self.customer_q(path))

    def may_see(self, customer_id: int) -> bool:
        from solidground.customers.models import Customer

        return self.restrict(Customer.objects.filter(pk=customer_id), path="").exists()

    @classmethod
    def everyone(cls) -> Viewer:
        """The viewer of the command line and of background jobs: every customer."""
        return cls(user_id=None, role=Role.OWNER, username="system")


def viewer_for(user: AbstractBaseUser | AnonymousUser) -> Viewer:
    """The viewer of a request's user. A superuser without a role counts as owner."""
    if not user.is_authenticated:
        return Viewer(user_id=None, role=None)
    user_id = int(user.pk)
    role = UserRole.objects.filter(user_id=user_id).values_list("role", flat=True).first()
    if role is None and getattr(user, "is_superuser", False):
        return Viewer(user_id=user_id, role=Role.OWNER, username=user.get_username())
    return Viewer(
        user_id=user_id,
        role=Role(role) if role else None,
        username=user.get_username(),
    )


def effective_role(role: str | None, is_superuser: bool) -> Role | None:
    """The role a user acts with: their UserRole, else owner for a superuser (as viewer_for)."""
    if role:
        return Role(role)
    return Role.OWNER if is_superuser else None


@dataclass(frozen=True)
class CustomerName:
    id: int
    name: str


@dataclass(frozen=True)
class Account:
    """The viewer's own account, for the settings page."""

    username: str
    email: str
    role: Role | None
    last_login: datetime | None
    customers: list[CustomerName]  # an account manager's customers; empty for the others


def own_account(*, viewer: Viewer) -> Account:
    user = (
        get_user_model().objects.filter(pk=viewer.user_id).first()
        if viewer.user_id is not None
        else None
    )
    customers: list[CustomerName] = []
    if viewer.role == Role.ACCOUNT_MANAGER:
        from solidground.customers.models import Customer

        customers = [
            CustomerName(pk, name)
            for pk, name in viewer.restrict(Customer.objects, path="")
            .order_by("name")
            .values_list("pk", "name")
        ]
    return Account(
        username=viewer.username,
        email=user.email if user is not None else "",
        role=viewer.role,
        last_login=user.last_login if user is not None else None,
        customers=customers,
    )


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    email: str
    role: Role | None
    is_active: bool
    last_login: datetime | None
    customers: int  # customers whose account manager this user is

    @property
    def role_value(self) -> str:
        return self.role.value if self.role else ""


def users(*, viewer: Viewer, user_id: int | None = None) -> list[UserRow]:
    """Every dashboard user with role, active flag, last login and assigned customers.

    Owners and managers see the list (managers read-only); the others get nothing: a user
    list tells who looks after which customers.
    """
    if not viewer.sees_all_customers:
        return []
    rows = (
        get_user_model()
        .objects.annotate(
            assigned=Count("managed_customers", distinct=True),
            role_name=F("solidground_role__role"),
        )
        .order_by(Lower("username"), "pk")
    )
    if user_id is not None:
        rows = rows.filter(pk=user_id)
    return [
        UserRow(
            id=user.pk,
            username=user.get_username(),
            email=user.email,
            role=effective_role(user.role_name, user.is_superuser),
            is_active=user.is_active,
            last_login=user.last_login,
            customers=user.assigned,
        )
        for user in rows
    ]


@dataclass(frozen=True)
class AssignableCustomer:
    id: int
    name: str
    assigned: bool  # to the user being edited
    account_manager: str  # another account manager's name, "" when none or this user


def assignable_customers(
    *, viewer: Viewer, user_id: int, query: str = ""
) -> list[AssignableCustomer]:
    """Customers for the assignment form of ``user_id``, by name, filtered by ``query``.

    Only a viewer who may manage users gets rows. Shows whose customer it is now, because
    assigning moves a customer away from its current account manager.
    """
    if not viewer.can_manage_users:
        return []
    from solidground.customers.models import Customer

    rows = Customer.objects.order_by(Lower("name"), "pk")
    # Filtered here, not with icontains: SQLite's LIKE ignores case for ASCII only, and an
    # owner typing "müller" expects "Müller Metallbau". A few thousand names are cheap.
    needle = query.strip().casefold()
    return [
        AssignableCustomer(
            id=pk,
            name=name,
            assigned=manager_id == user_id,
            account_manager=(manager_name or "") if manager_id != user_id else "",
        )
        for pk, name, manager_id, manager_name in rows.values_list(
            "pk", "name", "account_manager_id", "account_manager__username"
        )
        if needle in name.casefold()
    ]
