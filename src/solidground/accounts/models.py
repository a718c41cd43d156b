"""Who may see what: each dashboard user has one role.

owner: everything, including user management. manager: every customer, settings read-only.
account manager: only the customers whose ``Customer.account_manager`` they are. A user without
a role sees no customer at all (a safe default for accounts created in the admin).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    MANAGER = "manager", _("service manager")
    ACCOUNT_MANAGER = "account_manager", _("account manager")


class UserRole(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="solidground_role",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("user role")
        verbose_name_plural = _("user roles")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role}"
