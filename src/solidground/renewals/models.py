"""Stored results of the renewal analysis: the fit of a full analysis, the risk per contract
and the thesis answers. Written whole by ``actions.do_fit_renewals``; pages read them."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.contracts.models import Contract
from solidground.customers.models import Customer
from solidground.insights.models import AnalysisRun


class RenewalFit(models.Model):
    """The renewal model of one full analysis (only the latest is kept)."""

    class Method(models.TextChoices):
        MODEL = "model", _("survival model")
        RULES = "rules", _("rules (not enough history)")

    run = models.OneToOneField(
        AnalysisRun,
        on_delete=models.CASCADE,
        related_name="renewal_fit",
        verbose_name=_("analysis run"),
    )
    created_at = models.DateTimeField(_("computed"))
    # The day the renewal calendar counts from, and the last quarter the figures cover.
    as_of = models.DateField(_("as of"))
    last_quarter = models.DateField(_("last quarter"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    history = models.JSONField(_("history (counts)"), default=dict, blank=True)
    shortfall = models.JSONField(_("what is missing for a model"), default=list, blank=True)
    model = models.JSONField(_("fitted model"), default=dict, blank=True)
    ph_check = models.JSONField(_("proportional hazards check"), default=list, blank=True)
    calibration = models.JSONField(_("calibration on held-out time"), default=dict, blank=True)
    curves = models.JSONField(_("Kaplan-Meier curves per segment"), default=list, blank=True)
    groups = models.JSONField(_("customers per group"), default=dict, blank=True)
    rules = models.JSONField(_("rules and thresholds"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True, default="")
    seconds = models.FloatField(_("duration (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("renewal model")
        verbose_name_plural = _("renewal models")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.method}"


class RiskLevel(models.TextChoices):
    HIGH = "high", _("high")
    ELEVATED = "elevated", _("elevated")
    LOW = "low", _("low")


class RenewalRisk(models.Model):
    """A running contract's risk of cancellation in the next twelve months, with reasons."""

    fit = models.ForeignKey(
        RenewalFit, on_delete=models.CASCADE, related_name="risks", verbose_name=_("renewal model")
    )
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, verbose_name=_("contract"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, verbose_name=_("customer"))
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    notice_date = models.DateField(_("notice date"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("revenue of the last twelve months"),
        default=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )
    # Only with a model; the rules give a level and reasons, never a percentage.
    risk = models.FloatField(_("risk of cancellation (12 months)"), null=True, blank=True)
    risk_low = models.FloatField(_("risk, lower bound"), null=True, blank=True)
    risk_high = models.FloatField(_("risk, upper bound"), null=True, blank=True)
    level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices)
    revenue_at_risk = models.DecimalField(
        _("revenue at risk"), default=Decimal("0"), max_digits=14, decimal_places=2
    )
    group = models.CharField(_("group"), max_length=20, blank=True, default="")
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("renewal risk")
        verbose_name_plural = _("renewal risks")
        ordering = ["-revenue_at_risk", "contract"]
        indexes = [models.Index(fields=["fit", "notice_date"])]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.level}"


class ThesisAnswer(models.Model):
    class Verdict(models.TextChoices):
        SUPPORTED = "supported", _("supported")
        CONTRADICTED = "contradicted", _("contradicted")
        CANNOT_TELL = "cannot_tell", _("the data cannot tell yet")

    fit = models.ForeignKey(
        RenewalFit,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("renewal model"),
    )
    question = models.PositiveSmallIntegerField(_("question"))
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    n = models.JSONField(_("counts"), default=dict, blank=True)
    measures = models.JSONField(_("measures"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("thesis answer")
        verbose_name_plural = _("thesis answers")
        ordering = ["fit", "question"]
        constraints = [
            models.UniqueConstraint(fields=["fit", "question"], name="thesisanswer_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.verdict}"
