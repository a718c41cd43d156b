"""A customer's answer through a signed link: stored (or changed) under the invitation's row
lock, one per invitation; unsubscribes; and the worker's side of the follow-up (the answers
marked due, taken and marked done; docs/surveys.md "The follow-up of answers").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from solidground.surveys import links
from solidground.surveys.common import (
    COMMENT_MAX,
    SOURCE,
    CommentTooLong,
    log_event,
)
from solidground.surveys.models import (
    Invitation,
    InvitationEvent,
    SurveyAnswer,
    Unsubscribe,
)

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
    """What a stored answer tells its caller (ids, not rows: the click builds no model)."""

    invitation_id: int
    answer_id: int
    customer_id: int
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

    The click is the survey loop's hot path (docs/surveys.md, "Speed"): the statements are
    plain SQL (``_ClickSql``), four or five a click, where the ORM spent more time building
    them than the database spent running them. They write what the ORM would.
    """
    now = now or timezone.now()
    score = links.CSAT_SCORES[answer]
    text = None if comment is None else _check_comment(comment)
    sql = _ClickSql.get()
    at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.lock, [link.invitation_id, link.key, Invitation.Kind.TICKET_CSAT])
        row = cursor.fetchone()
        if row is None:
            return None
        (customer_id, contact_id, ticket_id, sent_at, created_at, language, answer_id, old) = row
        first = answer_id is None
        if first:
            cursor.execute(
                sql.insert,
                [
                    SOURCE,
                    f"invitation-{link.invitation_id}",
                    SurveyAnswer.Kind.TICKET_CSAT,
                    customer_id,
                    contact_id,
                    ticket_id,
                    sent_at or created_at,
                    at,
                    score,
                    links.CSAT_SCALE[0],
                    links.CSAT_SCALE[1],
                    text or "",
                    language,
                    True,
                ],
            )
            answer_id = sql.inserted_id(cursor)
            cursor.execute(sql.link, [answer_id, Invitation.State.ANSWERED, link.invitation_id])
        elif text is None:
            cursor.execute(sql.change, [score, at, answer_id])
        else:
            cursor.execute(sql.change_with_comment, [score, at, text, answer_id])
        changed = not first and old != score
        if first or changed:
            event = InvitationEvent.Event.ANSWERED if first else InvitationEvent.Event.CHANGED
            cursor.execute(sql.log, [link.invitation_id, event, at, f"score {score}"])
        recorded = Recorded(
            link.invitation_id, answer_id, customer_id, changed, unhappy=answer == "negative"
        )
        if then is not None:
            then(recorded)  # in the same transaction: one commit a click
    return recorded


@dataclass(frozen=True)
class _ClickSql:
    """The statements of a click, built once per database vendor from the models' tables."""

    lock: str
    insert: str
    returning: bool
    link: str
    change: str
    change_with_comment: str
    log: str

    @staticmethod
    @functools.cache
    def _for(vendor: str) -> _ClickSql:
        q = connection.ops.quote_name
        invitations, answers = q(Invitation._meta.db_table), q(SurveyAnswer._meta.db_table)
        events = q(InvitationEvent._meta.db_table)

        def col(model: type[models.Model], name: str) -> str:
            field = model._meta.get_field(name)
            assert isinstance(field, models.Field)  # a column, not a reverse relation
            return q(str(field.column))

        inv = {n: col(Invitation, n) for n in ("id", "key", "kind", "answer", "state")}
        fields = [
            "source", "external_id", "kind", "customer", "contact", "ticket", "sent_at",
            "answered_at", "score", "scale_min", "scale_max", "comment", "language",
            "follow_up_due",
        ]  # fmt: skip
        columns = ", ".join(col(SurveyAnswer, n) for n in fields)
        selected = ", ".join(
            f"i.{col(Invitation, n)}"
            for n in ("customer", "contact", "ticket", "sent_at", "created_at", "language")
        )
        returning = connection.features.can_return_columns_from_insert
        lock_of = " FOR UPDATE OF i" if connection.features.has_select_for_update_of else ""
        score, when, comment = (col(SurveyAnswer, n) for n in ("score", "answered_at", "comment"))
        due = col(SurveyAnswer, "follow_up_due")
        change = f"UPDATE {answers} SET {score} = %s, {when} = %s"  # noqa: S608
        event_columns = ", ".join(
            col(InvitationEvent, n) for n in ("invitation", "event", "at", "detail")
        )
        return _ClickSql(
            lock=(
                f"SELECT {selected}, i.{inv['answer']}, a.{score} FROM {invitations} i "  # noqa: S608
                f"LEFT JOIN {answers} a ON a.{col(SurveyAnswer, 'id')} = i.{inv['answer']} "
                f"WHERE i.{inv['id']} = %s AND i.{inv['key']} = %s AND i.{inv['kind']} = %s"
                f"{lock_of}"
            ),
            insert=(
                f"INSERT INTO {answers} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
                + (f" RETURNING {col(SurveyAnswer, 'id')}" if returning else "")
            ),
            returning=returning,
            link=f"UPDATE {invitations} SET {inv['answer']} = %s, {inv['state']} = %s "  # noqa: S608
            f"WHERE {inv['id']} = %s",
            change=f"{change}, {due} = TRUE WHERE {col(SurveyAnswer, 'id')} = %s",
            change_with_comment=(
                f"{change}, {comment} = %s, {due} = TRUE WHERE {col(SurveyAnswer, 'id')} = %s"
            ),
            log=f"INSERT INTO {events} ({event_columns}) VALUES (%s, %s, %s, %s)",  # noqa: S608
        )

    @classmethod
    def get(cls) -> _ClickSql:
        return cls._for(connection.vendor)

    def inserted_id(self, cursor: Any) -> int:
        if self.returning:
            return int(cursor.fetchone()[0])
        return int(cursor.lastrowid)  # pragma: no cover - SQLite before 3.35


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
        log_event(invitation.pk, event, now, f"score {answer.score}").save()


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
        recorded = Recorded(
            invitation.pk,
            stored.pk,
            invitation.customer_id,
            changed,
            unhappy=score <= LOW_RELATIONSHIP_SCORE,
        )
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
            log_event(invitation.pk, InvitationEvent.Event.UNSUBSCRIBED, now).save()
    return invitation


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
