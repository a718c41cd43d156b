"""Survey invitations and answers: ticket CSAT, relationship surveys, NPS."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from solidground.common.models import SourceRecord, source_unique
from solidground.customers.models import Contact, Customer
from solidground.service.models import Ticket


class SurveyAnswer(SourceRecord):
    """One survey sent to a contact, and the answer if one came back.

    Unanswered invitations are kept (``answered_at`` and ``score`` empty) because the response
    rate is answers / surveys sent.
    """

    class Kind(models.TextChoices):
        TICKET_CSAT = "ticket_csat", _("ticket satisfaction (CSAT)")
        RELATIONSHIP = "relationship", _("relationship survey")
        NPS = "nps", _("Net Promoter Score")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_answers",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("contact")
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_answers",
        verbose_name=_("ticket"),
    )
    sent_at = models.DateTimeField(_("sent"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    scale_min = models.SmallIntegerField(_("lowest score"), default=1)
    scale_max = models.SmallIntegerField(_("highest score"), default=5)
    comment = models.TextField(_("comment"), blank=True, default="")
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-sent_at"]
        constraints = [
            source_unique("surveyanswer"),
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")), name="survey_scale_order"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(score__gte=models.F("scale_min"), score__lte=models.F("scale_max")),
                name="survey_score_on_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True, answered_at__isnull=True)
                | models.Q(score__isnull=False, answered_at__isnull=False),
                name="survey_answer_has_score_and_time",
            ),
        ]
        indexes = [models.Index(fields=["customer", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.score}"
