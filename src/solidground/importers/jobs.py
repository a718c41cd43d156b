"""Import jobs: a file uploaded on the imports page, its preview, and its run.

The flow (actions are ``do_*``, keyword-only; reads take ``viewer``):

1. :func:`do_upload_file` checks the upload (a table, not too large), saves it under
   ``DATA_DIR/uploads/<random name>``, previews it with the chosen preset or saved mapping and
   stores the preview in an :class:`ImportJob`. A file that cannot work is deleted again and
   the user gets one sentence (:class:`UploadRefused`); nothing is stored.
2. :func:`do_start_job` runs a small file within the request, and queues a larger one for
   ``solidground worker`` (``tasks.run_import_job``).
3. :func:`run_job` is what both call: ``do_import_file`` with a progress callback, then the
   ImportRun is linked and the upload deleted.

Live state that must be visible while an import runs lives in files (``job_files.py``);
the mappings a user can choose are in ``saved_mappings.py``. The upload and preview are in
``job_upload.py`` and what the imports page reads in ``job_reads.py``; this module runs jobs
and re-exports both.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from solidground.importers.actions import (
    _analyze_after,  # the same "analysis failed, import kept" handling as do_import_file's
    do_import_file,
    rejects_path_for,
)
from solidground.importers.job_files import (
    PROGRESS_INTERVAL,
    heartbeat,
    live_runners,
    rejects_file,
    side_file,
    upload_path,
    write_progress,
)
from solidground.importers.job_reads import (
    ACTIVE,
    HISTORY_PAGE_SIZE,
    OPEN,
    HistoryRow,
    JobState,
    import_history,
    import_run_for,
    job_for,
    job_state,
    open_jobs,
    orphan_sentence,
)
from solidground.importers.job_upload import (
    PREVIEW_ROWS,
    SNIFF_BYTES,
    STALE_UPLOAD,
    TABLE_SUFFIXES,
    _display,
    _remove_files,
    do_discard_stale_uploads,
    do_upload_file,
    sniff_table,
    too_large_sentence,
)
from solidground.importers.mapping import MappingError
from solidground.importers.models import ImportJob, ImportRun
from solidground.importers.reading import FileFormatError
from solidground.importers.saved_mappings import job_mapping

logger = logging.getLogger(__name__)

__all__ = [
    "ACTIVE",
    "HISTORY_PAGE_SIZE",
    "OPEN",
    "PREVIEW_ROWS",
    "SNIFF_BYTES",
    "STALE_UPLOAD",
    "TABLE_SUFFIXES",
    "HistoryRow",
    "ImportCancelled",
    "JobState",
    "do_cancel_job",
    "do_discard_stale_uploads",
    "do_fail_orphaned_jobs",
    "do_start_job",
    "do_upload_file",
    "import_history",
    "import_run_for",
    "job_for",
    "job_state",
    "open_jobs",
    "orphan_sentence",
    "run_job",
    "runs_inline",
    "sniff_table",
    "too_large_sentence",
]


class ImportCancelled(Exception):
    """Raised in the progress callback when the user cancelled: the import rolls back."""


# --- running -----------------------------------------------------------------------------------


def runs_inline(job: ImportJob) -> bool:
    """Small files are imported within the request (settings.IMPORT_INLINE_MAX_MB)."""
    return job.size <= settings.IMPORT_INLINE_MAX_MB * 1024 * 1024


def do_start_job(*, job: ImportJob) -> ImportJob:
    """Run a previewed job: now if the file is small, else queue it for the worker.

    Only the first of two clicks on "Run" starts it (the status changes conditionally).
    """
    # Imported here: the task (tasks.py) wraps run_job of this module, so this module can
    # only reach the task object at call time. The one deferred import between the two.
    from solidground.importers.tasks import run_import_job

    with transaction.atomic():
        queued = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
            status=ImportJob.Status.QUEUED, queued_at=timezone.now()
        )
        if queued and not runs_inline(job):
            # The queue row and the job's new status commit together: the worker never
            # sees a task whose job still says "previewed".
            result = run_import_job.enqueue(job_id=job.pk)
            ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    if queued and runs_inline(job):
        runner = f"inline-{job.pk}"
        with heartbeat(runner):
            run_job(job_id=job.pk, runner=runner)
    job.refresh_from_db()
    return job


def do_cancel_job(*, job: ImportJob) -> ImportJob:
    """Cancel a job that has not finished: nothing of its file is imported.

    A running import is asked to stop through a file (its transaction holds the database);
    it rolls back at the end of the chunk it is writing and the runner marks it cancelled.
    """
    if job.status == ImportJob.Status.RUNNING:
        side_file(job, "cancel").touch()
        return job
    if job.status not in (
        ImportJob.Status.UPLOADED,
        ImportJob.Status.PREVIEWED,
        ImportJob.Status.QUEUED,
    ):
        return job
    updated = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportJob.Status.CANCELLED, finished_at=timezone.now()
    )
    if updated:
        _remove_files(job)
    job.refresh_from_db()
    return job


class _Progress:
    """The progress callback: writes the progress file at most every PROGRESS_INTERVAL s."""

    def __init__(self, job: ImportJob) -> None:
        self.path = side_file(job, "progress")
        self.cancel = side_file(job, "cancel")
        self.last = 0.0
        self.done = 0
        self.total = job.size

    def __call__(self, done: int, total: int) -> None:
        if self.cancel.exists():
            raise ImportCancelled
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and done < total:
            return
        self.last = now
        write_progress(self.path, done, total)


def _rejects_path(job: ImportJob) -> Path:
    try:
        label = get_valid_filename(Path(job.original_name).stem)
    except Exception:  # SuspiciousFileOperation for names such as ".."
        label = "import"
    return rejects_path_for(f"job{job.pk}-{label[:80]}.csv")


def _show_original_name(run: ImportRun, job: ImportJob) -> None:
    """The run and its rejects name the user's file, not the random name it was stored as."""
    run.file_name = job.original_name[:500]
    run.first_errors = [_display(str(text), job) for text in run.first_errors]
    run.error = _display(run.error, job)
    run.save(update_fields=["file_name", "first_errors", "error"])
    rejects = rejects_file(run)
    if rejects is None:
        return
    rewritten = rejects.with_suffix(".tmp")
    with (
        rejects.open(newline="", encoding="utf-8-sig") as source,
        rewritten.open("w", newline="", encoding="utf-8-sig") as target,
    ):
        writer = csv.writer(target)
        for row in csv.reader(source):
            if row and row[0] == job.stored_name:
                row[0] = job.original_name
            writer.writerow(row)
    rewritten.replace(rejects)


def run_job(*, job_id: int, runner: str) -> str:
    """Import a queued job's file; returns the job's final status.

    Called by the worker's task and, for small files, within the request. A job that was
    cancelled (or started elsewhere) meanwhile is left alone. Never raises for a bad file:
    the job says failed, with a sentence; an interruption (SystemExit, KeyboardInterrupt) is
    recorded and re-raised.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), runner=runner[:100]
    )
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if not claimed:
        return str(job.status)
    progress = _Progress(job)
    write_progress(progress.path, 0, job.size)
    interrupted: BaseException | None = None
    try:
        mapping = job_mapping(job)
        outcome = do_import_file(
            upload_path(job),
            preset=job.preset or None,
            mapping=None if job.preset else mapping,
            user=job.user,
            strict=job.strict,
            rejects_path=_rejects_path(job),
            progress=progress,
            analyze=False,
        )
        job.run = outcome.run
        # Everything is read and written (the byte count of the last chunk need not be the
        # file's size: a CSV is read from a UTF-8 copy); the page says "analysing" now.
        progress.done = progress.total
        write_progress(progress.path, progress.total, progress.total, phase="analysing")
        if not outcome.result.refused:
            _analyze_after(outcome.run, sorted(outcome.result.customer_ids))
        job.status = ImportJob.Status.FINISHED
    except ImportCancelled:
        job.status = ImportJob.Status.CANCELLED
    except (MappingError, FileFormatError) as exc:
        job.status = ImportJob.Status.FAILED
        job.error = _display(str(exc), job)
    except Exception as exc:
        job.status = ImportJob.Status.FAILED
        if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
            # SQLite allows one writer: another import (the worker's, or the command line's)
            # held the store for longer than the connection's timeout.
            logger.warning("import job %s: %s", job.pk, exc)
            job.error = _(
                "The store was busy with another import, so nothing was written; upload the "
                "file again when that import has finished."
            )
        else:
            logger.exception("import job %s (%s) failed", job.pk, job.original_name)
            job.error = _("The import stopped with an error (%(error)s); nothing was written.") % {
                "error": _display(f"{type(exc).__name__}: {exc}", job)[:500]
            }
    except BaseException as exc:  # the worker is being stopped, or Ctrl-C in the request
        interrupted = exc
        job.status = ImportJob.Status.FAILED
        job.error = _("The import was interrupted (the worker was stopped); nothing was written.")
    if job.run is None:
        job.run = ImportRun.objects.filter(file_name=job.stored_name).order_by("-pk").first()
    if job.run is not None:
        _show_original_name(job.run, job)
    job.bytes_done, job.bytes_total = progress.done, progress.total
    job.finished_at = timezone.now()
    job.save(update_fields=["run", "status", "error", "bytes_done", "bytes_total", "finished_at"])
    _remove_files(job)
    if interrupted is not None:
        raise interrupted
    return str(job.status)


def do_fail_orphaned_jobs() -> int:
    """Jobs left "running" by a process that is gone (killed, restarted): say so.

    The import's transaction died with the process, so nothing of the file was written
    unless its ImportRun finished (then only the analysis afterwards was cut short).
    """
    alive = live_runners()
    count = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING).exclude(runner__in=alive):
        run = job.run or ImportRun.objects.filter(file_name=job.stored_name).first()
        job.run = run
        job.status = ImportJob.Status.FAILED
        job.error = orphan_sentence(run)
        job.finished_at = timezone.now()
        job.save(update_fields=["run", "status", "error", "finished_at"])
        _remove_files(job)
        count += 1
    return count
