"""Write routes: batches of canonical records through the importers' writer (api/writes.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Status

from solidground.api import reads
from solidground.api.auth import TokenAuth, caller, remote_addr
from solidground.api.schemas import (
    ApiError,
    BatchIn,
    CustomerBatch,
    StatusChangeBatch,
    SurveyAnswerBatch,
    TicketBatch,
    TimeEntryBatch,
    WriteOut,
)
from solidground.api.writes import Locations, WriteOutcome, write_records
from solidground.importers.records import ImportBatch, Kind
from solidground.importers.writer import RowsBatch

# GET and POST /customers must share one router: ninja keeps one path per router.
router = reads.router
WRITE = TokenAuth(write=True)

RESPONSES: dict[int, Any] = {
    200: WriteOut,
    400: ApiError,
    401: ApiError,
    403: ApiError,
    413: ApiError,
    422: WriteOut | ApiError,
    429: ApiError,
}


def to_batch(kind: Kind, payload: BatchIn[Any]) -> tuple[ImportBatch, Locations]:
    """The request's records as canonical rows, and where each came from in the request.

    Fields no record of the batch names keep their stored values on update
    (``supplied_fields``); a field named by some records is written for all of them, with the
    record's default where a record leaves it out. A ticket's nested ``status_changes`` become
    status-change records of that ticket, located by the ticket's index and
    ``status_changes.<n>``.

    The records go to the writer as rows (``RowsBatch``: the validated fields of each record,
    the keyword arguments of its record type), from which it builds its frame column by
    column: no record object per record.
    """
    # One dump of the whole batch (inside pydantic-core) instead of one call per record.
    dumped: list[dict[str, Any]] = payload.model_dump(include={"records"})["records"]
    supplied: set[str] = set()
    history_supplied: set[str] = set()
    history: list[dict[str, Any]] = []
    history_at: list[tuple[int, str]] = []
    for index, (item, fields) in enumerate(zip(payload.records, dumped, strict=True)):
        changes = fields.pop("status_changes", None)
        supplied |= item.__pydantic_fields_set__  # model_fields_set, without the property
        if not changes:
            continue
        ticket_ref = fields["external_id"]
        for position, (change, given) in enumerate(zip(changes, item.status_changes, strict=True)):
            history_supplied |= given.__pydantic_fields_set__
            change["ticket_ref"] = ticket_ref
            history.append(change)
            history_at.append((index, f"status_changes.{position}."))
    supplied.discard("status_changes")
    batch = RowsBatch(
        source=payload.source,
        rows={kind: dumped},
        supplied_fields={kind: frozenset(supplied)},
    )
    locations: Locations = {}
    if history:
        batch.rows["status_changes"] = history
        batch.supplied_fields["status_changes"] = frozenset(history_supplied | {"ticket_ref"})
        locations["status_changes"] = history_at
    return batch, locations


def _answer(outcome: WriteOutcome) -> Status:
    body = {
        "run_id": outcome.run.pk,
        "refused": outcome.refused,
        "received": outcome.received,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
        "counts": outcome.counts,
        "errors": [
            {
                "index": error.index,
                "field": error.field,
                "value": error.value,
                "reason": error.reason,
                "kind": error.kind,
                "external_id": error.external_id,
            }
            for error in outcome.errors
        ],
        "analysis_queued": bool(outcome.analysis_task_id),
    }
    return Status(422 if outcome.refused else 200, body)


def _write(request: HttpRequest, kind: Kind, payload: BatchIn[Any], partial: bool) -> Any:
    who = caller(request)
    batch, locations = to_batch(kind, payload)
    outcome = write_records(
        batch=batch,
        locations=locations,
        user=who.token.user,
        token=who.token,
        partial=partial,
        action=f"api.write.{kind}",
        remote_addr=remote_addr(request),
    )
    return _answer(outcome)


@router.post(
    "/customers", response=RESPONSES, auth=WRITE, tags=["write"], summary="Upsert customers"
)
def write_customers(request: HttpRequest, payload: CustomerBatch, partial: bool = False) -> Any:
    return _write(request, "customers", payload, partial)


@router.post(
    "/tickets",
    response=RESPONSES,
    auth=WRITE,
    tags=["write"],
    summary="Upsert tickets, each with its status changes if given",
)
def write_tickets(request: HttpRequest, payload: TicketBatch, partial: bool = False) -> Any:
    return _write(request, "tickets", payload, partial)


@router.post(
    "/status-changes",
    response=RESPONSES,
    auth=WRITE,
    tags=["write"],
    summary="Upsert ticket status changes",
)
def write_status_changes(
    request: HttpRequest, payload: StatusChangeBatch, partial: bool = False
) -> Any:
    return _write(request, "status_changes", payload, partial)


@router.post(
    "/time-entries", response=RESPONSES, auth=WRITE, tags=["write"], summary="Upsert time entries"
)
def write_time_entries(request: HttpRequest, payload: TimeEntryBatch, partial: bool = False) -> Any:
    return _write(request, "time_entries", payload, partial)


@router.post(
    "/survey-answers",
    response=RESPONSES,
    auth=WRITE,
    tags=["write"],
    summary="Upsert survey answers",
)
def write_survey_answers(
    request: HttpRequest, payload: SurveyAnswerBatch, partial: bool = False
) -> Any:
    return _write(request, "survey_answers", payload, partial)
