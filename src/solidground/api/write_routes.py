"""Write routes: batches of canonical records through the importers' writer (api/writes.py)."""

from __future__ import annotations

from operator import attrgetter
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
    TicketHistoryIn,
    TimeEntryBatch,
    WriteOut,
)
from solidground.api.writes import Locations, Nested, WriteOutcome, write_records
from solidground.importers.records import ImportBatch, Kind
from solidground.importers.writer import Columns, ColumnsBatch

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


# The batch each write route's body is (by URL name), for the API's parser (api/main.py).
BATCH_BODIES: dict[str, type[BatchIn[Any]]] = {
    "list_customers": CustomerBatch,  # POST /customers shares the read route's name
    "write_tickets": TicketBatch,
    "write_status_changes": StatusChangeBatch,
    "write_time_entries": TimeEntryBatch,
    "write_survey_answers": SurveyAnswerBatch,
}


def to_batch(kind: Kind, payload: BatchIn[Any]) -> tuple[ImportBatch, Locations]:
    """The request's records as canonical columns, and where each came from in the request.

    Fields no record of the batch names keep their stored values on update
    (``supplied_fields``); a field named by some records is written for all of them, with the
    record's default where a record leaves it out. A ticket's nested ``status_changes`` become
    status-change records of that ticket, located by the ticket's index and
    ``status_changes.<n>``.

    The records go to the writer as columns (``ColumnsBatch``), read off the validated models
    and transposed in C (``attrgetter`` and ``zip``): no dict, row or record object per record.
    """
    records = payload.records
    batch = ColumnsBatch(source=payload.source)
    locations: Locations = {}
    fields = [name for name in type(records[0]).model_fields if name != "status_changes"]
    batch.columns[kind] = _transposed(records, fields)
    supplied = set().union(*[item.__pydantic_fields_set__ for item in records])
    supplied.discard("status_changes")
    batch.supplied_fields[kind] = frozenset(supplied)
    if kind != "tickets":
        return batch, locations
    history: list[Any] = []
    ticket_refs: list[str] = []
    parents: list[int] = []
    positions: list[int] = []
    for index, item in enumerate(records):
        changes = item.status_changes
        if not changes:
            continue
        history.extend(changes)
        ticket_refs.extend([item.external_id] * len(changes))
        parents.extend([index] * len(changes))
        positions.extend(range(len(changes)))
    if history:
        given = _transposed(history, list(TicketHistoryIn.model_fields))
        given.values["ticket_ref"] = ticket_refs
        batch.columns["status_changes"] = given
        history_supplied = set().union(*[change.__pydantic_fields_set__ for change in history])
        batch.supplied_fields["status_changes"] = frozenset(history_supplied | {"ticket_ref"})
        locations["status_changes"] = Nested("status_changes", parents, positions)
    return batch, locations


def _transposed(records: list[Any], fields: list[str]) -> Columns:
    """The ``fields`` of validated models, column by column."""
    if len(fields) == 1:
        return Columns(len(records), {fields[0]: [getattr(item, fields[0]) for item in records]})
    rows = map(attrgetter(*fields), records)
    return Columns(len(records), dict(zip(fields, map(list, zip(*rows, strict=True)), strict=True)))


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
