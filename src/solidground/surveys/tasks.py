"""Background tasks of the survey loop, run by `solidground worker` (Django's tasks framework).

Tasks are interfaces: they take ids, call the actions, and return a short status. Like the
management commands they sit above the insights app and may call its analysis.

- :func:`send_invitations`: send what is due; when a temporary error leaves invitations
  waiting, the task queues itself again for the time of the first retry.
- :func:`follow_up_answers`: after customers answered: their figures are analysed again
  (unless an analysis started after the answer already covers it) and, for an unhappy answer,
  the account manager gets a mail. One run handles every answer marked due, with one analysis
  for all the customers they belong to, so a burst of answers is not a burst of analyses.

How a click queues it, without a row every click would have to lock (a locked counter caps a
PostgreSQL store at one click per commit, about 250 a second here): the click queues a run
unless one is already waiting to start. A click that saw a run waiting can commit just after
that run took the due answers, so every run that was queued by a click queues one more run a
few seconds later (a sweep), and a sweep that found answers queues the next; the chain ends
after a quiet sweep. A starting worker queues a run if answers wait (``queue_follow_up_if_due``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from importlib.util import find_spec

from django.db import connection
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max

from solidground.surveys import actions

if find_spec("django.tasks"):
    from django.tasks import task
else:  # pragma: no cover - Django 5.2 on Python 3.11: the django-tasks backport, same API
    from django_tasks import task  # type: ignore[no-redef,import-not-found,unused-ignore]


@task()
def send_invitations() -> str:
    report = actions.do_send_due()
    if report.next_attempt_at is not None:
        send_invitations.using(run_after=report.next_attempt_at).enqueue()
    return (
        f"sent {report.sent}, reminders {report.reminded}, retrying {report.retrying}, "
        f"failed {report.failed}, bounced {report.bounced}"
    )


def _analysed_since(customer_id: int, moment: datetime) -> bool:
    from solidground.insights.models import AnalysisRun

    runs = AnalysisRun.objects.filter(
        started_at__gt=moment, status=AnalysisRun.Status.FINISHED
    ).values_list("customer_ids", flat=True)
    return any(not ids or customer_id in ids for ids in runs)


logger = logging.getLogger(__name__)
# When an account manager's mail could not go out, the follow-up runs again this much later.
FOLLOW_UP_RETRY = timedelta(minutes=5)
# The sweep after a run: answers whose click committed while that run was taking them.
SWEEP_AFTER = timedelta(seconds=3)


@task()
def follow_up_answers(sweep: bool = False) -> str:
    from solidground.insights.actions import analyze_customers

    due = actions.do_take_due_answers()
    if due or not sweep:
        follow_up_answers.using(run_after=timezone.now() + SWEEP_AFTER).enqueue(sweep=True)
    if not due:
        return "nothing to do"
    latest: dict[int, datetime] = {}
    for answer in due:
        latest[answer.customer_id] = max(
            answer.answered_at, latest.get(answer.customer_id, answer.answered_at)
        )
    customers = sorted(c for c, at in latest.items() if not _analysed_since(c, at))
    if customers:
        analyze_customers(customers)
    told, waiting = 0, []
    for answer in due:
        if not answer.unhappy:
            continue
        try:
            told += actions.do_alert_account_manager(answer_id=answer.answer_id)
        except OSError as exc:  # SMTP down or refusing: keep the answer due, try again later
            logger.warning(
                "account manager's mail for answer %s not sent: %s", answer.answer_id, exc
            )
            waiting.append(answer.answer_id)
    actions.do_mark_followed_up([a for a in due if a.answer_id not in waiting])
    if waiting:
        follow_up_answers.using(run_after=timezone.now() + FOLLOW_UP_RETRY).enqueue()
    parts = [f"{len(due)} answer(s)", f"{len(customers)} customer(s) analysed"]
    if told:
        parts.append(f"{told} account manager mail(s)")
    if waiting:
        parts.append(f"{len(waiting)} mail(s) waiting for a retry")
    return ", ".join(parts)


def queue_follow_up_if_due() -> bool:
    """Queue the follow-up if answers wait for it (the worker calls this when it starts, so
    answers a stopped worker left are handled). True if queued."""
    if actions.has_due_answers() and not _run_waiting():
        follow_up_answers.enqueue()
        return True
    return False


@task()
def after_answer(answer_id: int, customer_id: int, answered_at: str, unhappy: bool) -> str:
    """The follow-up of one answer, as version 0.x queued it per answer: kept so that tasks
    queued before an upgrade still run. New answers go through :func:`follow_up_answers`."""
    from solidground.insights.actions import analyze_customers

    done = []
    if unhappy and actions.do_alert_account_manager(answer_id=answer_id):
        done.append("account manager told")
    if not _analysed_since(customer_id, datetime.fromisoformat(answered_at)):
        analyze_customers([customer_id])
        done.append("analysed")
    return ", ".join(done) or "nothing to do"


def queue_invitations_after_import(customer_ids: list[int]) -> int:
    """The hook from "tickets resolved" (import, sync, API) to "invitation due": queue the
    invitations these customers' newly resolved tickets get (when ticket surveys are on) and
    let the worker send them. The number queued."""
    report = actions.do_queue_ticket_invitations(customer_ids=customer_ids)
    if report.queued:
        send_invitations.enqueue()
    return report.queued


def _run_waiting() -> bool:
    """A follow-up run is queued and may start now (a database queue only: with another task
    backend every answer queues a run)."""
    if not isinstance(follow_up_answers.get_backend(), DatabaseBackend):
        return False
    # As DBTaskResult.objects.ready() asks, in plain SQL: every click asks it, and the
    # queryset costs more to build than the (indexed) query costs to run.
    quote = connection.ops.quote_name
    table = DBTaskResult._meta.db_table
    sql = (
        f"SELECT 1 FROM {quote(table)} WHERE {quote('status')} = %s "  # noqa: S608
        f"AND {quote('task_path')} = %s AND ({quote('run_after')} = %s "
        f"OR {quote('run_after')} <= %s) LIMIT 1"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        TaskResultStatus.READY,
        follow_up_answers.module_path,
        adapt(get_date_max()),
        adapt(timezone.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def queue_after_answer(recorded: actions.Recorded) -> None:
    """After a click (in its transaction): queue a follow-up run unless one is waiting to
    start, which will take this answer (or its sweep will: see the module's docstring)."""
    if not _run_waiting():
        follow_up_answers.enqueue()
