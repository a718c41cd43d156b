"""Stored results of the analysis. The web, API and reports read these; they never recompute."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.customers.models import Customer
from solidground.service.models import Ticket


class AnalysisRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # Empty = whole portfolio; otherwise the customer ids re-analysed after an import.
    customer_ids = models.JSONField(_("customers"), default=list, blank=True)
    tickets = models.PositiveIntegerField(_("tickets analysed"), default=0)
    customers = models.PositiveIntegerField(_("customers analysed"), default=0)
    seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


class PeriodKind(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")


class CustomerPeriod(models.Model):
    """Figures for one customer and one month or quarter.

    Shares are floats (they are estimates, shown with their intervals); money is Decimal.
    A share is empty (NULL) when there is nothing to divide: "no data", never 0% or 100%.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="periods")
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))

    tickets = models.PositiveIntegerField(_("tickets"), default=0)
    hours_billed = models.FloatField(_("hours billed"), default=0.0)
    hours_included = models.FloatField(_("hours included"), default=0.0)
    hours_goodwill = models.FloatField(_("goodwill hours"), default=0.0)
    hours_internal = models.FloatField(_("internal hours"), default=0.0)
    goodwill_share = models.FloatField(_("goodwill share"), null=True, blank=True)

    revenue = models.DecimalField(
        _("revenue"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    direct_cost = models.DecimalField(
        _("direct cost"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    labour_cost = models.DecimalField(
        _("labour cost"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    margin = models.DecimalField(_("margin"), default=Decimal("0"), max_digits=14, decimal_places=2)
    margin_share = models.FloatField(_("agreement margin"), null=True, blank=True)

    csat_responses = models.PositiveIntegerField(_("CSAT answers"), default=0)
    csat_positive = models.PositiveIntegerField(_("positive answers"), default=0)
    csat_negative = models.PositiveIntegerField(_("negative answers"), default=0)
    csat_share = models.FloatField(_("CSAT"), null=True, blank=True)
    csat_low = models.FloatField(_("CSAT lower bound"), null=True, blank=True)
    csat_high = models.FloatField(_("CSAT upper bound"), null=True, blank=True)

    sla_response_total = models.PositiveIntegerField(_("first responses measured"), default=0)
    sla_response_met = models.PositiveIntegerField(_("first responses in time"), default=0)
    sla_response_share = models.FloatField(_("first response SLA met"), null=True, blank=True)
    sla_response_low = models.FloatField(null=True, blank=True)
    sla_response_high = models.FloatField(null=True, blank=True)
    sla_resolution_total = models.PositiveIntegerField(_("resolutions measured"), default=0)
    sla_resolution_met = models.PositiveIntegerField(_("resolutions in time"), default=0)
    sla_resolution_share = models.FloatField(_("resolution SLA met"), null=True, blank=True)
    sla_resolution_low = models.FloatField(null=True, blank=True)
    sla_resolution_high = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer period")
        verbose_name_plural = _("customer periods")
        ordering = ["customer", "period_kind", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period_kind", "period_start"], name="customerperiod_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period_kind} {self.period_start}"


class TicketSla(models.Model):
    """The SLA clock's verdict on one ticket (docs/sla.md)."""

    class State(models.TextChoices):
        MET = "met", _("met")
        BREACHED = "breached", _("breached")
        RUNNING = "running", _("running")
        RUNNING_BREACHED = "running_breached", _("running, past due")

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    first_response_business_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_business_seconds = models.BigIntegerField(null=True, blank=True)
    paused_business_seconds = models.BigIntegerField(default=0)
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_response_state = models.CharField(
        max_length=20, choices=State.choices, blank=True, default=""
    )
    resolution_state = models.CharField(
        max_length=20, choices=State.choices, blank=True, default=""
    )
    first_response_margin_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_margin_seconds = models.BigIntegerField(null=True, blank=True)
    first_response_near_breach = models.BooleanField(default=False)
    resolution_near_breach = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ticket SLA result")
        verbose_name_plural = _("ticket SLA results")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.first_response_state}/{self.resolution_state}"
