"""Writes of the survey loop (docs/surveys.md): invitations, sending, answers, unsubscribes.

- :func:`do_queue_ticket_invitations`: invitations for recently resolved tickets, throttled.
- :func:`do_start_campaign`: a relationship survey to decision makers.
- :func:`do_send_due`: send what is due over one SMTP connection; temporary errors retry with
  back-off, permanent refusals bounce; the send log records each step.
- :func:`do_record_answer` / :func:`do_record_relationship`: the customer's answer, stored as
  a ``SurveyAnswer`` (one per invitation: a second answer changes it).
- :func:`do_unsubscribe`: no more survey mails to this address.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from solidground.customers.models import Contact
from solidground.service.models import Ticket, TicketStatus, TicketStatusChange
from solidground.surveys import links, mail
from solidground.surveys.models import (
    Campaign,
    Invitation,
    InvitationEvent,
    SurveyAnswer,
    SurveySettings,
    Unsubscribe,
)

logger = logging.getLogger(__name__)

SOURCE = "solidground"  # SurveyAnswer.source of answers given through Solidground's own links
COMMENT_MAX = 2000  # characters; a longer comment is refused with a sentence, not cut
# Seconds to wait after the n-th temporary failure; after the last, the invitation fails.
BACKOFF = (60, 300, 1800, 7200, 21600)
ERROR_MAX = 300


class CommentTooLong(ValueError):
    """A comment over COMMENT_MAX characters: the page says so and stores nothing."""


def survey_settings() -> SurveySettings:
    """The one row of survey settings (created with the defaults on first use)."""
    found = SurveySettings.objects.filter(pk=1).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            # The name the service reviews use (SOLIDGROUND_PROVIDER_NAME), until changed here.
            name = str(getattr(settings, "PROVIDER_NAME", ""))[:120]
            return SurveySettings.objects.create(pk=1, provider_name=name)
    except IntegrityError:  # created meanwhile by another process
        return SurveySettings.objects.get(pk=1)


def _new_key() -> str:
    return secrets.token_urlsafe(9)[:12]


def _log(invitation_id: int, event: str, at: datetime, detail: str = "") -> InvitationEvent:
    return InvitationEvent(invitation_id=invitation_id, event=event, at=at, detail=detail[:300])


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
        key=_new_key(),
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
            [_log(i.pk, InvitationEvent.Event.QUEUED, now) for i in stored], batch_size=500
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


# --- sending -------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    reminded: int = 0
    retrying: int = 0
    failed: int = 0
    bounced: int = 0
    # When the next retry is due (None: nothing waits).
    next_attempt_at: datetime | None = None
    files: list[str] = field(default_factory=list)


def _temporary(exc: Exception) -> bool:
    """A failure worth retrying: the server is down or said 4xx (greylisting, full queue)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, (OSError, smtplib.SMTPException))


# Invitations claimed together. A worker killed mid-batch leaves at most this many "sending";
# do_recover_interrupted marks them failed (one of them may have reached the server).
BATCH = 20


def _claim_batch(now: datetime, limit: int) -> list[Invitation]:
    """Take up to ``limit`` due invitations for sending, in one transaction: rows locked (and
    skipped when another worker holds them) on PostgreSQL, the write lock on SQLite, so two
    workers never take the same invitation."""
    with transaction.atomic():
        ids = list(
            Invitation.objects.select_for_update(skip_locked=True)
            .filter(state=Invitation.State.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Invitation.objects.filter(pk__in=ids, state=Invitation.State.QUEUED).update(
            state=Invitation.State.SENDING, next_attempt_at=timezone.now()
        )
    return list(
        Invitation.objects.filter(pk__in=ids)
        .select_related("contact", "customer", "ticket")
        .order_by("next_attempt_at", "pk")
    )


def _reminders_due(now: datetime, config: SurveySettings) -> list[Invitation]:
    return list(
        Invitation.objects.filter(
            kind=Invitation.Kind.RELATIONSHIP,
            state=Invitation.State.SENT,
            reminded_at__isnull=True,
            sent_at__lte=now - timedelta(days=config.reminder_days),
        )
        .select_related("contact", "customer", "ticket")
        .order_by("sent_at", "pk")
    )


def _fail(invitation: Invitation, exc: Exception, now: datetime, report: SendReport) -> None:
    error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    attempts = invitation.attempts + 1
    if _temporary(exc) and attempts <= len(BACKOFF):
        retry_at = now + timedelta(seconds=BACKOFF[attempts - 1])
        Invitation.objects.filter(pk=invitation.pk).update(
            state=Invitation.State.QUEUED,
            attempts=attempts,
            next_attempt_at=retry_at,
            last_error=error,
        )
        _log(invitation.pk, InvitationEvent.Event.RETRY, now, error).save()
        report.retrying += 1
        if report.next_attempt_at is None or retry_at < report.next_attempt_at:
            report.next_attempt_at = retry_at
        return
    state, event = (
        (Invitation.State.FAILED, InvitationEvent.Event.FAILED)
        if _temporary(exc)
        else (Invitation.State.BOUNCED, InvitationEvent.Event.BOUNCED)
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        state=state, attempts=attempts, last_error=error
    )
    _log(invitation.pk, event, now, error).save()
    if state == Invitation.State.FAILED:
        report.failed += 1
    else:
        report.bounced += 1


def _mark_sent(invitation: Invitation, now: datetime) -> None:
    """The server accepted the mail: sent, at once (its log entry follows with the batch's)."""
    Invitation.objects.filter(pk=invitation.pk).update(
        state=Invitation.State.SENT, sent_at=now, attempts=invitation.attempts + 1, last_error=""
    )


def _release(invitations: list[Invitation]) -> None:
    """Claimed invitations this run did not try (it stopped at a server error): queued again,
    untouched."""
    if invitations:
        Invitation.objects.filter(
            pk__in=[i.pk for i in invitations], state=Invitation.State.SENDING
        ).update(state=Invitation.State.QUEUED)


def _send_one(
    connection: BaseEmailBackend,
    invitation: Invitation,
    config: SurveySettings,
    *,
    reminder: bool,
) -> Exception | None:
    try:
        connection.send_messages([mail.compose(invitation, config, reminder=reminder)])
    except Exception as exc:
        return exc
    return None


def _stops_the_run(exc: Exception) -> bool:
    """The server is in trouble (not one address): the rest wait for the next run."""
    return _temporary(exc) and not isinstance(exc, smtplib.SMTPRecipientsRefused)


def do_send_due(
    *,
    now: datetime | None = None,
    connection: BaseEmailBackend | None = None,
    limit: int | None = None,
) -> SendReport:
    """Send every due invitation (at most ``limit``) and reminder over one connection.

    Invitations are claimed in small batches before their mails go out (two workers never send
    the same one), and each is marked sent as soon as the server accepted it. When the server
    cannot be reached, the invitation being sent waits with back-off and the run stops: the
    rest go back to the queue untouched, so none is lost and none is sent twice.
    """
    now = now or timezone.now()
    config = survey_settings()
    report = SendReport()
    connection = connection or mailers.default
    unsubscribed = set(Unsubscribe.objects.values_list("email", flat=True))
    try:
        connection.open()
    except Exception as exc:
        first = _claim_batch(now, 1)
        if first:
            _fail(first[0], exc, now, report)
        return report
    try:
        remaining = limit
        stopped = False
        while not stopped and (remaining is None or remaining > 0):
            batch = _claim_batch(now, BATCH if remaining is None else min(BATCH, remaining))
            if not batch:
                break
            if remaining is not None:
                remaining -= len(batch)
            sent: list[Invitation] = []
            for position, invitation in enumerate(batch):
                if invitation.email in unsubscribed:
                    # Honoured at send time too (unsubscribed after it was queued).
                    Invitation.objects.filter(pk=invitation.pk).update(
                        state=Invitation.State.FAILED, last_error="unsubscribed"
                    )
                    continue
                error = _send_one(connection, invitation, config, reminder=False)
                if error is None:
                    _mark_sent(invitation, now)
                    sent.append(invitation)
                    continue
                _fail(invitation, error, now, report)
                if _stops_the_run(error):
                    _release(batch[position + 1 :])
                    stopped = True
                    break
            InvitationEvent.objects.bulk_create(
                [_log(i.pk, InvitationEvent.Event.SENT, now) for i in sent]
            )
            report.sent += len(sent)
        if not stopped:
            _send_reminders(connection, config, now, unsubscribed, report)
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("closing the SMTP connection failed", exc_info=True)
    return report


def _send_reminders(
    connection: BaseEmailBackend,
    config: SurveySettings,
    now: datetime,
    unsubscribed: set[str],
    report: SendReport,
) -> None:
    for invitation in _reminders_due(now, config):
        if invitation.email in unsubscribed:
            continue
        stamped = Invitation.objects.filter(
            pk=invitation.pk, state=Invitation.State.SENT, reminded_at__isnull=True
        ).update(reminded_at=now)
        if not stamped:
            continue  # another worker reminds this one
        error = _send_one(connection, invitation, config, reminder=True)
        if error is not None:
            Invitation.objects.filter(pk=invitation.pk).update(reminded_at=None)
            if _stops_the_run(error):
                return
            continue
        _log(invitation.pk, InvitationEvent.Event.REMINDED, now).save()
        report.reminded += 1


def do_recover_interrupted(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Invitations left "sending" by a killed worker: marked failed (not sent again blindly,
    since the server may have accepted the mail); the surveys page lists them."""
    stale = Invitation.objects.filter(
        state=Invitation.State.SENDING, next_attempt_at__lt=timezone.now() - older_than
    )
    ids = list(stale.values_list("pk", flat=True))
    now = timezone.now()
    stale.update(state=Invitation.State.FAILED, last_error="interrupted while sending")
    InvitationEvent.objects.bulk_create(
        [_log(pk, InvitationEvent.Event.FAILED, now, "interrupted while sending") for pk in ids]
    )
    return len(ids)


# --- answers -------------------------------------------------------------------------------


# What storing an answer reads of the invitation: a click is the hot path of the survey loop,
# and reading every column (or joining the answers, which a first answer does not have) costs
# more than the writes. An earlier answer is read when there is one (``invitation.answer``).
_LOCKED_FIELDS = (
    "key",
    "kind",
    "state",
    "customer_id",
    "contact_id",
    "ticket_id",
    "sent_at",
    "created_at",
    "language",
    "keep_text",
    "change_text",
    "answer",
    "nps_answer",
)


def _invitation_for(link: links.Link, kind: str) -> Invitation | None:
    """The invitation, locked until the transaction ends (two clicks at once are one answer
    and one change)."""
    try:
        return (
            Invitation.objects.select_for_update()
            .only(*_LOCKED_FIELDS)
            .get(pk=link.invitation_id, key=link.key, kind=kind)
        )
    except Invitation.DoesNotExist:
        return None


def _check_comment(text: str) -> str:
    text = text.replace("\x00", "").strip()
    if len(text) > COMMENT_MAX:
        raise CommentTooLong(text)
    return text


@dataclass(frozen=True)
class Recorded:
    invitation: Invitation
    answer: SurveyAnswer
    changed: bool  # an earlier answer was changed
    unhappy: bool


def _store_answer(
    invitation: Invitation,
    *,
    kind: str,
    score: int,
    scale: tuple[int, int],
    comment: str | None,
    now: datetime,
    suffix: str = "",
    existing: SurveyAnswer | None,
) -> tuple[SurveyAnswer, bool]:
    if existing is not None:
        changed = existing.score != score
        existing.score = score
        existing.answered_at = now
        if comment is not None:
            existing.comment = comment
        existing.follow_up_due = True
        existing.save(update_fields=["score", "answered_at", "comment", "follow_up_due"])
        return existing, changed
    answer = SurveyAnswer.objects.create(
        source=SOURCE,
        external_id=f"invitation-{invitation.pk}{suffix}",
        kind=kind,
        customer_id=invitation.customer_id,
        contact_id=invitation.contact_id,
        ticket_id=invitation.ticket_id,
        sent_at=invitation.sent_at or invitation.created_at,
        answered_at=now,
        score=score,
        scale_min=scale[0],
        scale_max=scale[1],
        comment=comment or "",
        language=invitation.language,
        follow_up_due=True,
    )
    return answer, False


def do_record_answer(
    *,
    link: links.Link,
    answer: str,
    comment: str | None,
    now: datetime | None = None,
    then: Callable[[Recorded], None] | None = None,
) -> Recorded | None:
    """Store (or change) the answer to a ticket survey; None if the invitation is gone.

    Runs under a row lock on the invitation, so two clicks at once give one answer. ``then``
    runs in the same transaction (the view queues the follow-up task there).
    """
    now = now or timezone.now()
    score = links.CSAT_SCORES[answer]
    text = None if comment is None else _check_comment(comment)
    with transaction.atomic():
        invitation = _invitation_for(link, Invitation.Kind.TICKET_CSAT)
        if invitation is None:
            return None
        stored, changed = _store_answer(
            invitation,
            kind=SurveyAnswer.Kind.TICKET_CSAT,
            score=score,
            scale=links.CSAT_SCALE,
            comment=text,
            now=now,
            existing=invitation.answer,
        )
        _after_answer(invitation, stored, changed, now)
        recorded = Recorded(invitation, stored, changed, unhappy=answer == "negative")
        if then is not None:
            then(recorded)  # in the same transaction: one commit a click
    return recorded


def _after_answer(
    invitation: Invitation, answer: SurveyAnswer, changed: bool, now: datetime
) -> None:
    first = invitation.answer_id is None
    if first:
        invitation.answer = answer
        invitation.state = Invitation.State.ANSWERED
        invitation.save(update_fields=["answer", "state"])
    event = (
        InvitationEvent.Event.ANSWERED
        if first
        else InvitationEvent.Event.CHANGED
        if changed
        else ""
    )
    if event:
        _log(invitation.pk, event, now, f"score {answer.score}").save()


RELATIONSHIP_SCALE = (1, 5)
NPS_SCALE = (0, 10)
LOW_RELATIONSHIP_SCORE = 2  # of 5: the bottom quarter of the scale, unhappy


def do_record_relationship(
    *,
    link: links.Link,
    score: int,
    nps: int | None,
    keep: str,
    change: str,
    now: datetime | None = None,
    then: Callable[[Recorded], None] | None = None,
) -> Recorded | None:
    """Store (or change) the answer to a relationship survey: overall 1-5, optionally NPS 0-10,
    and the two open questions (kept on the invitation and, together, as the comment)."""
    now = now or timezone.now()
    keep, change = _check_comment(keep), _check_comment(change)
    with translation.override(settings.LANGUAGE_CODE):
        keep_label, change_label = gettext("Keep"), gettext("Change")
    parts = [
        f"{keep_label}: {keep}" if keep else "",
        f"{change_label}: {change}" if change else "",
    ]
    comment = "\n\n".join(p for p in parts if p)
    with transaction.atomic():
        invitation = _invitation_for(link, Invitation.Kind.RELATIONSHIP)
        if invitation is None:
            return None
        stored, changed = _store_answer(
            invitation,
            kind=SurveyAnswer.Kind.RELATIONSHIP,
            score=score,
            scale=RELATIONSHIP_SCALE,
            comment=comment,
            now=now,
            existing=invitation.answer,
        )
        invitation.keep_text, invitation.change_text = keep, change
        invitation.save(update_fields=["keep_text", "change_text"])
        if nps is not None:
            nps_answer, _ = _store_answer(
                invitation,
                kind=SurveyAnswer.Kind.NPS,
                score=nps,
                scale=NPS_SCALE,
                comment="",
                now=now,
                suffix="-nps",
                existing=invitation.nps_answer,
            )
            if invitation.nps_answer_id is None:
                invitation.nps_answer = nps_answer
                invitation.save(update_fields=["nps_answer"])
        _after_answer(invitation, stored, changed, now)
        recorded = Recorded(invitation, stored, changed, unhappy=score <= LOW_RELATIONSHIP_SCORE)
        if then is not None:
            then(recorded)
    return recorded


def do_unsubscribe(*, link: links.Link, now: datetime | None = None) -> Invitation | None:
    """No more survey mails to the invitation's address (also for other contacts sharing it);
    queued invitations to it are not sent. None if the invitation is gone."""
    now = now or timezone.now()
    invitation = Invitation.objects.filter(pk=link.invitation_id, key=link.key).first()
    if invitation is None:
        return None
    with transaction.atomic():
        _, created = Unsubscribe.objects.get_or_create(
            email=invitation.email.lower(), defaults={"at": now, "invitation": invitation}
        )
        if created:
            _log(invitation.pk, InvitationEvent.Event.UNSUBSCRIBED, now).save()
    return invitation


def do_alert_account_manager(*, answer_id: int, connection: BaseEmailBackend | None = None) -> bool:
    """Mail the customer's account manager about an unhappy answer, if the settings say so and
    the account manager has an address. True if a mail went out."""
    config = survey_settings()
    if not config.notify_account_manager:
        return False
    answer = (
        SurveyAnswer.objects.select_related("customer__account_manager", "ticket", "contact")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None:
        return False
    manager: Any = answer.customer.account_manager
    if manager is None or not manager.email:
        return False
    message = mail.compose_alert(answer, config, to=manager.email)
    connection = connection or mailers.default
    return bool(connection.send_messages([message]))


# --- the follow-up of answers (the worker) ---------------------------------------------------


@dataclass(frozen=True)
class DueAnswer:
    """An answer the worker's follow-up has not handled yet, as it was when taken."""

    answer_id: int
    customer_id: int
    answered_at: datetime
    unhappy: bool


def _unhappy(kind: str, score: int | None) -> bool:
    if score is None:
        return False
    if kind == SurveyAnswer.Kind.TICKET_CSAT:
        return score == links.CSAT_SCORES["negative"]
    if kind == SurveyAnswer.Kind.RELATIONSHIP:
        return score <= LOW_RELATIONSHIP_SCORE
    return False  # the NPS answer of a relationship survey: its overall score decides


def do_take_due_answers() -> list[DueAnswer]:
    """Every answer waiting for its follow-up, oldest first."""
    rows = (
        SurveyAnswer.objects.filter(follow_up_due=True, answered_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "customer_id", "answered_at", "kind", "score")
    )
    return [
        DueAnswer(pk, customer_id, answered_at, _unhappy(kind, score))
        for pk, customer_id, answered_at, kind, score in rows
        if answered_at is not None  # never: the filter; for the type checker
    ]


def do_mark_followed_up(answers: Sequence[DueAnswer]) -> int:
    """Mark the answers handled, except those answered again since they were taken (their
    time moved on: the next follow-up handles them). The number marked."""
    marked = 0
    for start in range(0, len(answers), 500):
        chunk = answers[start : start + 500]
        condition = Q()
        for due in chunk:
            condition |= Q(pk=due.answer_id, answered_at=due.answered_at)
        marked += SurveyAnswer.objects.filter(condition, follow_up_due=True).update(
            follow_up_due=False
        )
    return marked


def has_due_answers() -> bool:
    return SurveyAnswer.objects.filter(follow_up_due=True).exists()
