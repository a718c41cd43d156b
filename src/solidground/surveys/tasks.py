"""Background tasks of the survey loop, run by `solidground worker` (Django's tasks framework).

Tasks are interfaces: they take ids, call the actions, and return a short status. Like the
management commands they sit above the insights app and may call its analysis.

- :func:`send_invitations`: send what is due; when a temporary error leaves invitations
  waiting, the task queues itself again for the time of the first retry.
- :func:`after_answer`: after a customer answered: the customer's figures are analysed again
  (unless an analysis started after the answer already covers it) and, for an unhappy answer,
  the account manager gets a mail.
"""

from __future__ import annotations

from datetime import datetime
from importlib.util import find_spec

from django.utils import timezone

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


@task()
def after_answer(answer_id: int, customer_id: int, answered_at: str, unhappy: bool) -> str:
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


def queue_after_answer(recorded: actions.Recorded) -> None:
    answer = recorded.answer
    after_answer.enqueue(
        answer_id=answer.pk,
        customer_id=answer.customer_id,
        answered_at=(answer.answered_at or timezone.now()).isoformat(),
        unhappy=recorded.unhappy,
    )
