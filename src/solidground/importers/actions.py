"""Import actions: every import goes through one of these (HackSoft/Zulip style services).

- :func:`do_import_batch`: records from a connector (``sync``) -> ImportRun.
- :func:`do_import_file`: a CSV/XLSX file with a preset or mapping -> ImportRun.
- :func:`preview_import`: what a file would become, without writing anything.
- :func:`after_import`: re-runs the analysis for the customers an import touched.
"""

from __future__ import annotations

import csv
import getpass
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from solidground.importers.converting import make_converter
from solidground.importers.eventlog import import_eventlog, ticket_mapping
from solidground.importers.files import import_file
from solidground.importers.mapping import Mapping, list_presets, load_mapping, load_preset
from solidground.importers.models import AuditEntry, ImportRun
from solidground.importers.reading import open_file
from solidground.importers.records import ImportBatch
from solidground.importers.validation import RowError
from solidground.importers.writer import WriteResult, write_batch
from solidground.insights import actions as analysis
from solidground.surveys.tasks import queue_invitations_after_import

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

FIRST_ERRORS_KEPT = 50
logger = logging.getLogger(__name__)


def _started_by(user: AbstractBaseUser | None) -> str:
    if user is not None:
        return user.get_username()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return ""


def _start_run(
    *,
    kind: str,
    source: str,
    user: AbstractBaseUser | None,
    preset: str = "",
    file_name: str = "",
    strict: bool = False,
) -> ImportRun:
    """The run's row, status running, committed before the write when not inside a transaction.

    On PostgreSQL that commit does not wait for the disk (``synchronous_commit`` off for it
    alone): a crash within a fraction of a second could lose this marker, and only for a write
    that itself never committed (its run would simply be missing, not wrong). A write's own
    commit waits for the disk as always.
    """
    connection = transaction.get_connection()
    # Only as its own transaction: inside a caller's, the setting would last to its commit.
    asynchronous = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if asynchronous:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return ImportRun.objects.create(
            started_at=timezone.now(),
            kind=kind,
            source=source,
            user=user if user is not None and user.pk else None,  # type: ignore[misc]
            started_by=_started_by(user),
            preset=preset[:200],
            file_name=file_name[:500],
            strict=strict,
        )


@dataclass(frozen=True)
class AuditContext:
    """What the audit log records beyond the run: the door (``action``) and the caller.

    Callers without one (files, syncs) get ``import.<run kind>`` and no token or address.
    """

    action: str = ""
    token_id: int | None = None
    token_label: str = ""
    remote_addr: str = ""


def _audit(run: ImportRun, audit: AuditContext | None) -> None:
    # Every finished or failed run is logged here, and only here: files, syncs, the API.
    audit = audit or AuditContext()
    AuditEntry.objects.create(
        at=run.finished_at or timezone.now(),
        user_id=run.user_id,
        actor=run.started_by,
        token_id=audit.token_id,
        token_label=audit.token_label[:200],
        action=(audit.action or f"import.{run.kind}")[:60],
        source=run.source,
        status=run.status,
        rows=run.rows,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        rejected=run.rejected,
        run=run,
        remote_addr=audit.remote_addr or None,
    )


def _finish_run(
    run: ImportRun,
    result: WriteResult,
    *,
    started: float,
    rows: int,
    rejects_path: str = "",
    audit: AuditContext | None = None,
) -> ImportRun:
    totals = result.totals
    run.finished_at = timezone.now()
    run.seconds = round(time.monotonic() - started, 3)
    run.rows = rows
    run.counts_by_kind = {kind: counts.as_dict() for kind, counts in result.counts.items()}
    run.first_errors = [error.message() for error in result.errors[:FIRST_ERRORS_KEPT]]
    run.rejects_path = rejects_path
    run.customer_ids = sorted(result.customer_ids)
    if result.dry_run:
        run.status = ImportRun.Status.DRY_RUN
    elif result.refused:
        run.status = ImportRun.Status.REFUSED
    else:
        run.status = ImportRun.Status.FINISHED
    if result.refused:
        # Nothing was written: what would have happened is in counts_by_kind.
        run.created = run.updated = run.unchanged = 0
    else:
        run.created, run.updated, run.unchanged = totals.created, totals.updated, totals.unchanged
    run.rejected = totals.rejected
    run.save()
    _audit(run, audit)
    return run


def _fail_run(
    run: ImportRun,
    exc: BaseException,
    *,
    started: float,
    rows: int = 0,
    audit: AuditContext | None = None,
) -> None:
    run.finished_at = timezone.now()
    run.seconds = round(time.monotonic() - started, 3)
    run.status = ImportRun.Status.FAILED
    # Nothing was written. The run object may carry a result _finish_run recorded before the
    # transaction rolled back (a model instance keeps its values through a rollback).
    run.created = run.updated = run.unchanged = run.rejected = 0
    run.counts_by_kind, run.first_errors, run.customer_ids = {}, [], []
    run.rejects_path = ""
    run.error = f"{type(exc).__name__}: {exc}"[:5000]
    run.rows = rows or run.rows
    run.save()
    _audit(run, audit)


INTERRUPTED = "Interrupted: the server stopped during the write; nothing was written."


def do_close_interrupted_api_runs() -> int:
    """API writes whose server was stopped mid-write (killed, power cut): failed, not running.

    Their transaction never committed, so nothing of them is stored; only their run row,
    committed before the write, still says "running". Called by ``solidground serve`` as it
    starts, when no request of this store can be in flight (one server per store).
    """
    return ImportRun.objects.filter(
        kind=ImportRun.Kind.API, status=ImportRun.Status.RUNNING
    ).update(
        status=ImportRun.Status.FAILED,
        finished_at=timezone.now(),
        error=INTERRUPTED,
        created=0,
        updated=0,
        unchanged=0,
    )


def _analyze_after(run: ImportRun, customer_ids: Sequence[int]) -> None:
    """Run the analysis hook; its failure does not undo an import that is committed."""
    try:
        # A savepoint: a database error in the analysis must not break the caller's
        # transaction (the web request, a test).
        with transaction.atomic():
            after_import(customer_ids)
    except Exception as exc:
        logger.exception("analysis after import run %s failed", run.pk)
        run.error = f"The import finished; the analysis afterwards failed: {exc}"[:5000]
        run.save(update_fields=["error"])


def after_import(customer_ids: Sequence[int]) -> None:
    """Re-run the analysis for the customers an import touched (nothing to do for none).

    Calls ``insights.actions.analyze_customers`` with the ids in ascending order. Callers that
    must not lose a committed import to a failing analysis go through ``_analyze_after``.
    """
    if not customer_ids:
        return
    analysis.analyze_customers(sorted(customer_ids))
    # Resolved tickets may now be due a survey invitation (docs/surveys.md).
    queue_invitations_after_import(sorted(customer_ids))


def do_import_batch(
    batch: ImportBatch,
    *,
    kind: str = ImportRun.Kind.SYNC,
    user: AbstractBaseUser | None = None,
    preset: str = "",
    strict: bool = False,
    dry_run: bool = False,
    create_missing_customers: bool = True,
    analyze: bool = True,
    audit: AuditContext | None = None,
    on_result: Callable[[WriteResult], None] | None = None,
) -> ImportRun:
    """Write a connector's batch (see records.py), record an ImportRun, re-run the analysis.

    The run is saved before the write (status running, see :func:`_start_run`), so a server
    killed mid-write leaves a run to close as interrupted. The write, the finished run, its
    audit entry and whatever ``on_result`` stores then commit together, in one transaction:
    one wait for the disk per batch, and never a write without its run and audit entry. If
    any of it raises, the store and the batch's cursors are as they were, the run says failed,
    and the exception propagates. ``audit`` names the door for the audit log (the API passes
    its token and address); ``on_result`` receives the writer's full result (every row error,
    which the run keeps only the first of) inside that transaction (the API queues the
    re-analysis there).
    """
    run = _start_run(kind=kind, source=batch.source, user=user, preset=preset, strict=strict)
    started = time.monotonic()
    try:
        with transaction.atomic():
            # write_batch's own atomic block is a savepoint in here: a refused or dry-run
            # batch rolls back to it and the run still records what happened.
            result = write_batch(
                batch,
                strict=strict,
                dry_run=dry_run,
                create_missing_customers=create_missing_customers,
            )
            _finish_run(run, result, started=started, rows=len(batch), audit=audit)
            if on_result is not None:
                on_result(result)
    except BaseException as exc:
        _fail_run(run, exc, started=started, rows=len(batch), audit=audit)
        raise
    if analyze and not result.refused:
        _analyze_after(run, sorted(result.customer_ids))
    return run


# --- files -------------------------------------------------------------------------------------


REJECT_COLUMNS = ["file", "row", "column", "value", "reason", "kind", "external_id"]


class RejectsFile:
    """Writes rejected rows to a CSV as they are found (memory stays bounded)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("w", newline="", encoding="utf-8-sig")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(REJECT_COLUMNS)

    def write(self, errors: Sequence[RowError]) -> None:
        for error in errors:
            self._writer.writerow(
                [
                    error.file,
                    error.row,
                    error.column,
                    error.value,
                    error.reason,
                    error.kind,
                    error.external_id,
                ]
            )
        self.count += len(errors)

    def close(self) -> None:
        self._handle.close()
        if not self.count:
            self.path.unlink(missing_ok=True)


def rejects_path_for(file_name: str) -> Path:
    """Where the rejects CSV goes: ``<data dir>/imports/<stamp>-<name>-rejects.csv``."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    stem = Path(file_name).stem or "import"
    return Path(settings.DATA_DIR) / "imports" / f"{stamp}-{stem}-rejects.csv"


@dataclass
class FileImportOutcome:
    run: ImportRun
    result: WriteResult
    rejects_path: Path | None = None
    warnings: list[str] = field(default_factory=list)


def _import_mapping(
    preset: str | None, mapping: Mapping | Path | str | None
) -> tuple[Mapping, str]:
    """The mapping to import with (a preset, a TOML/YAML file or the object), and its label
    for the ImportRun."""
    if mapping is None and preset is None:
        raise ValueError("give a preset name or a mapping")
    if preset is not None:
        return load_preset(preset), f"preset {preset}"
    if isinstance(mapping, Path | str):
        return load_mapping(Path(mapping)), f"mapping {Path(mapping).name}"
    assert mapping is not None
    return mapping, f"mapping {mapping.name}"


def do_import_file(
    path: Path | str,
    *,
    preset: str | None = None,
    mapping: Mapping | Path | str | None = None,
    user: AbstractBaseUser | None = None,
    strict: bool = False,
    dry_run: bool = False,
    chunk_size: int | None = None,
    create_missing_customers: bool = True,
    rejects_path: Path | None = None,
    analyze: bool = True,
    progress: Callable[[int, int], None] | None = None,
    defer_indexes: bool | None = None,
) -> FileImportOutcome:
    """Import a CSV/XLSX file with a preset name or a mapping (object or TOML/YAML path).

    Staged: every row is parsed and validated; rejected rows go to a rejects CSV (and the
    first of them to the ImportRun); the valid rows are written in one transaction. With
    ``strict`` a single bad row refuses the whole file. ``progress`` is called with
    (bytes read, file size). ``defer_indexes``: rebuild indexes once at the end (default: for
    files of 16 MiB or more; see files.BULK_BYTES).
    """
    path = Path(path)
    resolved, label = _import_mapping(preset, mapping)
    run = _start_run(
        kind=ImportRun.Kind.FILE,
        source=resolved.source,
        user=user,
        preset=label,
        file_name=path.name,
        strict=strict,
    )
    started = time.monotonic()
    rejects = RejectsFile(rejects_path or rejects_path_for(path.name))
    try:
        if resolved.kind == "eventlog":
            outcome = import_eventlog(
                path,
                resolved,
                strict=strict,
                dry_run=dry_run,
                create_missing_customers=create_missing_customers,
                on_errors=rejects.write,
                progress=progress,
            )
        else:
            outcome = import_file(
                path,
                resolved,
                strict=strict,
                dry_run=dry_run,
                chunk_size=chunk_size,
                create_missing_customers=create_missing_customers,
                on_errors=rejects.write,
                progress=progress,
                defer_indexes=defer_indexes,
            )
    except BaseException as exc:
        rejects.close()
        _fail_run(run, exc, started=started)
        raise
    rejects.close()
    kept = rejects.path if rejects.count else None
    _finish_run(
        run,
        outcome.result,
        started=started,
        rows=outcome.rows,
        rejects_path=str(kept) if kept else "",
    )
    if analyze and not outcome.result.refused:
        _analyze_after(run, sorted(outcome.result.customer_ids))
    return FileImportOutcome(
        run=run, result=outcome.result, rejects_path=kept, warnings=outcome.warnings
    )


# --- preview ---------------------------------------------------------------------------------


@dataclass
class Preview:
    """What importing a file would do, for the upload page: nothing is written."""

    file_name: str
    file_type: str  # csv or xlsx
    kind: str
    source: str
    mapping_name: str
    encoding: str
    delimiter: str
    sheet: str
    detected: dict[str, str]  # what was detected rather than given by the mapping
    date_formats: dict[str, str]  # field -> detected format, e.g. "dd.mm.yyyy HH:MM"
    columns: dict[str, str]  # record field -> the file's column(s)
    unmapped_columns: list[str]  # the file's columns the mapping does not use
    missing_columns: list[str]  # optional fields the mapping names but the file lacks
    rows: list[dict[str, str]]  # the first rows as they would be imported
    errors: list[RowError]  # the first errors (file, row, column, value, reason)
    counts: dict[str, dict[str, int]]  # what importing these rows would create/update/...


def _resolve_mapping(preset_or_mapping: Mapping | Path | str) -> Mapping:
    if isinstance(preset_or_mapping, Mapping):
        return preset_or_mapping
    if isinstance(preset_or_mapping, str) and preset_or_mapping in list_presets():
        return load_preset(preset_or_mapping)
    return load_mapping(Path(preset_or_mapping))


def preview_import(
    path: Path | str, preset_or_mapping: Mapping | Path | str, limit: int = 20
) -> Preview:
    """Read the first ``limit`` rows with the mapping and try them in a rolled-back write.

    ``preset_or_mapping``: a preset name, a mapping file path, or a Mapping. Raises
    MappingError / FileFormatError with a sentence for the user when the file or mapping
    cannot work at all (e.g. a required column is missing).
    """
    path = Path(path)
    mapping = _resolve_mapping(preset_or_mapping)
    fmt, reader = open_file(path, mapping)
    first = next(iter(reader.chunks(limit)))
    frame = first.frame.head(limit)
    # An event log's rows are shown as the tickets they describe.
    converter = make_converter(
        reader, ticket_mapping(mapping) if mapping.kind == "eventlog" else mapping
    )
    if mapping.kind == "eventlog":
        outcome = import_eventlog(path, mapping, dry_run=True, row_limit=limit)
    else:
        outcome = import_file(path, mapping, dry_run=True, row_limit=limit)
    good, _errors, _rejected = converter.convert(frame)
    shown = good.select(
        [pl.col(name).cast(pl.String) for name in good.columns if name != "_row"]
    ).to_dicts()
    return Preview(
        file_name=path.name,
        file_type=fmt.file_type,
        kind=mapping.kind,
        source=mapping.source,
        mapping_name=mapping.name,
        encoding=fmt.encoding,
        delimiter=fmt.delimiter,
        sheet=fmt.sheet,
        detected=dict(fmt.detected),
        date_formats=outcome.date_formats,
        columns=converter.column_names,
        unmapped_columns=converter.unmapped_columns,
        missing_columns=converter.missing_optional,
        rows=[{k: "" if v is None else str(v) for k, v in row.items()} for row in shown],
        errors=outcome.result.errors[:limit],
        counts={kind: c.as_dict() for kind, c in outcome.result.counts.items()},
    )
