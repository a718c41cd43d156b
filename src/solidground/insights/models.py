"""Stored results of the analysis. The web, API and reports read these; they never recompute."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.contracts.models import CatalogueItem
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
    # The last complete month the segments and findings speak of.
    as_of = models.DateField(_("as of (last complete month)"), null=True, blank=True)
    # Portfolio references per period (median contacts per seat, CSAT prior), so that a
    # re-analysis of one customer compares with the whole portfolio, not with itself.
    baseline = models.JSONField(_("portfolio baseline"), default=dict, blank=True)
    scope_report = models.JSONField(_("scope mapping report"), default=dict, blank=True)
    whale = models.JSONField(_("whale curve summary"), default=dict, blank=True)
    thresholds = models.JSONField(_("segment thresholds"), default=dict, blank=True)

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

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="periods", verbose_name=_("customer")
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    # The days the data cover: fewer than the period's days for the first and last periods of
    # an export that starts or ends inside them (a partial period, "so far" for the current
    # one). Rates per month divide by the months covered (engine.metrics.with_coverage).
    days_in_period = models.PositiveSmallIntegerField(_("days in the period"), default=0)
    days_covered = models.PositiveSmallIntegerField(_("days covered by the data"), default=0)

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
    sla_response_low = models.FloatField(
        null=True, blank=True, verbose_name=_("first response SLA met, lower bound")
    )
    sla_response_high = models.FloatField(
        null=True, blank=True, verbose_name=_("first response SLA met, upper bound")
    )
    sla_resolution_total = models.PositiveIntegerField(_("resolutions measured"), default=0)
    sla_resolution_met = models.PositiveIntegerField(_("resolutions in time"), default=0)
    sla_resolution_share = models.FloatField(_("resolution SLA met"), null=True, blank=True)
    sla_resolution_low = models.FloatField(
        null=True, blank=True, verbose_name=_("resolution SLA met, lower bound")
    )
    sla_resolution_high = models.FloatField(
        null=True, blank=True, verbose_name=_("resolution SLA met, upper bound")
    )

    # Reliability (issue 5). Rates per seat and endpoint are per month.
    seats = models.PositiveIntegerField(_("seats"), default=0)
    endpoints = models.PositiveIntegerField(_("endpoints"), default=0)
    tickets_per_seat = models.FloatField(_("tickets per seat and month"), null=True, blank=True)
    tickets_per_endpoint = models.FloatField(
        _("tickets per endpoint and month"), null=True, blank=True
    )
    resolved = models.PositiveIntegerField(_("tickets resolved"), default=0)
    first_contact_total = models.PositiveIntegerField(_("resolved with touches known"), default=0)
    first_contact_resolved = models.PositiveIntegerField(_("resolved at first contact"), default=0)
    first_contact_share = models.FloatField(_("first-contact resolution"), null=True, blank=True)
    first_contact_low = models.FloatField(
        null=True, blank=True, verbose_name=_("first-contact resolution, lower bound")
    )
    first_contact_high = models.FloatField(
        null=True, blank=True, verbose_name=_("first-contact resolution, upper bound")
    )
    reopened = models.PositiveIntegerField(_("reopened"), default=0)
    reopen_share = models.FloatField(_("reopen rate"), null=True, blank=True)
    reopen_low = models.FloatField(
        null=True, blank=True, verbose_name=_("reopen rate, lower bound")
    )
    reopen_high = models.FloatField(
        null=True, blank=True, verbose_name=_("reopen rate, upper bound")
    )
    sla_breaches = models.PositiveIntegerField(_("tickets with an SLA breach"), default=0)
    escalations = models.PositiveIntegerField(_("escalations"), default=0)
    complaints = models.PositiveIntegerField(_("complaints"), default=0)
    noticed_negatively = models.PositiveIntegerField(_("noticed negatively"), default=0)
    noticed_share = models.FloatField(_("share noticed negatively"), null=True, blank=True)
    noticed_low = models.FloatField(
        null=True, blank=True, verbose_name=_("share noticed negatively, lower bound")
    )
    noticed_high = models.FloatField(
        null=True, blank=True, verbose_name=_("share noticed negatively, upper bound")
    )

    # Satisfaction.
    csat_unhappy_share = models.FloatField(_("unhappy share"), null=True, blank=True)
    csat_unhappy_low = models.FloatField(
        null=True, blank=True, verbose_name=_("unhappy share, lower bound")
    )
    csat_unhappy_high = models.FloatField(
        null=True, blank=True, verbose_name=_("unhappy share, upper bound")
    )
    csat_shrunk = models.FloatField(_("CSAT for ranking (shrunken)"), null=True, blank=True)
    surveys_sent = models.PositiveIntegerField(_("CSAT surveys sent"), default=0)
    surveys_answered = models.PositiveIntegerField(_("CSAT surveys answered"), default=0)
    response_share = models.FloatField(_("response rate"), null=True, blank=True)
    response_low = models.FloatField(
        null=True, blank=True, verbose_name=_("response rate, lower bound")
    )
    response_high = models.FloatField(
        null=True, blank=True, verbose_name=_("response rate, upper bound")
    )
    answers = models.PositiveIntegerField(_("survey answers (all kinds)"), default=0)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    nps_responses = models.PositiveIntegerField(_("NPS answers"), default=0)
    nps_promoters = models.PositiveIntegerField(_("promoters"), default=0)
    nps_detractors = models.PositiveIntegerField(_("detractors"), default=0)
    nps_score = models.FloatField(_("NPS"), null=True, blank=True)
    nps_low = models.FloatField(null=True, blank=True, verbose_name=_("NPS, lower bound"))
    nps_high = models.FloatField(null=True, blank=True, verbose_name=_("NPS, upper bound"))
    relationship_responses = models.PositiveIntegerField(_("relationship answers"), default=0)
    relationship_negative = models.PositiveIntegerField(
        _("negative relationship answers"), default=0
    )

    # Contact intensity and special requests.
    interactions = models.PositiveIntegerField(_("interactions"), default=0)
    interactions_per_seat = models.FloatField(
        _("interactions per seat and month"), null=True, blank=True
    )
    contacts_per_seat = models.FloatField(_("contacts per seat and month"), null=True, blank=True)
    contact_intensity = models.FloatField(
        _("contact intensity (x portfolio median)"), null=True, blank=True
    )
    special_requests = models.PositiveIntegerField(_("special requests"), default=0)
    special_requests_per_seat = models.FloatField(
        null=True, blank=True, verbose_name=_("special requests per seat and month")
    )
    after_hours_tickets = models.PositiveIntegerField(_("tickets after hours"), default=0)
    after_hours_interactions = models.PositiveIntegerField(_("interactions after hours"), default=0)
    after_hours_contacts = models.PositiveIntegerField(_("contacts after hours"), default=0)

    # The extra-mile ledger.
    goodwill_cost = models.DecimalField(
        _("goodwill cost"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    mapped_tickets = models.PositiveIntegerField(_("tickets mapped to the catalogue"), default=0)
    out_of_scope_tickets = models.PositiveIntegerField(_("out-of-scope tickets"), default=0)
    out_of_scope_free_tickets = models.PositiveIntegerField(
        _("out-of-scope tickets done free"), default=0
    )
    out_of_scope_free_hours = models.FloatField(_("out-of-scope hours done free"), default=0.0)
    out_of_scope_free_value = models.DecimalField(
        _("out-of-scope work done free at catalogue rate"),
        default=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )

    # Profit.
    revenue_extra = models.DecimalField(
        _("billed extras"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    hours_worked = models.FloatField(_("hours worked"), default=0.0)
    reactive_hours = models.FloatField(_("hours on tickets"), default=0.0)
    rhem_hours = models.FloatField(
        _("reactive hours per endpoint and month"), null=True, blank=True
    )
    effective_hourly_rate = models.DecimalField(
        _("effective hourly rate"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    cost_to_serve = models.DecimalField(
        _("cost to serve"), default=Decimal("0"), max_digits=14, decimal_places=2
    )

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

    # No database constraint on the million-row result tables: a full analysis rewrites them
    # from the tickets it read, and PostgreSQL's per-row check of a million inserted rows took
    # 10 s at commit. Django still deletes the row with its ticket (on_delete), and a full
    # analysis drops rows whose ticket is gone (docs/analysis.md, "Storing").
    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla",
        db_constraint=False,
        verbose_name=_("ticket"),
    )
    first_response_business_seconds = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("first response (business seconds)")
    )
    resolution_business_seconds = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("resolution (business seconds)")
    )
    paused_business_seconds = models.BigIntegerField(
        default=0, verbose_name=_("paused (business seconds)")
    )
    first_response_due = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first response due")
    )
    resolution_due = models.DateTimeField(null=True, blank=True, verbose_name=_("resolution due"))
    first_response_state = models.CharField(
        max_length=20,
        choices=State.choices,
        blank=True,
        default="",
        verbose_name=_("first response state"),
    )
    resolution_state = models.CharField(
        max_length=20,
        choices=State.choices,
        blank=True,
        default="",
        verbose_name=_("resolution state"),
    )
    first_response_margin_seconds = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("first response margin (business seconds)")
    )
    resolution_margin_seconds = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("resolution margin (business seconds)")
    )
    first_response_near_breach = models.BooleanField(
        default=False, verbose_name=_("first response near breach")
    )
    resolution_near_breach = models.BooleanField(
        default=False, verbose_name=_("resolution near breach")
    )

    class Meta:
        verbose_name = _("ticket SLA result")
        verbose_name_plural = _("ticket SLA results")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.first_response_state}/{self.resolution_state}"


class SlaEvent(models.Model):
    """A clock a customer notices: breached, running past due, or near breach.

    One row per ticket and clock (first response, resolution), derived from ``TicketSla`` by
    every analysis together with the ticket's customer, priority and creation time, so that
    the SLA page and its CSV filter, count and page a few thousand rows instead of scanning a
    million tickets (docs/dashboard.md). Rewritten with the SLA results; never edited.
    """

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("first response")
        RESOLUTION = "resolution", _("resolution")

    # No database constraints, like TicketSla: rows are rewritten by the analysis.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        verbose_name=_("ticket"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("clock"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=TicketSla.State.choices)
    near_breach = models.BooleanField(_("near breach"), default=False)
    due = models.DateTimeField(_("due"), null=True, blank=True)
    margin_seconds = models.BigIntegerField(_("business-time margin (s)"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"))
    created_at = models.DateTimeField(_("ticket created"))

    class Meta:
        verbose_name = _("SLA breach or near breach")
        verbose_name_plural = _("SLA breaches and near breaches")
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["due"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}: {self.state}"


class CustomerTrend(models.Model):
    """One figure's change against the previous period or the same period a year before.

    Stored for each customer's latest complete month and quarter (docs/analysis.md, "Trends").
    """

    class Baseline(models.TextChoices):
        PREVIOUS = "previous", _("previous period")
        YEAR_BEFORE = "year_before", _("same period a year before")

    class Test(models.TextChoices):
        NEWCOMBE = "newcombe", _("Newcombe interval of the difference")
        POISSON = "poisson", _("Poisson rate test")
        NONE = "none", _("no test (hours or money)")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="trends", verbose_name=_("customer")
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    figure = models.CharField(_("figure"), max_length=40)
    baseline = models.CharField(_("compared with"), max_length=20, choices=Baseline.choices)
    reference_start = models.DateField(_("reference period start"))
    test = models.CharField(_("test"), max_length=20, choices=Test.choices)
    value = models.FloatField(_("value"), null=True, blank=True)
    reference = models.FloatField(_("reference value"), null=True, blank=True)
    # Difference for shares and amounts, ratio of rates for counts.
    change = models.FloatField(_("change"), null=True, blank=True)
    low = models.FloatField(_("change, lower bound"), null=True, blank=True)
    high = models.FloatField(_("change, upper bound"), null=True, blank=True)
    p_value = models.FloatField(_("p-value"), null=True, blank=True)
    significant = models.BooleanField(_("significant"), null=True, blank=True)
    # Either period covered by the data only in part: counts are compared per covered day.
    partial = models.BooleanField(_("partial period"), default=False)

    class Meta:
        verbose_name = _("customer trend")
        verbose_name_plural = _("customer trends")
        ordering = ["customer", "period_kind", "figure", "baseline"]
        indexes = [models.Index(fields=["customer", "period_kind", "period_start"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.figure} vs {self.baseline}"


class Segment(models.TextChoices):
    SOLID = "solid", _("solid")
    WATCH = "watch", _("watch")
    SERVICE_TRAP = "service_trap", _("service trap")
    AT_RISK = "at_risk", _("at risk")
    QUIET = "quiet", _("quiet")
    UNPROFITABLE = "unprofitable", _("unprofitable")
    UNCLASSIFIED = "unclassified", _("unclassified")


class CustomerSegment(models.Model):
    """A customer's segment, the rule and figures that placed it, and what would move it."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="segment",
        verbose_name=_("customer"),
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    rule = models.CharField(_("rule"), max_length=40)
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end (last quarter)"))
    # Lists of conditions {"key", "met", "value", "low", "high", "n", "threshold", ...}.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    movers = models.JSONField(_("what would move it"), default=list, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    # The segment the same rules gave one quarter earlier ("" when there was too little data),
    # so that pages can say what changed since last quarter.
    previous_segment = models.CharField(
        _("segment a quarter before"), max_length=20, blank=True, default=""
    )

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ["segment", "customer"]
        indexes = [models.Index(fields=["segment"])]

    def __str__(self) -> str:
        # Read in the admin (titles, breadcrumbs): the customer and the segment's name in the
        # reader's language, not the stored code.
        from solidground.insights.messages import SEGMENT_NAMES

        return f"{self.customer.name}: {SEGMENT_NAMES.get(self.segment, self.segment)}"


class Finding(models.Model):
    """Something a service manager can act on: a message key with its parameters (evidence).

    Rendered in the reader's language by ``insights.selectors.findings.finding_views``.
    """

    class Severity(models.IntegerChoices):
        INFO = 1, _("info")
        WARNING = 2, _("warning")
        URGENT = 3, _("urgent")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="findings", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=40)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    period_start = models.DateField(_("period"))
    params = models.JSONField(_("evidence"), default=dict, blank=True)
    # evidence_fingerprint(kind, params), written by the analysis: a user's decision on the
    # finding (FindingDecision) is matched by it in the database.
    fingerprint = models.CharField(_("evidence fingerprint"), max_length=64, default="")

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-severity", "customer", "kind"]
        indexes = [models.Index(fields=["customer"]), models.Index(fields=["kind"])]

    def __str__(self) -> str:
        # Read in the admin (titles, breadcrumbs): the sentence the dashboard shows, not the key.
        from solidground.insights.messages import render

        return f"{self.customer.name}: {render(self.kind, self.params, self.period_start)}"


def evidence_fingerprint(kind: str, params: object) -> str:
    """A stable digest of a finding's kind and evidence: the same evidence, the same digest."""
    text = json.dumps([kind, params], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FindingDecision(models.Model):
    """A user's decision on a finding: done or dismissed, with a note, who and when.

    Findings are rewritten by every analysis; a decision is kept by customer, kind and the
    fingerprint of the evidence, so it holds after the next analysis unless the evidence
    changes (then the finding is open again).
    """

    class Status(models.TextChoices):
        DONE = "done", _("done")
        DISMISSED = "dismissed", _("dismissed")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="finding_decisions",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    fingerprint = models.CharField(_("evidence fingerprint"), max_length=64)
    period_start = models.DateField(_("period"))
    params = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(_("decision"), max_length=20, choices=Status.choices)
    note = models.TextField(_("note"), blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        verbose_name = _("finding decision")
        verbose_name_plural = _("finding decisions")
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "fingerprint"], name="findingdecision_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.kind} {self.status}"


class TicketScope(models.Model):
    """How a ticket without a recorded catalogue item was mapped to one, or that it was not.

    Tickets whose catalogue item was recorded in the source have no row: their item is known.
    """

    class Method(models.TextChoices):
        RULE = "rule", _("keyword rule")
        CLASSIFIER = "classifier", _("classifier")
        UNMAPPED = "unmapped", _("unmapped")

    # No database constraint: see TicketSla.ticket.
    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scope",
        db_constraint=False,
        verbose_name=_("ticket"),
    )
    catalogue_item = models.ForeignKey(
        CatalogueItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("catalogue item"),
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    keyword = models.CharField(_("keyword"), max_length=200, blank=True, default="")
    confidence = models.FloatField(_("confidence"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket scope mapping")
        verbose_name_plural = _("ticket scope mappings")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.method}"


class WhalePoint(models.Model):
    """One customer on the whale curve of the last twelve analysed months."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="whale",
        verbose_name=_("customer"),
    )
    rank = models.PositiveIntegerField(_("rank"))
    profit = models.DecimalField(_("profit"), max_digits=14, decimal_places=2)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2)
    cumulative_profit = models.DecimalField(_("cumulative profit"), max_digits=16, decimal_places=2)
    cumulative_share = models.FloatField(_("share of total profit"), null=True, blank=True)
    customer_share = models.FloatField(_("share of customers"))
    window_start = models.DateField(_("from"))
    window_end = models.DateField(_("to"))

    class Meta:
        verbose_name = _("whale curve point")
        verbose_name_plural = _("whale curve")
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.rank}: {self.customer_id}"
