"""Survey invitations and answers: ticket CSAT, relationship surveys, NPS.

``SurveyAnswer`` is what importers write and the analysis reads. The survey loop that Solidground
runs itself (docs/surveys.md) adds invitations with their send log, unsubscribes, relationship
campaigns and the settings of the mails; an answer given through it is a ``SurveyAnswer`` too
(source ``solidground``), linked to its invitation.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
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
    # Set when an answer arrives through the survey loop (or is changed there): the worker's
    # follow-up (re-analysis, the account manager's mail) has not handled it yet. A default in
    # the database too: importers and the demo write answers in bulk without this column.
    follow_up_due = models.BooleanField(
        _("follow-up due"), default=False, db_default=False, editable=False
    )

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
        indexes = [
            models.Index(fields=["customer", "sent_at"]),
            models.Index(
                fields=["customer"],
                condition=models.Q(follow_up_due=True),
                name="surveyanswer_follow_up_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.score}"


_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #rrggbb, for example #1f4e79."))


class SurveySettings(models.Model):
    """The one row of survey settings an owner edits on the settings page.

    The mail transport (SMTP host, port, login) and the link lifetime are settings of the
    installation (environment variables); what the customer reads is kept here.
    """

    provider_name = models.CharField(_("provider name"), max_length=120, default="")
    brand_colour = models.CharField(
        _("main colour"), max_length=7, default="#1f4e79", validators=[_COLOUR]
    )
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#e8f0f8", validators=[_COLOUR]
    )
    sender = models.EmailField(_("sender address"), default="", blank=True)
    reply_to = models.EmailField(_("reply-to address"), default="", blank=True)
    ticket_surveys_enabled = models.BooleanField(_("send ticket surveys"), default=False)
    period_days = models.PositiveSmallIntegerField(
        _("days between two invitations to a contact"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    window_hours = models.PositiveSmallIntegerField(
        _("invite for tickets resolved in the last hours"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("days before the reminder of a relationship survey"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    excluded_words = models.CharField(
        _("no invitation when category or status contains"),
        max_length=300,
        default="spam, merged, duplicate, zusammengeführt, duplikat",
        blank=True,
    )
    notify_account_manager = models.BooleanField(
        _("mail the account manager about an unhappy answer"), default=True
    )
    subject_de = models.CharField(
        _("subject (German)"), max_length=200, default="Wie war unser Service? {subject}"
    )
    subject_en = models.CharField(
        _("subject (English)"), max_length=200, default="How did we do? {subject}"
    )
    intro_de = models.TextField(
        _("text (German)"),
        default="Guten Tag {contact},\n\nwir haben Ihre Anfrage „{subject}“ abgeschlossen. "
        "Wie zufrieden waren Sie? Klicken Sie einfach auf eine Antwort.",
    )
    intro_en = models.TextField(
        _("text (English)"),
        default="Hello {contact},\n\nwe have resolved your request “{subject}”. "
        "How satisfied were you? Just click an answer.",
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("survey settings"))


class Campaign(models.Model):
    """A relationship survey to the decision makers of one customer or of a segment."""

    name = models.CharField(_("name"), max_length=120)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_campaigns",
        verbose_name=_("customer"),
    )
    segment = models.CharField(_("segment"), max_length=30, blank=True, default="")
    ask_nps = models.BooleanField(_("ask the NPS question"), default=False)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("relationship campaign")
        verbose_name_plural = _("relationship campaigns")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(customer__isnull=False) & models.Q(segment=""))
                | (models.Q(customer__isnull=True) & ~models.Q(segment="")),
                name="campaign_customer_or_segment",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """One survey mail to one contact: for a resolved ticket (CSAT) or in a campaign.

    ``key`` is a random part of every link, checked with the signature: a link stays bound to
    this invitation even if its id were reused (a dry run's rolled-back ids).
    """

    class Kind(models.TextChoices):
        TICKET_CSAT = "ticket_csat", _("ticket satisfaction (CSAT)")
        RELATIONSHIP = "relationship", _("relationship survey")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")
        ANSWERED = "answered", _("answered")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("link key"), max_length=16)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    # CASCADE: a deleted ticket takes its invitation along, so its links find nothing (404).
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("ticket"),
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("campaign"),
    )
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=8, default="de")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(_("created"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")
    answer = models.OneToOneField(
        SurveyAnswer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
        verbose_name=_("answer"),
    )
    nps_answer = models.OneToOneField(
        SurveyAnswer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nps_invitation",
        verbose_name=_("NPS answer"),
    )
    # Relationship surveys: the two open questions (the comment of the answer holds both).
    keep_text = models.TextField(_("what we should keep"), blank=True, default="")
    change_text = models.TextField(_("what we should change"), blank=True, default="")

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at"]
        constraints = [
            # One CSAT invitation per ticket: a second run of `surveys send` adds none.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(kind="ticket_csat"),
                name="invitation_one_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=models.Q(campaign__isnull=False),
                name="invitation_one_per_campaign_contact",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["contact", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.email} {self.state}"


class InvitationEvent(models.Model):
    """The send log of an invitation: queued, sent, retried, bounced, answered, ..."""

    class Event(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        RETRY = "retry", _("temporary error, will retry")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")
        ANSWERED = "answered", _("answered")
        CHANGED = "changed", _("answer changed")
        REMINDED = "reminded", _("reminder sent")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="events", verbose_name=_("invitation")
    )
    at = models.DateTimeField(_("when"))
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("invitation event")
        verbose_name_plural = _("invitation events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["invitation", "at"])]

    def __str__(self) -> str:
        return f"{self.invitation_id} {self.event}"


class Unsubscribe(models.Model):
    """An address that asked for no more surveys; every later send honours it."""

    email = models.EmailField(_("email"), unique=True)  # stored lower-case
    at = models.DateTimeField(_("when"))
    invitation = models.ForeignKey(
        Invitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("from invitation"),
    )

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")
        ordering = ["-at"]

    def __str__(self) -> str:
        return self.email
