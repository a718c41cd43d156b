"""The viewer: who is asking, and which customers they may see.

Every selector that returns customer data takes a ``Viewer`` and filters with it, so that the
web pages, CSV exports, the API and reports enforce the same rule in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Manager, Model, Q, QuerySet

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
