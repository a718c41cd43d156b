"""The one write path of the API and the webhooks: a batch into the store, audited, re-analysed.

Both the REST write routes (``api/routes.py``) and the webhook receivers (``api/webhooks.py``)
call :func:`write_records`; it hands the batch to the importers' ``do_import_batch`` (the same
validating writer as files and syncs: upsert by (source, external_id)), has the run audited
(``importers.models.AuditEntry``, written by the importers' ``_finish_run``) and queues the
re-analysis of the customers the batch touched for ``solidground worker``. The records, the
finished run, its audit entry and the queued task commit in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from solidground.importers.actions import AuditContext, do_import_batch
from solidground.importers.models import ImportRun
from solidground.importers.records import ImportBatch
from solidground.importers.writer import WriteResult

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from solidground.api.models import ApiToken

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Nested:
    """Where the records of a kind came from when they were not the request's own ``records``
    but nested in them (a ticket's ``status_changes``): per record, the index of the request's
    record that holds it and its position in that record's list ``field``."""

    field: str
    parents: list[int]
    positions: list[int]


Locations = dict[str, Nested]


@dataclass(frozen=True)
class RecordError:
    """One rejected value of one record: ``index`` is the record's 0-based position in its
    kind's list (the request's ``records``), ``field`` the record field."""

    index: int
    kind: str
    field: str
    value: str
    reason: str
    external_id: str = ""


@dataclass
class WriteOutcome:
    """What a write did. ``refused``: nothing was written (a bad record without ``partial``)."""

    run: ImportRun
    refused: bool
    received: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # {"tickets": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}, ...}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    # The id of the queued re-analysis task, "" when nothing was queued.
    analysis_task_id: str = ""


def write_records(
    *,
    batch: ImportBatch,
    user: AbstractBaseUser | None,
    token: ApiToken | None,
    partial: bool,
    action: str,
    remote_addr: str,
    locations: Locations | None = None,
) -> WriteOutcome:
    """Validate and write ``batch``; see the module docstring.

    Without ``partial`` one bad record refuses the whole batch (nothing written, every error
    returned); with ``partial`` the good records are written and the bad ones returned.
    ``action`` names the audit entry ("api.write.tickets", "webhook.zammad", ...).
    Raises only on unexpected failures (the run is then recorded as failed, nothing written).
    """
    from solidground.api.tasks import queue_reanalysis

    audit = AuditContext(
        action=action,
        token_id=token.pk if token is not None else None,
        token_label=token.label if token is not None else "",
        remote_addr=remote_addr,
    )
    results: list[WriteResult] = []
    task_ids: list[str] = []

    def queue(result: WriteResult) -> None:
        # In the write's transaction: the task is queued if and only if the records are stored.
        results.append(result)
        totals = result.totals
        if not result.refused and (totals.created or totals.updated) and result.customer_ids:
            task_ids.append(queue_reanalysis(customer_ids=sorted(result.customer_ids)))

    run = do_import_batch(
        batch,
        kind=ImportRun.Kind.API,
        user=user,
        strict=not partial,
        analyze=False,
        audit=audit,
        on_result=queue,
    )
    errors = record_errors(results[0], locations) if results else []
    outcome = WriteOutcome(
        run=run,
        refused=run.status == ImportRun.Status.REFUSED,
        received=len(batch),
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        rejected=run.rejected,
        counts=dict(run.counts_by_kind),
        errors=errors,
        customer_ids=list(run.customer_ids),
    )
    if task_ids:
        outcome.analysis_task_id = task_ids[0]
    return outcome


def record_errors(result: WriteResult, locations: Locations | None = None) -> list[RecordError]:
    """The writer's row errors as record errors (its ``row`` is 1-based per kind), located in
    the request by ``locations`` where a kind's records were nested in another's."""
    errors = []
    for error in result.errors:
        index, prefix = max(error.row - 1, 0), ""
        nested = (locations or {}).get(error.kind)
        if nested is not None and index < len(nested.parents):
            index, prefix = nested.parents[index], f"{nested.field}.{nested.positions[index]}."
        errors.append(
            RecordError(
                index=index,
                kind=error.kind,
                field=prefix + error.column,
                value=error.value,
                reason=error.reason,
                external_id=error.external_id,
            )
        )
    errors.sort(key=lambda item: item.index)
    return errors
