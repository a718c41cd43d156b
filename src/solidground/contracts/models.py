"""Contracts, service catalogues, SLA policies, business calendars and revenue."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.common.models import SourceRecord, source_unique
from solidground.customers.models import Customer
from solidground.engine.periods import hhmm


def default_pausing_statuses() -> list[str]:
    return ["waiting_customer"]


def default_holiday_categories() -> list[str]:
    return ["public"]


class BusinessCalendar(models.Model):
    """When the provider's clock runs for a contract: a time zone, weekly windows, holidays.

    Calendars are data per contract, never a global setting (unlike django-helpdesk, whose
    business hours are global float settings, with 23.9999 standing for midnight).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    holiday_country = models.CharField(_("holiday country"), max_length=2, blank=True, default="DE")
    holiday_subdivision = models.CharField(
        _("holiday subdivision"), max_length=10, blank=True, default=""
    )
    holiday_categories = models.JSONField(
        _("holiday categories"), default=default_holiday_categories, blank=True
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarWindow(models.Model):
    """One opening window on a weekday, in minutes after local midnight.

    Minutes instead of TimeField because a window may close at 24:00 (1440) and may run over
    midnight (end <= start, e.g. a night shift 22:00-06:00).
    """

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="windows",
        verbose_name=_("calendar"),
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)], help_text=_("0 = Monday")
    )
    start_minute = models.PositiveSmallIntegerField(
        _("opens (minute of day)"), validators=[MaxValueValidator(1439)]
    )
    end_minute = models.PositiveSmallIntegerField(
        _("closes (minute of day)"), validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )

    class Meta:
        verbose_name = _("opening window")
        verbose_name_plural = _("opening windows")
        ordering = ["calendar", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="window_weekday_range"),
            models.CheckConstraint(
                condition=models.Q(start_minute__lte=1439), name="window_start_range"
            ),
            models.CheckConstraint(
                condition=models.Q(end_minute__gte=1, end_minute__lte=1440),
                name="window_end_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(start_minute=models.F("end_minute")),
                name="window_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday}: {hhmm(self.start_minute)}-{hhmm(self.end_minute)}"


class CalendarSpecialDay(models.Model):
    """A day with other opening windows than usual: closed (no windows) or partial."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="special_days",
        verbose_name=_("calendar"),
    )
    day = models.DateField(_("day"))
    # [["08:00", "12:00"], ...]; an empty list means closed all day.
    windows = models.JSONField(_("windows"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("special day")
        verbose_name_plural = _("special days")
        ordering = ["calendar", "day"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="specialday_calendar_day_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.windows or 'closed'}"


class SlaPolicy(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("calendar"),
    )
    pausing_statuses = models.JSONField(
        _("statuses that pause the clock"), default=default_pausing_statuses, blank=True
    )
    pause_first_response = models.BooleanField(
        _("pauses also stop the first-response clock"), default=False
    )
    near_breach_share = models.DecimalField(
        _("near-breach share"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(near_breach_share__gt=0, near_breach_share__lt=1),
                name="slapolicy_near_breach_share_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("P1 critical")
    HIGH = 2, _("P2 high")
    MEDIUM = 3, _("P3 medium")
    LOW = 4, _("P4 low")


class SlaTarget(models.Model):
    """Targets in business minutes for one priority."""

    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("SLA policy")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority"], name="slatarget_policy_priority"
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gt=0, resolution_minutes__gt=0),
                name="slatarget_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} P{self.priority}"


class Contract(SourceRecord):
    class Kind(models.TextChoices):
        MANAGED = "managed", _("managed service (flat fee)")
        BLOCK_HOURS = "block_hours", _("block of hours")
        TIME_MATERIAL = "time_material", _("time and material")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")
        CANCELLED = "cancelled", _("cancelled")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contracts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    monthly_fee = models.DecimalField(
        _("monthly fee"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    included_hours_per_month = models.DecimalField(
        _("included hours per month"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    hourly_rate = models.DecimalField(
        _("hourly rate for billable work"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    notice_period_days = models.PositiveIntegerField(_("notice period (days)"), default=90)
    auto_renew = models.BooleanField(_("renews automatically"), default=True)
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["customer", "start_date"]
        constraints = [
            source_unique("contract"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_fee__gte=0, hourly_rate__gte=0),
                name="contract_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogueItem(SourceRecord):
    """A line of a contract's service catalogue: included, or billed extra at a rate."""

    class Unit(models.TextChoices):
        HOUR = "hour", _("per hour")
        ITEM = "item", _("per item")
        MONTH = "month", _("per month")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="catalogue", verbose_name=_("contract")
    )
    code = models.CharField(_("code"), max_length=40, blank=True, default="")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    included = models.BooleanField(_("included in the contract"), default=True)
    rate = models.DecimalField(_("rate"), null=True, blank=True, max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.HOUR)
    # Comma-separated words in German and English that map a ticket to this item.
    keywords = models.TextField(_("keywords"), blank=True, default="")

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["contract", "code", "name"]
        constraints = [
            source_unique("catalogueitem"),
            models.CheckConstraint(
                condition=models.Q(rate__isnull=True) | models.Q(rate__gte=0),
                name="catalogueitem_rate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractEvent(SourceRecord):
    class Kind(models.TextChoices):
        RENEWED = "renewed", _("renewed")
        EXPANDED = "expanded", _("expanded")
        DOWNGRADED = "downgraded", _("downgraded")
        CANCELLED = "cancelled", _("cancelled")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="events", verbose_name=_("contract")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    monthly_fee_change = models.DecimalField(
        _("change of monthly fee"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")
        ordering = ["contract", "occurred_on"]
        constraints = [source_unique("contractevent")]

    def __str__(self) -> str:
        return f"{self.contract}: {self.kind} {self.occurred_on}"


class RevenueLine(SourceRecord):
    """Revenue booked for a customer in a month, with the direct costs behind it."""

    class Kind(models.TextChoices):
        RECURRING = "recurring", _("recurring")
        EXTRA = "extra", _("billed extra")
        PROJECT = "project", _("project")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="revenue", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revenue",
        verbose_name=_("contract"),
    )
    period = models.DateField(_("month"), help_text=_("first day of the month"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # Licences, hardware and third-party services passed through: not labour, but not margin.
    direct_cost = models.DecimalField(
        _("direct cost"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    description = models.CharField(_("description"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("revenue line")
        verbose_name_plural = _("revenue lines")
        ordering = ["customer", "period"]
        constraints = [
            source_unique("revenueline"),
            models.CheckConstraint(
                condition=models.Q(direct_cost__gte=0), name="revenue_direct_cost_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["customer", "period"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.period:%Y-%m} {self.amount}"
