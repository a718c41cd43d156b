"""Canonical records: what every import source (file, API, live peer) hands to the writer.

One typed, frozen dataclass per kind of record. A connector or the file reader turns its
source's rows into these, puts them into an :class:`ImportBatch` and hands the batch to
:func:`solidground.importers.writer.write_batch` (or, with an ImportRun and the analysis
hook, to :func:`solidground.importers.actions.do_import_batch`).

Kinds, in the order the writer writes them (a later kind may refer to an earlier one)::

    customers        CustomerRecord        -> Customer + CustomerReference(source, external_id)
    contacts         ContactRecord         -> Contact
    contracts        ContractRecord        -> Contract
    catalogue_items  CatalogueItemRecord   -> CatalogueItem
    tickets          TicketRecord          -> Ticket
    status_changes   StatusChangeRecord    -> TicketStatusChange
    time_entries     TimeEntryRecord       -> TimeEntry
    interactions     InteractionRecord     -> Interaction
    survey_answers   SurveyAnswerRecord    -> SurveyAnswer
    revenue_lines    RevenueLineRecord     -> RevenueLine

Rules every record follows:

- ``external_id`` is the record's id in the source (ticket number, time entry id, ...). It is
  required: together with the batch's ``source`` it is the key the writer upserts on, so
  importing or syncing twice changes nothing and a changed record is updated in place.
  Records without an id in the source need one made from stable columns (the file mappings do
  this with ``external_id_columns``). Deletions are never inferred from absence.
- Fields ending in ``_ref`` are references by *external id in the same source*:
  ``customer_ref`` is the customer's id in the source (its ``CustomerReference``),
  ``ticket_ref`` a ticket's ``external_id`` and so on. The writer resolves them to primary
  keys. A ticket whose ``customer_ref`` is unknown creates the customer (named
  ``customer_name`` or else the ref; the one existing customer with exactly that name, in any
  case, is reused and gets the reference) unless the writer is told
  ``create_missing_customers=False``. Any other unknown reference rejects the row with a
  reason ("import the tickets first").
  ``customer_ref`` may be left empty on time entries, interactions and survey answers that name
  a ticket: the ticket's customer is used.
- Instants (``datetime``) must be timezone-aware; the writer stores them in UTC and rejects
  naive ones. A file's wall-clock times are made aware by the file mapping's ``timezone``
  (default Europe/Berlin) before they become records.
- Money is ``Decimal`` (two places), never float. Enumerated fields take our values: ticket
  ``status`` one of ``solidground.service.models.TicketStatus`` (``new``, ``open``,
  ``in_progress``, ``waiting_customer``, ``waiting_third_party``, ``resolved``, ``closed``),
  ``priority`` 1 (critical) to 4 (low), time entry ``billing`` one of ``billed``,
  ``included``, ``goodwill``, ``internal``; see each field's comment.
- A field left at its default is written with that default (for example a ticket without
  ``first_response_at`` has none). To leave columns of existing rows untouched, name the fields
  the source really supplies in ``ImportBatch.supplied_fields`` (the file importer does this
  with the mapped columns).

How a connector supplies records and keeps its place for incremental sync::

    from solidground.importers.records import ImportBatch, TicketRecord
    from solidground.importers.writer import read_cursor
    from solidground.importers.actions import do_import_batch

    since = read_cursor("zammad", "tickets")          # None on the first sync
    batch = ImportBatch(source="zammad")
    for item in client.tickets(updated_since=since):
        batch.add(TicketRecord(external_id=str(item["id"]), customer_ref=..., ...))
    batch.cursors["tickets"] = newest_updated_at_seen  # any string the connector understands
    run = do_import_batch(batch, kind="sync", user=None)  # ImportRun with counts and errors

The cursors of a batch are saved in ``SyncCursor(source, kind, cursor, updated_at)`` in the same
transaction as its records, so a sync that fails leaves both the store and the cursor as they
were, and the next sync starts again from the old cursor. A batch the writer refuses
(``strict=True`` and a bad record) does not move the cursor either.

The writer works on Polars frames internally; :func:`frame_schema` gives the frame schema of
each kind (one column per dataclass field), for sources that build frames directly (the file
importer does, for speed).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Literal, Union

import polars as pl

Kind = Literal[
    "customers",
    "contacts",
    "contracts",
    "catalogue_items",
    "tickets",
    "status_changes",
    "time_entries",
    "interactions",
    "survey_answers",
    "revenue_lines",
]

# The order in which the writer writes kinds: references point backwards only.
KINDS: tuple[Kind, ...] = (
    "customers",
    "contacts",
    "contracts",
    "catalogue_items",
    "tickets",
    "status_changes",
    "time_entries",
    "interactions",
    "survey_answers",
    "revenue_lines",
)


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    kind: ClassVar[Kind] = "customers"
    external_id: str
    name: str
    country: str = "DE"  # ISO 3166-1 alpha-2
    subdivision: str = ""  # e.g. "BY" (holidays package code)
    timezone: str = "Europe/Berlin"
    seats: int = 0
    endpoints: int = 0
    status: str = "active"  # active | cancelled | prospect
    customer_since: date | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class ContactRecord:
    kind: ClassVar[Kind] = "contacts"
    external_id: str
    customer_ref: str
    name: str
    email: str = ""
    phone: str = ""
    role: str = ""
    is_decision_maker: bool = False
    language: str = "de"
    customer_name: str | None = None  # used only when the customer has to be created


@dataclass(frozen=True, slots=True)
class ContractRecord:
    kind: ClassVar[Kind] = "contracts"
    external_id: str
    customer_ref: str
    name: str
    kind_of_contract: str  # managed | block_hours | time_material  (Contract.kind)
    start_date: date
    status: str = "active"  # active | ended | cancelled
    monthly_fee: Decimal = Decimal("0")
    included_hours_per_month: Decimal = Decimal("0")
    hourly_rate: Decimal = Decimal("0")
    end_date: date | None = None
    renewal_date: date | None = None
    notice_period_days: int = 90
    auto_renew: bool = True
    sla_policy_name: str | None = None  # an existing SlaPolicy's name; unknown names reject
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogueItemRecord:
    kind: ClassVar[Kind] = "catalogue_items"
    external_id: str
    contract_ref: str
    name: str
    code: str = ""
    description: str = ""
    included: bool = True
    rate: Decimal | None = None
    unit: str = "hour"  # hour | item | month
    keywords: str = ""  # comma-separated, German and English


@dataclass(frozen=True, slots=True)
class TicketRecord:
    kind: ClassVar[Kind] = "tickets"
    external_id: str
    customer_ref: str
    subject: str
    created_at: datetime
    status: str = "new"  # TicketStatus value
    priority: int = 3  # 1 critical .. 4 low
    reference: str = ""  # the number people say ("#4711"), if it differs from external_id
    description: str = ""
    category: str = ""
    channel: str = "email"  # phone | email | portal | chat | onsite | monitoring | other
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    agent_touches: int | None = None
    billable: bool = False
    is_special_request: bool = False
    is_escalated: bool = False
    is_complaint: bool = False
    contact_ref: str | None = None
    contract_ref: str | None = None
    catalogue_item_ref: str | None = None
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChangeRecord:
    """The ticket entered ``status`` at ``changed_at`` (one row of a status history)."""

    kind: ClassVar[Kind] = "status_changes"
    external_id: str
    ticket_ref: str
    changed_at: datetime
    status: str  # TicketStatus value
    source_status: str = ""  # the status name in the source, kept for display


@dataclass(frozen=True, slots=True)
class TimeEntryRecord:
    kind: ClassVar[Kind] = "time_entries"
    external_id: str
    started_at: datetime
    minutes: int  # > 0
    billing: str  # billed | included | goodwill | internal
    customer_ref: str | None = None  # may be empty when ticket_ref is given
    ticket_ref: str | None = None
    technician: str = ""
    billed_amount: Decimal | None = None
    loaded_cost: Decimal | None = None
    description: str = ""
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    kind: ClassVar[Kind] = "interactions"
    external_id: str
    occurred_at: datetime
    kind_of_interaction: str  # call | email | meeting | chat  (Interaction.kind)
    direction: str  # inbound | outbound
    customer_ref: str | None = None
    contact_ref: str | None = None
    ticket_ref: str | None = None
    duration_minutes: int | None = None
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswerRecord:
    """A survey sent; ``answered_at`` and ``score`` both empty when no answer came back."""

    kind: ClassVar[Kind] = "survey_answers"
    external_id: str
    kind_of_survey: str  # ticket_csat | relationship | nps  (SurveyAnswer.kind)
    sent_at: datetime
    customer_ref: str | None = None  # may be empty when ticket_ref is given
    ticket_ref: str | None = None
    contact_ref: str | None = None
    answered_at: datetime | None = None
    score: int | None = None
    scale_min: int = 1
    scale_max: int = 5
    comment: str = ""
    language: str = ""
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class RevenueLineRecord:
    kind: ClassVar[Kind] = "revenue_lines"
    external_id: str
    customer_ref: str
    period: date  # first day of the month
    kind_of_revenue: str  # recurring | extra | project  (RevenueLine.kind)
    amount: Decimal
    direct_cost: Decimal = Decimal("0")
    contract_ref: str | None = None
    description: str = ""
    customer_name: str | None = None


Record = Union[  # noqa: UP007 - a runtime alias that must work on Python 3.11's typing too
    CustomerRecord,
    ContactRecord,
    ContractRecord,
    CatalogueItemRecord,
    TicketRecord,
    StatusChangeRecord,
    TimeEntryRecord,
    InteractionRecord,
    SurveyAnswerRecord,
    RevenueLineRecord,
]

RECORD_TYPES: dict[Kind, type[Any]] = {
    "customers": CustomerRecord,
    "contacts": ContactRecord,
    "contracts": ContractRecord,
    "catalogue_items": CatalogueItemRecord,
    "tickets": TicketRecord,
    "status_changes": StatusChangeRecord,
    "time_entries": TimeEntryRecord,
    "interactions": InteractionRecord,
    "survey_answers": SurveyAnswerRecord,
    "revenue_lines": RevenueLineRecord,
}

# Record fields whose model field has another name: "kind" is taken by the ClassVar above.
MODEL_FIELD_NAMES: dict[str, str] = {
    "kind_of_contract": "kind",
    "kind_of_interaction": "kind",
    "kind_of_survey": "kind",
    "kind_of_revenue": "kind",
}


@dataclass
class ImportBatch:
    """Records of one import from one source, grouped by kind.

    ``supplied_fields`` (optional, per kind): the fields the source really has; on update only
    these columns are written, the others keep their stored values (on create they get the
    record's defaults). ``external_id`` and the references are always supplied.
    ``cursors`` (optional, per kind): saved as SyncCursor in the write's transaction.
    """

    source: str
    records: dict[Kind, list[Any]] = field(default_factory=dict)
    supplied_fields: dict[Kind, frozenset[str]] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        self.records.setdefault(record.kind, []).append(record)

    def extend(self, records: typing.Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return sum(len(items) for items in self.records.values())


_DECIMAL = pl.Decimal(14, 2)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _polars_type(annotation: Any) -> pl.DataType:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (Union, types.UnionType):
        annotation = next(arg for arg in args if arg is not type(None))
    if annotation is str:
        return pl.String()
    if annotation is bool:
        return pl.Boolean()
    if annotation is int:
        return pl.Int64()
    if annotation is Decimal:
        return _DECIMAL
    if annotation is datetime:
        return pl.Datetime("us", "UTC")
    if annotation is date:
        return pl.Date()
    raise TypeError(f"no frame type for {annotation!r}")


def record_fields(kind: Kind) -> list[dataclasses.Field[Any]]:
    return list(dataclasses.fields(RECORD_TYPES[kind]))


def frame_schema(kind: Kind) -> dict[str, pl.DataType]:
    """The Polars schema of a frame of ``kind``: one column per record field."""
    return dict(_frame_schema(kind))


@functools.cache
def _frame_schema(kind: Kind) -> dict[str, pl.DataType]:
    hints = typing.get_type_hints(RECORD_TYPES[kind])
    return {f.name: _polars_type(hints[f.name]) for f in record_fields(kind)}


def field_defaults(kind: Kind) -> dict[str, Any]:
    """Defaults of the optional fields; required fields are absent."""
    return {f.name: f.default for f in record_fields(kind) if f.default is not dataclasses.MISSING}


def required_fields(kind: Kind) -> list[str]:
    return [f.name for f in record_fields(kind) if f.default is dataclasses.MISSING]


def records_to_frame(kind: Kind, records: typing.Sequence[Any]) -> pl.DataFrame:
    """Records of one kind as a frame with ``_row`` (1-based position) for error messages.

    A naive datetime is not guessed at: it is left out and its field named in ``_naive``, and
    the writer rejects the row.
    """
    return frame_of_columns(
        frame_schema(kind),
        len(records),
        lambda name: [getattr(record, name) for record in records],
    )


def frame_of_columns(
    schema: typing.Mapping[str, Any],
    count: int,
    values_of: typing.Callable[[str], list[Any]],
) -> pl.DataFrame:
    """``count`` rows built column by column from ``values_of(field)``, with ``_row`` and
    ``_naive`` (the first field whose instant has no zone, left out); the frame of
    :func:`records_to_frame` and of the writer's columns. ``values_of``'s lists are read, not
    changed."""
    # Column by column: one comprehension per field is several times faster than a loop over
    # records and fields (an API batch of 500 tickets with their changes: 30 ms -> a few).
    # Instants go in as exact microseconds since the epoch: Polars converts aware datetime
    # objects one by one, zone and all, which cost more than the rest of the frame.
    columns: dict[str, Any] = {}
    naive: list[str | None] = [None] * count
    for name, dtype in schema.items():
        values = values_of(name)
        if isinstance(dtype, pl.Datetime):
            stamps = [
                None if value is None or value.tzinfo is None else (value - _EPOCH) // _MICROSECOND
                for value in values
            ]
            if stamps.count(None) != values.count(None):  # some instant has no zone
                for index, value in enumerate(values):
                    if value is not None and value.tzinfo is None and naive[index] is None:
                        naive[index] = name
            columns[name] = pl.Series(name, stamps, dtype=pl.Int64).cast(dtype)
        else:
            columns[name] = values
    frame = pl.DataFrame(columns, schema=schema, strict=False)
    return frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row"),
        pl.Series("_naive", naive, dtype=pl.String),
    )
