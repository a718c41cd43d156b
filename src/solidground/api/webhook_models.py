"""Webhook deliveries already processed, so that a replayed delivery is refused.

Imported by ``api/models.py`` so that Django finds the model. Rows older than
``api.webhooks.REPLAY_WINDOW`` are deleted as new deliveries arrive: the table stays small, and
a delivery replayed after that window is simply written again (the write is idempotent).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookDelivery(models.Model):
    """One delivery a receiver accepted: Zammad's ``X-Zammad-Delivery``, ConnectWise's
    ``MessageId``."""

    class Receiver(models.TextChoices):
        ZAMMAD = "zammad", "Zammad"
        CONNECTWISE = "connectwise", "ConnectWise"

    receiver = models.CharField(_("receiver"), max_length=20, choices=Receiver.choices)
    delivery_id = models.CharField(_("delivery id"), max_length=200)
    received_at = models.DateTimeField(_("received"), db_index=True)
    # The import run that wrote the delivery's records (none for an ignored delivery).
    import_run_id = models.BigIntegerField(_("import run"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["receiver", "delivery_id"], name="api_webhook_delivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.receiver} {self.delivery_id}"
