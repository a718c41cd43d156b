"""Import jobs, step 1: an uploaded file is checked, saved under ``DATA_DIR/uploads/`` and
previewed (``importers.jobs`` re-exports these names; its docstring tells the whole flow).

A file that cannot work is deleted again and the user gets one sentence (``UploadRefused``);
uploads previewed but never run are discarded after ``STALE_UPLOAD``.
"""

from __future__ import annotations

import logging
import os
import secrets
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import polars as pl
from charset_normalizer import is_binary
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from solidground.importers.actions import preview_import
from solidground.importers.job_files import (
    side_file,
    upload_path,
    uploads_dir,
)
from solidground.importers.mapping import (
    Mapping,
    MappingError,
)
from solidground.importers.models import ImportJob
from solidground.importers.reading import FileFormatError
from solidground.importers.records import frame_schema
from solidground.importers.saved_mappings import (
    UploadRefused,
    account_of,
    resolve_choice,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.core.files.uploadedfile import UploadedFile


# The import jobs' log, under the name it has always had.
logger = logging.getLogger("solidground.importers.jobs")

PREVIEW_ROWS = 20
# Uploads previewed but never run are discarded after this long.
STALE_UPLOAD = timedelta(days=1)
SNIFF_BYTES = 64 * 1024
TABLE_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}


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
