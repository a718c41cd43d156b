"""Import jobs as the imports page reads them: a job's live state, the open jobs and the
history of runs (``importers.jobs`` re-exports these names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from solidground.importers.job_files import (
    live_runners,
    read_progress,
    rejects_file,
    worker_running,
)
from solidground.importers.models import ImportJob, ImportRun

if TYPE_CHECKING:
    from solidground.accounts.selectors import Viewer


ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
OPEN = (ImportJob.Status.UPLOADED, ImportJob.Status.PREVIEWED, *ACTIVE)
HISTORY_PAGE_SIZE = 25


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
