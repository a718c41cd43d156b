"""Sending the survey mails over SMTP: due invitations and reminders in claimed batches,
temporary errors retried with back-off, permanent refusals bounced, every step in the send log;
and the account manager's mail about an unhappy answer.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from solidground.surveys import mail
from solidground.surveys.common import (
    log_event,
    survey_settings,
)
from solidground.surveys.models import (
    Invitation,
    InvitationEvent,
    SurveyAnswer,
    SurveySettings,
    Unsubscribe,
)

logger = logging.getLogger(__name__)

# Seconds to wait after the n-th temporary failure; after the last, the invitation fails.
BACKOFF = (60, 300, 1800, 7200, 21600)
ERROR_MAX = 300


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
        log_event(invitation.pk, InvitationEvent.Event.RETRY, now, error).save()
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
    log_event(invitation.pk, event, now, error).save()
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
                [log_event(i.pk, InvitationEvent.Event.SENT, now) for i in sent]
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
        log_event(invitation.pk, InvitationEvent.Event.REMINDED, now).save()
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
        [
            log_event(pk, InvitationEvent.Event.FAILED, now, "interrupted while sending")
            for pk in ids
        ]
    )
    return len(ids)


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
