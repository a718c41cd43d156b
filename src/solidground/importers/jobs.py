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
the mappings a user can choose are in ``saved_mappings.py``.
"""

from __future__ import annotations

import csv
import logging
import os
import secrets
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import polars as pl
from charset_normalizer import is_binary
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from solidground.importers.actions import (
    _analyze_after,  # the same "analysis failed, import kept" handling as do_import_file's
    do_import_file,
    preview_import,
    rejects_path_for,
)
from solidground.importers.job_files import (
    PROGRESS_INTERVAL,
    heartbeat,
    live_runners,
    read_progress,
    rejects_file,
    side_file,
    upload_path,
    uploads_dir,
    worker_running,
    write_progress,
)
from solidground.importers.mapping import (
    Mapping,
    MappingError,
)
from solidground.importers.models import ImportJob, ImportRun
from solidground.importers.reading import FileFormatError
from solidground.importers.records import frame_schema
from solidground.importers.saved_mappings import (
    UploadRefused,
    account_of,
    job_mapping,
    resolve_choice,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.core.files.uploadedfile import UploadedFile

    from solidground.accounts.selectors import Viewer

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
# Uploads previewed but never run are discarded after this long.
STALE_UPLOAD = timedelta(days=1)
SNIFF_BYTES = 64 * 1024
TABLE_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
OPEN = (ImportJob.Status.UPLOADED, ImportJob.Status.PREVIEWED, *ACTIVE)
HISTORY_PAGE_SIZE = 25


class ImportCancelled(Exception):
    """Raised in the progress callback when the user cancelled: the import rolls back."""


# --- upload and preview ------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def too_large_sentence(name: str, size: int | None) -> str:
    limit = settings.IMPORT_MAX_UPLOAD_MB
    if size is None:
        return _(
            "“%(name)s” is larger than the %(limit)s MB this installation accepts "
            "(SOLIDGROUND_IMPORT_MAX_UPLOAD_MB); split the file or ask your administrator."
        ) % {"name": name, "limit": limit}
    return _(
        "“%(name)s” is %(size)s MB, more than the %(limit)s MB this installation accepts "
        "(SOLIDGROUND_IMPORT_MAX_UPLOAD_MB); split the file or ask your administrator."
    ) % {"name": name, "size": _megabytes(size), "limit": limit}


def sniff_table(upload: UploadedFile, name: str) -> str:
    """ "csv" or "xlsx" when the upload is a table by its name *and* its content.

    A PNG renamed ``.csv`` is refused (charset-normalizer says it is binary), and so is an
    ``.xlsx`` that is not an Excel workbook (a zip without ``xl/workbook.xml``).
    """
    suffix = Path(name).suffix.lower()
    not_a_table = _("“%(name)s” is not a table: upload a CSV or an Excel (.xlsx) file.") % {
        "name": name
    }
    if suffix == ".xls":
        raise UploadRefused(
            _("“%(name)s” is an old Excel file (.xls): save it as .xlsx or CSV and upload that.")
            % {"name": name}
        )
    if suffix not in TABLE_SUFFIXES:
        raise UploadRefused(not_a_table)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if not head.strip():
        raise UploadRefused(_("“%(name)s” is empty.") % {"name": name})
    if head.startswith(b"PK\x03\x04"):
        # A workbook, whatever its name says (some tools call their XLSX export .csv).
        try:
            with zipfile.ZipFile(cast("IO[bytes]", upload.file)) as workbook:
                if "xl/workbook.xml" not in workbook.namelist():
                    raise UploadRefused(not_a_table)
        except zipfile.BadZipFile:
            raise UploadRefused(not_a_table) from None
        finally:
            upload.seek(0)
        return "xlsx"
    if TABLE_SUFFIXES[suffix] == "xlsx" or is_binary(head):
        raise UploadRefused(not_a_table)
    return "csv"


def _display(text: str, job: ImportJob) -> str:
    """A message with the stored (random) file name replaced by the user's."""
    return text.replace(job.stored_name, job.original_name)


def _preview_data(job: ImportJob, mapping: Mapping, path: Path) -> dict[str, Any]:
    preview = preview_import(path, mapping, limit=PREVIEW_ROWS)
    schema = frame_schema(mapping.record_kind)  # type: ignore[arg-type]
    fields = list(preview.rows[0]) if preview.rows else list(preview.columns)
    return {
        "file_type": preview.file_type,
        "kind": preview.kind,
        "source": preview.source,
        "mapping_name": preview.mapping_name,
        "encoding": preview.encoding,
        "delimiter": preview.delimiter,
        "sheet": preview.sheet,
        "detected": preview.detected,
        "date_formats": preview.date_formats,
        "columns": preview.columns,
        "unmapped_columns": preview.unmapped_columns,
        "missing_columns": preview.missing_columns,
        "fields": fields,
        "datetime_fields": [name for name in fields if isinstance(schema.get(name), pl.Datetime)],
        "date_fields": [name for name in fields if schema.get(name) == pl.Date],
        "rows": [[row.get(name, "") for name in fields] for row in preview.rows],
        "errors": [
            {
                "row": error.row,
                "column": error.column,
                "value": error.value,
                "reason": _display(error.reason, job),
                "kind": error.kind,
            }
            for error in preview.errors
        ],
        "counts": preview.counts,
    }


def _save_upload(upload: UploadedFile, path: Path) -> None:
    upload.seek(0)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)


def do_upload_file(
    *,
    upload: UploadedFile,
    choice: str,
    strict: bool,
    user: AbstractBaseUser | AnonymousUser | None,
) -> ImportJob:
    """Check, save and preview an upload; the job waits for the user to run it.

    Raises UploadRefused with one sentence (not a table, too large, the wrong preset, a file
    that cannot be read); then nothing is stored: no file, no job.
    """
    name = Path(upload.name or "upload").name[:500] or "upload"
    if upload.size is not None and upload.size > settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
        raise UploadRefused(too_large_sentence(name, upload.size))
    preset, saved, mapping = resolve_choice(choice)
    file_type = sniff_table(upload, name)
    do_discard_stale_uploads()
    stored_name = f"{secrets.token_hex(16)}.{file_type}"
    path = uploads_dir() / stored_name
    _save_upload(upload, path)
    job = ImportJob.objects.create(
        created_at=timezone.now(),
        user=account_of(user),
        status=ImportJob.Status.UPLOADED,
        original_name=name,
        stored_name=stored_name,
        file_type=file_type,
        size=path.stat().st_size,
        preset=preset,
        saved_mapping=saved,
        mapping_name=saved.name if saved else preset,
        mapping_text=saved.text if saved else "",
        strict=strict,
    )
    try:
        job.preview = _preview_data(job, mapping, path)
    except (MappingError, FileFormatError) as exc:
        _forget(job)
        raise UploadRefused(
            _("“%(name)s” does not fit “%(mapping)s”: %(reason)s")
            % {"name": name, "mapping": job.mapping_name, "reason": _display(str(exc), job)}
        ) from None
    except Exception as exc:
        # openpyxl on a damaged workbook, a locked database, ...: still one sentence, and
        # the details in the log for whoever runs the server.
        logger.exception("preview of upload %s (%s) failed", stored_name, name)
        _forget(job)
        raise UploadRefused(
            _("“%(name)s” could not be read (%(reason)s); check that it opens in Excel.")
            % {"name": name, "reason": type(exc).__name__}
        ) from None
    job.status = ImportJob.Status.PREVIEWED
    job.save(update_fields=["preview", "status"])
    return job


def _forget(job: ImportJob) -> None:
    """Delete an upload that will not be imported, and its job."""
    _remove_files(job)
    job.delete()


def _remove_files(job: ImportJob) -> None:
    for path in (upload_path(job), side_file(job, "progress"), side_file(job, "cancel")):
        path.unlink(missing_ok=True)


def do_discard_stale_uploads(*, now: datetime | None = None) -> int:
    """Uploads previewed and never run for a day: cancel the jobs, delete the files."""
    cutoff = (now or timezone.now()) - STALE_UPLOAD
    stale = list(
        ImportJob.objects.filter(
            status__in=(ImportJob.Status.UPLOADED, ImportJob.Status.PREVIEWED),
            created_at__lt=cutoff,
        )
    )
    for job in stale:
        _remove_files(job)
        job.status = ImportJob.Status.CANCELLED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
    return len(stale)


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


def orphan_sentence(run: ImportRun | None) -> str:
    if run is not None and run.status == ImportRun.Status.FINISHED:
        return _(
            "The process running this import stopped after the data was written but before "
            "the analysis finished; run `solidground analyze` to bring the figures up to date."
        )
    return _(
        "The process running this import stopped (restarted or killed); nothing of it was "
        "written: upload the file again."
    )


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobState:
    """What the job page says about a job now: its status plus the live figures."""

    job: ImportJob
    bytes_done: int
    bytes_total: int
    polling: bool  # the page asks again every few seconds
    analysing: bool  # read and written; the analysis for the touched customers runs
    worker_running: bool
    ahead: int  # jobs queued or running before this one
    orphaned: bool  # "running", but its runner's heartbeat stopped
    orphan_sentence: str

    @property
    def share_done(self) -> float:
        if not self.bytes_total:
            return 0.0
        return min(1.0, self.bytes_done / self.bytes_total)

    @property
    def percent_done(self) -> int:
        if not self.bytes_total:
            return 0
        return min(100, round(100 * self.bytes_done / self.bytes_total))


def job_for(*, viewer: Viewer, job_id: int) -> ImportJob | None:
    if not viewer.can_import:
        return None
    return (
        ImportJob.objects.select_related("user", "run", "saved_mapping").filter(pk=job_id).first()
    )


def job_state(job: ImportJob) -> JobState:
    done, total = job.bytes_done, job.bytes_total or job.size
    orphaned = False
    phase = ""
    if job.status == ImportJob.Status.RUNNING:
        live = read_progress(job)
        if live is not None:
            done, total, phase = live
        orphaned = job.runner not in live_runners()
    ahead = 0
    if job.status == ImportJob.Status.QUEUED and job.queued_at is not None:
        ahead = (
            ImportJob.objects.filter(status__in=ACTIVE, queued_at__lt=job.queued_at)
            .exclude(pk=job.pk)
            .count()
        )
    polling = job.status in ACTIVE and not orphaned
    run = job.run or (
        ImportRun.objects.filter(file_name=job.stored_name).first() if orphaned else None
    )
    return JobState(
        job=job,
        bytes_done=done,
        bytes_total=total,
        polling=polling,
        analysing=phase == "analysing",
        worker_running=worker_running() if job.status == ImportJob.Status.QUEUED else True,
        ahead=ahead,
        orphaned=orphaned,
        orphan_sentence=orphan_sentence(run) if orphaned else "",
    )


def open_jobs(*, viewer: Viewer) -> list[JobState]:
    """Uploads waiting to be run, queued and running imports, oldest first."""
    if not viewer.can_import:
        return []
    jobs = ImportJob.objects.select_related("user").filter(status__in=OPEN).order_by("created_at")
    return [job_state(job) for job in jobs]


@dataclass(frozen=True)
class HistoryRow:
    run: ImportRun
    who: str
    rejects_available: bool


def import_history(
    *, viewer: Viewer, page: str | int | None
) -> tuple[Page[ImportRun], list[HistoryRow]]:
    """Import runs (files and syncs), newest first, one page; a bad page number falls back."""
    runs = (
        ImportRun.objects.select_related("user").order_by("-started_at", "-pk")
        if viewer.can_import
        else ImportRun.objects.none()
    )
    shown = Paginator(runs, HISTORY_PAGE_SIZE).get_page(page)
    rows = [
        HistoryRow(
            run=run,
            who=run.user.get_username() if run.user else run.started_by,
            rejects_available=rejects_file(run) is not None,
        )
        for run in shown
    ]
    return shown, rows


def import_run_for(*, viewer: Viewer, run_id: int) -> ImportRun | None:
    if not viewer.can_import:
        return None
    return ImportRun.objects.filter(pk=run_id).first()
