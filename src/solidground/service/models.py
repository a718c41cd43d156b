"""Tickets, their status history, time entries, interactions and highlights."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.common.models import SourceRecord, source_unique
from solidground.contracts.models import CatalogueItem, Contract, Priority, SlaPolicy
from solidground.customers.models import Contact, Customer


class TicketStatus(models.TextChoices):
    """Our statuses. Importers map each tool's status names onto these."""

    NEW = "new", _("new")
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING_CUSTOMER = "waiting_customer", _("waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("waiting for third party")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    PORTAL = "portal", _("portal")
    CHAT = "chat", _("chat")
    ONSITE = "onsite", _("on site")
    MONITORING = "monitoring", _("monitoring")
    OTHER = "other", _("other")


def _set_only(model: str, field: str) -> models.Index:
    """An index on an optional reference over the rows that have one: a row without it (most
    tickets name no contact or catalogue item) costs the index nothing on every write, and a
    lookup by a value still finds the index."""
    return models.Index(
        fields=[field], condition=models.Q(**{f"{field}__isnull": False}), name=f"{model}_{field}"
    )


class Ticket(SourceRecord):
    # Indexes (Meta): customer by the (customer, created_at) index, the optional references
    # by _set_only; fewer indexes to keep up on every write of a ticket.
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="tickets",
        verbose_name=_("customer"),
        db_index=False,
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("contact"),
        db_index=False,
    )
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("contract"),
        db_index=False,
    )
    # An explicit policy wins over the contract's (e.g. a project ticket under another SLA).
    sla_policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("SLA policy"),
        db_index=False,
    )
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True, default="")
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.MEDIUM
    )
    category = models.CharField(_("category"), max_length=100, blank=True, default="")
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL
    )
    status = models.CharField(
        _("status"), max_length=30, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    created_at = models.DateTimeField(_("created"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopens"), default=0)
    # How many times an agent worked on the ticket; 1 = first-contact resolution.
    agent_touches = models.PositiveSmallIntegerField(_("agent touches"), null=True, blank=True)
    catalogue_item = models.ForeignKey(
        CatalogueItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("catalogue item"),
        db_index=False,
    )
    billable = models.BooleanField(_("billable"), default=False)
    is_special_request = models.BooleanField(_("special request"), default=False)
    is_escalated = models.BooleanField(_("escalated"), default=False)
    is_complaint = models.BooleanField(_("complaint"), default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            source_unique("ticket"),
            models.CheckConstraint(
                condition=models.Q(first_response_at__isnull=True)
                | models.Q(first_response_at__gte=models.F("created_at")),
                name="ticket_first_response_after_created",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("created_at")),
                name="ticket_resolved_after_created",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="ticket_priority_range"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"]),
            *(
                _set_only("ticket", name)
                for name in ("contact", "contract", "sla_policy", "catalogue_item")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or self.pk}: {self.subject}"


class TicketStatusChange(SourceRecord):
    """The ticket entered ``status`` at ``changed_at``. The SLA engine reads pauses from these."""

    # Indexed by the (ticket, changed_at) index.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("ticket"),
        db_index=False,
    )
    changed_at = models.DateTimeField(_("changed"))
    status = models.CharField(_("status"), max_length=30, choices=TicketStatus.choices)
    source_status = models.CharField(
        _("status in the source"), max_length=100, blank=True, default=""
    )

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["ticket", "changed_at"]
        constraints = [source_unique("ticketstatuschange")]
        indexes = [models.Index(fields=["ticket", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.status} at {self.changed_at:%Y-%m-%d %H:%M}"


class TimeEntry(SourceRecord):
    class Billing(models.TextChoices):
        BILLED = "billed", _("billed")
        INCLUDED = "included", _("included in the contract")
        GOODWILL = "goodwill", _("goodwill (not billed)")
        INTERNAL = "internal", _("internal")

    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_entries",
        verbose_name=_("ticket"),
    )
    # Indexed by the (customer, started_at) index.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="time_entries",
        verbose_name=_("customer"),
        db_index=False,
    )
    technician = models.CharField(_("technician"), max_length=100, blank=True, default="")
    started_at = models.DateTimeField(_("start"))
    minutes = models.PositiveIntegerField(_("minutes"))
    billing = models.CharField(_("billing"), max_length=20, choices=Billing.choices)
    billed_amount = models.DecimalField(
        _("billed amount"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    # Loaded labour cost of this entry; empty means hours x SOLIDGROUND_LOADED_COST_PER_HOUR.
    loaded_cost = models.DecimalField(
        _("loaded cost"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    description = models.TextField(_("description"), blank=True, default="")

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-started_at"]
        constraints = [
            source_unique("timeentry"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="timeentry_minutes"),
            models.CheckConstraint(
                condition=models.Q(billed_amount__isnull=True) | models.Q(billed_amount__gte=0),
                name="timeentry_billed_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["customer", "started_at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.started_at:%Y-%m-%d} {self.minutes} min"


class Interaction(SourceRecord):
    class Kind(models.TextChoices):
        CALL = "call", _("call")
        EMAIL = "email", _("email")
        MEETING = "meeting", _("meeting")
        CHAT = "chat", _("chat")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("inbound")
        OUTBOUND = "outbound", _("outbound")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("contact")
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        constraints = [source_unique("interaction")]
        indexes = [models.Index(fields=["customer", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.direction} {self.occurred_at:%Y-%m-%d}"


class Highlight(SourceRecord):
    """A documented moment of exceptional value (Wow-Moment), e.g. an attack stopped in time."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="highlights", verbose_name=_("customer")
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("ticket")
    )
    occurred_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")

    class Meta:
        verbose_name = _("highlight")
        verbose_name_plural = _("highlights")
        ordering = ["-occurred_on"]
        constraints = [source_unique("highlight")]

    def __str__(self) -> str:
        return self.title
