"""Background tasks of the importers, run by `solidground worker` (Django's tasks framework).

Tasks are interfaces: they take ids, call the action that does the work, and return a short
status. The queue is the database (django-tasks-db; settings.TASKS).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING

from solidground.importers.jobs import run_job

if find_spec("django.tasks"):
    from django.tasks import task
else:  # pragma: no cover - Django 5.2 on Python 3.11: the django-tasks backport, same API
    from django_tasks import task  # type: ignore[no-redef,import-not-found,unused-ignore]

if TYPE_CHECKING:
    from django.tasks import TaskContext


class ImportJobFailed(Exception):
    """The job's import failed; the job row says why in a sentence for the user."""


@task(takes_context=True)
def run_import_job(context: TaskContext, job_id: int) -> str:
    """Import the file of a queued ImportJob; the job records progress and outcome."""
    worker_ids = context.task_result.worker_ids
    runner = worker_ids[-1] if worker_ids else "worker"
    status = run_job(job_id=job_id, runner=runner)
    if status == "failed":
        # So the queue's own record (admin: Tasks) says failed too; the worker carries on.
        raise ImportJobFailed(f"import job {job_id} failed")
    return status
