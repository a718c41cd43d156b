"""API tokens: a user's key for the REST API, stored as a hash, with a scope."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One token of one user. The secret is shown once and only its SHA-256 is kept.

    The token string is ``sg_<prefix>_<secret>``; ``prefix`` (8 characters, unique) finds the
    row and is shown in lists so a user can tell their tokens apart.
    """

    class Scope(models.TextChoices):
        READ = "read", _("read")
        WRITE = "write", _("read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"sg_{self.prefix}… ({self.name})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# The webhook receivers' replay table (api/webhooks.py), in its own module.
from solidground.api.webhook_models import WebhookDelivery  # noqa: E402, F401
