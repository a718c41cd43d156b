"""The imports pages: upload a CSV/XLSX file, preview it, run it, follow it, and the history.

Owners and managers only (``viewer.can_import``): an import writes every customer's data.
The work is in ``solidground.importers.jobs``; these views read the form, call it, and show
what it says. A refused upload answers with one sentence (a message) and stores nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import OperationalError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from solidground.accounts.selectors import Viewer
from solidground.importers import job_files, jobs, saved_mappings
from solidground.importers.models import ImportJob
from solidground.importers.records import KINDS
from solidground.insights import formatting
from solidground.web.access import require, viewer_of

MAX_MAPPING_UPLOAD = saved_mappings.MAX_MAPPING_BYTES
# The record kinds of importers.records as the pages name them.
KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "contacts": gettext_lazy("Contacts"),
    "contracts": gettext_lazy("Contracts"),
    "catalogue_items": gettext_lazy("Service catalogue items"),
    "tickets": gettext_lazy("Tickets"),
    "status_changes": gettext_lazy("Status changes"),
    "time_entries": gettext_lazy("Time entries"),
    "interactions": gettext_lazy("Interactions"),
    "survey_answers": gettext_lazy("Survey answers"),
    "revenue_lines": gettext_lazy("Revenue lines"),
    "eventlog": gettext_lazy("Event log (tickets and status changes)"),
}


def can_import(viewer: Viewer) -> bool:
    return viewer.can_import


def _busy_sentence() -> str:
    return _("The store is busy with another import right now; try again when it has finished.")


class LimitedUpload(FileUploadHandler):
    """Stops reading a file field past the upload limit, so a huge file is never kept.

    Django would otherwise write the whole body to a temporary file before the view could
    look at its size. The field is skipped (the rest of the form still arrives) and the view
    says "too large".
    """

    def __init__(self, limit: int, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large: str | None = None  # the file name, when it was too large
        self.received = 0

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.received = 0
        if content_length is not None and content_length > self.limit:
            self.too_large = file_name
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = self.file_name
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


# --- the imports page --------------------------------------------------------------------------


def _imports_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    page, history = jobs.import_history(viewer=viewer, page=request.GET.get("page"))
    open_jobs = jobs.open_jobs(viewer=viewer)
    context = {
        "nav": "imports",
        "choices": saved_mappings.mapping_choices(viewer=viewer),
        "chosen": request.session.get("import_choice", ""),
        "presets": saved_mappings.preset_names(),
        "saved_mappings": saved_mappings.saved_mappings(viewer=viewer),
        "open_jobs": open_jobs,
        "waiting_without_worker": any(
            state.job.status == ImportJob.Status.QUEUED and not state.worker_running
            for state in open_jobs
        ),
        "page": page,
        "history": history,
        "max_upload_mb": settings.IMPORT_MAX_UPLOAD_MB,
        "inline_max_mb": settings.IMPORT_INLINE_MAX_MB,
    }
    return render(request, "web/imports.html", context)


@csrf_exempt  # checked in _save_mapping, after the size-limiting upload handler is in place
@require(can_import, methods=("GET", "HEAD", "POST"))
def imports(request: HttpRequest) -> HttpResponseBase:
    """The page; a POST saves a column mapping (pasted or uploaded)."""
    if request.method == "POST":
        limit = LimitedUpload(MAX_MAPPING_UPLOAD, request)
        request.upload_handlers.insert(0, limit)
        return _save_mapping(request, limit)
    template = request.GET.get("template")
    if template is not None:
        return _preset_download(request, template)
    return _imports_page(request)


def _preset_download(request: HttpRequest, name: str) -> HttpResponseBase:
    """A preset's TOML as a file: the quickest start for a mapping of one's own."""
    text = saved_mappings.preset_text(name)
    if text is None:
        messages.error(request, _("There is no preset of that name; choose one from the list."))
        return redirect("web:imports")
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.toml"'
    return response


@csrf_protect
def _save_mapping(request: HttpRequest, limit: LimitedUpload) -> HttpResponseBase:
    text = request.POST.get("text", "")
    upload = request.FILES.get("file")
    if limit.too_large is not None:
        messages.error(request, _("A mapping is a small text file; this one is over 256 KB."))
        return redirect("web:imports")
    if upload is not None:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            messages.error(
                request,
                _("“%(name)s” is not a text file; a mapping is TOML text in UTF-8.")
                % {"name": upload.name},
            )
            return redirect("web:imports")
    try:
        saved = saved_mappings.do_save_mapping(
            name=request.POST.get("name", ""), text=text, user=request.user
        )
    except saved_mappings.UploadRefused as exc:
        messages.error(request, str(exc))
        return redirect("web:imports")
    except OperationalError:
        messages.error(request, _busy_sentence())
        return redirect("web:imports")
    messages.success(
        request,
        _("Mapping “%(name)s” saved; choose it next time you upload a file.")
        % {"name": saved.name},
    )
    request.session["import_choice"] = f"mapping:{saved.pk}"
    return redirect("web:imports")


# --- upload ------------------------------------------------------------------------------------


@csrf_exempt  # checked below, after the size-limiting upload handler is in place
@require(can_import, methods=("POST",))
def upload(request: HttpRequest) -> HttpResponseBase:
    limit = LimitedUpload(settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024, request)
    # Must happen before anything reads request.POST (the CSRF check does): Django's pattern
    # for custom upload handlers.
    request.upload_handlers.insert(0, limit)
    return _upload(request, limit)


@csrf_protect
def _upload(request: HttpRequest, limit: LimitedUpload) -> HttpResponseBase:
    choice = request.POST.get("mapping", "")
    strict = request.POST.get("strict") == "on"
    request.session["import_choice"] = choice
    file = request.FILES.get("file")
    if limit.too_large is not None:
        # The body's length is the file's size give or take the other form fields.
        size = int(request.META.get("CONTENT_LENGTH") or 0) or None
        messages.error(request, jobs.too_large_sentence(limit.too_large, size))
        return redirect("web:imports")
    if file is None:
        messages.error(request, _("Choose a CSV or Excel file to upload."))
        return redirect("web:imports")
    try:
        job = jobs.do_upload_file(upload=file, choice=choice, strict=strict, user=request.user)
    except saved_mappings.UploadRefused as exc:
        messages.error(request, str(exc))
        return redirect("web:imports")
    except OperationalError:
        messages.error(request, _busy_sentence())
        return redirect("web:imports")
    return redirect("web:import_job", job_id=job.pk)


# --- one job -----------------------------------------------------------------------------------


def _format_cell(value: str, kind: str) -> str:
    """A preview cell as the dashboard shows it: instants in the provider's zone, dates in
    the reader's format; everything else as it will be stored."""
    if not value or not kind:
        return value
    try:
        if kind == "datetime":
            return formatting.moment(datetime.fromisoformat(value))
        return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return value


def _in_write_order(counts: dict[str, Any]) -> list[tuple[str, Any]]:
    """Counts per record kind in the order the writer writes them (customers first)."""
    order: dict[str, int] = {kind: index for index, kind in enumerate(KINDS)}
    return sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _preview_context(job: ImportJob) -> dict[str, Any]:
    preview = job.preview or {}
    fields: list[str] = preview.get("fields", [])
    kinds = dict.fromkeys(preview.get("datetime_fields", []), "datetime")
    kinds.update(dict.fromkeys(preview.get("date_fields", []), "date"))
    rows = [
        [
            _format_cell(str(cell), kinds.get(name, ""))
            for name, cell in zip(fields, row, strict=False)
        ]
        for row in preview.get("rows", [])
    ]
    errors = preview.get("errors", [])
    error_rows = len({error.get("row") for error in errors})
    columns = preview.get("columns", {})
    delimiter = preview.get("delimiter", "")
    return {
        "preview": preview,
        "headers": [(name, columns.get(name, "")) for name in fields],
        "rows": rows,
        # The rows the preview read: those shown plus those with errors.
        "rows_read": len(rows) + error_rows,
        "error_rows": error_rows,
        "delimiter_label": {"\t": _("tab"), " ": _("space")}.get(delimiter, delimiter),
        "counts": _in_write_order(preview.get("counts", {})),
    }


def _job_context(job: ImportJob) -> dict[str, Any]:
    state = jobs.job_state(job)
    run = job.run
    return {
        "nav": "imports",
        "job": job,
        "state": state,
        "run": run,
        "run_counts": _in_write_order(run.counts_by_kind or {}) if run else [],
        "rejects_available": run is not None and job_files.rejects_file(run) is not None,
        "runs_inline": jobs.runs_inline(job),
        "kind_labels": KIND_LABELS,
        "inline_max_mb": settings.IMPORT_INLINE_MAX_MB,
        **_preview_context(job),
    }


@require(can_import, methods=("GET", "HEAD", "POST"))
def job(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The preview and the run of one upload; ``?part=status`` is the polled fragment."""
    viewer = viewer_of(request)
    found = jobs.job_for(viewer=viewer, job_id=job_id)
    if found is None:
        raise Http404
    if request.method == "POST":
        return _act_on_job(request, found)
    context = _job_context(found)
    if request.GET.get("part") == "status" or request.headers.get("HX-Request"):
        return render(request, "web/imports/_status.html", context)
    return render(request, "web/import_job.html", context)


def _act_on_job(request: HttpRequest, found: ImportJob) -> HttpResponseBase:
    action = request.POST.get("action", "")
    try:
        if action == "run":
            if found.status != ImportJob.Status.PREVIEWED:
                messages.info(request, _("This file has already been run or discarded."))
            else:
                jobs.do_start_job(job=found)
        elif action == "cancel":
            was_running = found.status == ImportJob.Status.RUNNING
            jobs.do_cancel_job(job=found)
            if was_running:
                messages.info(
                    request,
                    _(
                        "Cancelling: the import stops at the end of the part it is writing, "
                        "and nothing of it is kept."
                    ),
                )
        else:
            messages.error(request, _("Unknown action; nothing was changed."))
    except OperationalError:
        messages.error(request, _busy_sentence())
    return redirect("web:import_job", job_id=found.pk)


# --- rejects download --------------------------------------------------------------------------


@require(can_import)
def rejects(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """The rejected rows of an import run as CSV; only from inside ``DATA_DIR/imports``."""
    viewer = viewer_of(request)
    run = jobs.import_run_for(viewer=viewer, run_id=run_id)
    if run is None:
        raise Http404
    path = job_files.rejects_file(run)
    if path is None:
        raise Http404
    stem = Path(run.file_name).stem or "import"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{stem}-rejects.csv",
        content_type="text/csv; charset=utf-8",
    )
