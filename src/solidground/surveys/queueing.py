"""Invitations: for recently resolved tickets (throttled, docs/surveys.md "When an invitation
goes out") and for relationship campaigns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from solidground.customers.models import Contact
from solidground.service.models import Ticket, TicketStatus, TicketStatusChange
from solidground.surveys import mail
from solidground.surveys.common import (
    log_event,
    new_key,
    survey_settings,
)
from solidground.surveys.models import (
    Campaign,
    Invitation,
    InvitationEvent,
    SurveyAnswer,
    Unsubscribe,
)

# --- queueing ------------------------------------------------------------------------------


@dataclass
class QueueReport:
    queued: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count


def _words(text: str) -> list[str]:
    return [w.strip().lower() for w in text.split(",") if w.strip()]


def _excluded(words: Sequence[str]) -> Q:
    """Tickets closed as spam, merged and the like: by category or by a status in the source."""
    condition = Q(pk__in=[])
    for word in words:
        in_source = TicketStatusChange.objects.filter(
            ticket=OuterRef("pk"), source_status__icontains=word
        )
        condition |= Q(category__icontains=word) | Q(Exists(in_source))
    return condition


def _unsubscribed(emails: set[str]) -> set[str]:
    return set(Unsubscribe.objects.filter(email__in=sorted(emails)).values_list("email", flat=True))


def do_queue_ticket_invitations(
    *,
    now: datetime | None = None,
    customer_ids: Sequence[int] | None = None,
    force: bool = False,
) -> QueueReport:
    """Queue a CSAT invitation for each recently resolved ticket that may get one.

    Only when ticket surveys are on in the settings (``force``: anyway, for a dry run). A ticket
    qualifies when it was resolved within the settings' window, has a contact with an address,
    has no invitation and no imported answer yet, and is not spam or merged; the contact must
    not have unsubscribed nor have had an invitation within the period. ``customer_ids`` limits
    the look to these customers' tickets (the hook after an import).
    """
    now = now or timezone.now()
    config = survey_settings()
    report = QueueReport()
    if not (config.ticket_surveys_enabled or force):
        return report
    tickets = (
        Ticket.objects.filter(
            status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED],
            resolved_at__gte=now - timedelta(hours=config.window_hours),
            resolved_at__lte=now,
        )
        .exclude(Exists(Invitation.objects.filter(ticket=OuterRef("pk"))))
        .exclude(Exists(SurveyAnswer.objects.filter(ticket=OuterRef("pk"))))
        .select_related("contact")
        .order_by("resolved_at", "pk")
    )
    if customer_ids is not None:
        tickets = tickets.filter(customer_id__in=list(customer_ids))
    words = _words(config.excluded_words)
    candidates = list(tickets)
    excluded = (
        set(tickets.filter(_excluded(words)).values_list("pk", flat=True)) if words else set()
    )
    emails = {t.contact.email.lower() for t in candidates if t.contact and t.contact.email}
    unsubscribed = _unsubscribed(emails)
    contact_ids = {t.contact_id for t in candidates if t.contact_id}
    recent = set(
        Invitation.objects.filter(
            contact_id__in=sorted(contact_ids),
            created_at__gt=now - timedelta(days=config.period_days),
        ).values_list("contact_id", flat=True)
    )
    new: list[Invitation] = []
    for ticket in candidates:
        contact = ticket.contact
        if ticket.pk in excluded:
            report.skip("spam or merged")
        elif contact is None or not contact.email:
            report.skip("no contact address")
        elif contact.email.lower() in unsubscribed:
            report.skip("unsubscribed")
        elif contact.pk in recent:
            report.skip("invited within the period")
        else:
            recent.add(contact.pk)
            new.append(_invitation(Invitation.Kind.TICKET_CSAT, contact, now, ticket=ticket))
    _store(new, now)
    report.queued = len(new)
    return report


def _invitation(
    kind: str,
    contact: Contact,
    now: datetime,
    *,
    ticket: Ticket | None = None,
    campaign: Campaign | None = None,
) -> Invitation:
    return Invitation(
        kind=kind,
        key=new_key(),
        customer_id=contact.customer_id,
        contact=contact,
        ticket=ticket,
        campaign=campaign,
        email=contact.email.lower(),
        language=mail.language_of(contact.language),
        created_at=now,
        next_attempt_at=now,
    )


def _store(invitations: list[Invitation], now: datetime) -> None:
    with transaction.atomic():
        stored = Invitation.objects.bulk_create(invitations, batch_size=500)
        InvitationEvent.objects.bulk_create(
            [log_event(i.pk, InvitationEvent.Event.QUEUED, now) for i in stored], batch_size=500
        )


def do_start_campaign(
    *,
    name: str,
    customer_ids: Sequence[int],
    customer_id: int | None = None,
    segment: str = "",
    ask_nps: bool = False,
    user: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> tuple[Campaign, QueueReport]:
    """A relationship survey to the decision makers (with an address, not unsubscribed) of
    ``customer_ids`` (the one customer, or the segment's customers as the caller found them)."""
    now = now or timezone.now()
    report = QueueReport()
    contacts = list(
        Contact.objects.filter(customer_id__in=list(customer_ids), is_decision_maker=True)
        .exclude(email="")
        .order_by("customer_id", "pk")
    )
    unsubscribed = _unsubscribed({c.email.lower() for c in contacts})
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name[:120],
            customer_id=customer_id,
            segment=segment,
            ask_nps=ask_nps,
            created_at=now,
            created_by=user if user is not None and user.pk else None,  # type: ignore[misc]
        )
        new = []
        for contact in contacts:
            if contact.email.lower() in unsubscribed:
                report.skip("unsubscribed")
                continue
            new.append(_invitation(Invitation.Kind.RELATIONSHIP, contact, now, campaign=campaign))
        _store(new, now)
    report.queued = len(new)
    return campaign, report
