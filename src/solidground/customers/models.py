"""Customers and their contacts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.common.models import SourceRecord, source_unique


class Customer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CANCELLED = "cancelled", _("cancelled")
        PROSPECT = "prospect", _("prospect")

    name = models.CharField(_("name"), max_length=200)
    # Country and subdivision pick the public holidays of the customer's business calendar
    # (ISO 3166-1 alpha-2 and the subdivision code the `holidays` package uses, e.g. DE / BY).
    country = models.CharField(_("country"), max_length=2, default="DE")
    subdivision = models.CharField(_("state or region"), max_length=10, blank=True, default="")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    seats = models.PositiveIntegerField(_("seats"), default=0)
    endpoints = models.PositiveIntegerField(_("endpoints"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    customer_since = models.DateField(_("customer since"), null=True, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="customer_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerReference(models.Model):
    """The id a customer has in one source system (a PSA, a helpdesk, a spreadsheet)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="references", verbose_name=_("customer")
    )
    source = models.CharField(_("source"), max_length=40)
    external_id = models.CharField(_("external ID"), max_length=120)

    class Meta:
        verbose_name = _("external reference")
        verbose_name_plural = _("external references")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="customerreference_source_external_id_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class Contact(SourceRecord):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=50, blank=True, default="")
    role = models.CharField(_("role"), max_length=100, blank=True, default="")
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    language = models.CharField(_("language"), max_length=8, blank=True, default="de")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "name"]
        constraints = [source_unique("contact")]

    def __str__(self) -> str:
        return self.name
