"""Validate-then-write: canonical records of one import into the store, in one transaction.

Entry points:

- :func:`write_batch` for an :class:`~solidground.importers.records.ImportBatch` of records
  (the API connectors use it, usually through ``actions.do_import_batch``).
- :class:`BatchWriter` for sources that stream frames chunk by chunk (the file importer):
  ``with BatchWriter(source=...) as writer: writer.write_frame("tickets", frame)``.

Per chunk of one kind the writer

1. validates every row against the record rules and the model's constraints (required values,
   choices, lengths, ranges, created <= resolved, ...); bad rows become :class:`RowError` s,
2. resolves references (``customer_ref`` -> customer pk through ``CustomerReference``,
   ``ticket_ref`` -> ticket pk, ...) with a Polars join against the keys of the referenced
   table, read once per import; rows with unknown references are rejected, missing customers
   are created (unless ``create_missing_customers=False``),
3. stages the valid rows in a temporary table (PostgreSQL ``COPY``, SQLite ``executemany``),
4. upserts with ``INSERT ... SELECT ... ON CONFLICT (source, external_id) DO UPDATE ... WHERE
   (stored columns) IS DISTINCT FROM (new columns) RETURNING ...`` and counts: created = rows
   that did not exist (PostgreSQL: ``xmax = 0`` of the returned rows; SQLite: staged rows minus
   those found by an ``EXISTS`` probe), updated = existing rows the statement changed,
   unchanged = existing rows identical in every supplied column ("unchanged" compares the
   stored values, so values are staged in exactly the form Django stores them).

With ``defer_indexes=True`` (bulk loads) the target table's secondary indexes, and on
PostgreSQL its foreign keys, are dropped before the first chunk and rebuilt once at the end,
inside the same transaction.

Everything happens inside one ``transaction.atomic()`` opened by the writer: an exception, an
interruption, ``strict=True`` with any rejected row, or ``dry_run=True`` leaves the store as it
was. Deletions are never inferred from absence.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection, models, transaction
from django.utils import timezone

from solidground.contracts.models import CatalogueItem, Contract, RevenueLine, SlaPolicy
from solidground.customers.models import Contact, Customer, CustomerReference
from solidground.importers.models import SyncCursor
from solidground.importers.records import (
    KINDS,
    MODEL_FIELD_NAMES,
    ImportBatch,
    Kind,
    field_defaults,
    frame_schema,
    records_to_frame,
    required_fields,
)
from solidground.service.models import Interaction, Ticket, TicketStatusChange, TimeEntry
from solidground.surveys.models import SurveyAnswer

DEFAULT_CHUNK_SIZE = 50_000
# A chunk naming at most this many distinct keys of a referenced table looks up only those
# (see BatchWriter._ref_map); a larger one loads the table's keys once.
_NARROW_LOOKUP = 2_000
# Free text that is cut to the column's length instead of rejecting the row: a long subject is
# still a ticket. Ids, references and enumerations are never cut.
_TRUNCATED_FIELDS = {
    "name",
    "subject",
    "category",
    "technician",
    "role",
    "phone",
    "code",
    "description",
    "reference",
    "source_status",
}


@dataclass(frozen=True)
class RowError:
    """One rejected value: where it was, what it was, and what to do about it."""

    file: str
    row: int
    column: str
    value: str
    reason: str
    kind: str = ""
    external_id: str = ""

    def message(self) -> str:
        return f'{self.file}, row {self.row}, column "{self.column}": "{self.value}" {self.reason}'

    def __str__(self) -> str:
        return self.message()


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: KindCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class WriteResult:
    counts: dict[str, KindCounts] = field(default_factory=dict)
    # The first ``max_errors_kept`` errors; ``error_count`` counts all of them.
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    customer_ids: set[int] = field(default_factory=set)
    # True when nothing was written: strict and some row was bad, or a dry run.
    refused: bool = False
    dry_run: bool = False

    @property
    def totals(self) -> KindCounts:
        total = KindCounts()
        for counts in self.counts.values():
            total.add(counts)
        return total


@dataclass(frozen=True)
class _Ref:
    """How a ``*_ref`` field becomes a foreign key."""

    field: str  # record field, e.g. "customer_ref"
    column: str  # foreign key column on the target table, e.g. "customer_id"
    table: str  # table looked up
    key: str  # column matched against the ref value
    value: str  # column of the looked-up table that gives the pk
    by_source: bool  # match only records of the same source
    required: bool
    what: str  # for messages: "customer", "ticket", ...
    hint: str


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


_CUSTOMER = _Ref(
    "customer_ref",
    "customer_id",
    _table(CustomerReference),
    "external_id",
    "customer_id",
    True,
    True,
    "customer",
    "import the customers first or let the import create them",
)


def _ref(field_name: str, model: type[models.Model], what: str, *, required: bool) -> _Ref:
    return _Ref(
        field_name,
        f"{field_name.removesuffix('_ref')}_id",
        _table(model),
        "external_id",
        "id",
        True,
        required,
        what,
        f"import the {what}s first",
    )


_TICKET_OPTIONAL = _ref("ticket_ref", Ticket, "ticket", required=False)
_CONTACT_OPTIONAL = _ref("contact_ref", Contact, "contact", required=False)
_CONTRACT_OPTIONAL = _ref("contract_ref", Contract, "contract", required=False)


@dataclass(frozen=True)
class _KindSpec:
    kind: Kind
    model: type[models.Model]
    refs: tuple[_Ref, ...]
    # The customer comes from the ticket when customer_ref is empty.
    customer_via_ticket: bool = False
    returns_customer: bool = True


_SPECS: dict[Kind, _KindSpec] = {
    "contacts": _KindSpec("contacts", Contact, (_CUSTOMER,)),
    "contracts": _KindSpec(
        "contracts",
        Contract,
        (
            _CUSTOMER,
            _Ref(
                "sla_policy_name",
                "sla_policy_id",
                _table(SlaPolicy),
                "name",
                "id",
                False,
                False,
                "SLA policy",
                "create the SLA policy first or leave the column empty",
            ),
        ),
    ),
    "catalogue_items": _KindSpec(
        "catalogue_items",
        CatalogueItem,
        (_ref("contract_ref", Contract, "contract", required=True),),
        returns_customer=False,
    ),
    "tickets": _KindSpec(
        "tickets",
        Ticket,
        (
            _CUSTOMER,
            _CONTACT_OPTIONAL,
            _CONTRACT_OPTIONAL,
            _ref("catalogue_item_ref", CatalogueItem, "catalogue item", required=False),
        ),
    ),
    "status_changes": _KindSpec(
        "status_changes",
        TicketStatusChange,
        (_ref("ticket_ref", Ticket, "ticket", required=True),),
        returns_customer=False,
    ),
    "time_entries": _KindSpec(
        "time_entries", TimeEntry, (_CUSTOMER, _TICKET_OPTIONAL), customer_via_ticket=True
    ),
    "interactions": _KindSpec(
        "interactions",
        Interaction,
        (_CUSTOMER, _CONTACT_OPTIONAL, _TICKET_OPTIONAL),
        customer_via_ticket=True,
    ),
    "survey_answers": _KindSpec(
        "survey_answers",
        SurveyAnswer,
        (_CUSTOMER, _CONTACT_OPTIONAL, _TICKET_OPTIONAL),
        customer_via_ticket=True,
    ),
    "revenue_lines": _KindSpec("revenue_lines", RevenueLine, (_CUSTOMER, _CONTRACT_OPTIONAL)),
}

_CUSTOMER_FIELDS = [
    "name",
    "country",
    "subdivision",
    "timezone",
    "seats",
    "endpoints",
    "status",
    "customer_since",
    "notes",
]


def _model_field(kind: Kind, record_field: str) -> models.Field[Any, Any] | None:
    model = Customer if kind == "customers" else _SPECS[kind].model
    name = MODEL_FIELD_NAMES.get(record_field, record_field)
    try:
        found = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist: a record-only field such as customer_name
        return None
    return found if isinstance(found, models.Field) and not found.is_relation else None


def _value_fields(kind: Kind) -> list[str]:
    """Record fields stored as columns of the target table (not refs, not helpers)."""
    return [
        name
        for name in frame_schema(kind)
        if name != "external_id" and _model_field(kind, name) is not None
    ]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# --- validation ------------------------------------------------------------------------------


def _checks(kind: Kind) -> list[tuple[pl.Expr, str, str]]:
    """(bad-row expression, field, reason) for this kind's own rules."""
    c = pl.col
    checks: list[tuple[pl.Expr, str, str]] = []
    if kind == "tickets":
        checks += [
            (
                c("first_response_at") < c("created_at"),
                "first_response_at",
                "is before the ticket was created",
            ),
            (c("resolved_at") < c("created_at"), "resolved_at", "is before the ticket was created"),
        ]
    elif kind == "time_entries":
        checks += [
            (c("minutes") <= 0, "minutes", "is not a positive duration"),
            (c("billed_amount") < 0, "billed_amount", "is negative"),
            (
                c("customer_ref").is_null() & c("ticket_ref").is_null(),
                "customer_ref",
                "is empty and no ticket is given; a time entry needs a customer or a ticket",
            ),
        ]
    elif kind == "contracts":
        checks += [
            (c("end_date") < c("start_date"), "end_date", "is before the start date"),
            (c("monthly_fee") < 0, "monthly_fee", "is negative"),
            (c("hourly_rate") < 0, "hourly_rate", "is negative"),
        ]
    elif kind == "catalogue_items":
        checks.append((c("rate") < 0, "rate", "is negative"))
    elif kind == "revenue_lines":
        checks.append((c("direct_cost") < 0, "direct_cost", "is negative"))
    elif kind == "survey_answers":
        checks += [
            (c("scale_max") <= c("scale_min"), "scale_max", "is not above the lowest score"),
            (
                (c("score") < c("scale_min")) | (c("score") > c("scale_max")),
                "score",
                "is outside the survey's scale",
            ),
            (
                c("score").is_null() & c("answered_at").is_not_null(),
                "score",
                "is empty but the survey was answered; give both or neither",
            ),
            (
                c("score").is_not_null() & c("answered_at").is_null(),
                "answered_at",
                "is empty but there is a score; give the time of the answer",
            ),
            (
                c("customer_ref").is_null() & c("ticket_ref").is_null(),
                "customer_ref",
                "is empty and no ticket is given; an answer needs a customer or a ticket",
            ),
        ]
    elif kind == "interactions":
        checks.append(
            (
                c("customer_ref").is_null() & c("ticket_ref").is_null(),
                "customer_ref",
                "is empty and no ticket is given",
            )
        )
    return checks


def _choices(model_field: models.Field[Any, Any]) -> list[Any] | None:
    if not model_field.choices:
        return None
    return [value for value, _label in model_field.flatchoices]


def model_choices(kind: Kind, record_field: str) -> list[Any] | None:
    """Our values of an enumerated field (ticket status, billing, ...), or None."""
    model_field = _model_field(kind, record_field)
    return None if model_field is None else _choices(model_field)


@dataclass
class _Validated:
    frame: pl.DataFrame
    errors: list[RowError]
    rejected: int


def _complete(kind: Kind, frame: pl.DataFrame) -> pl.DataFrame:
    """All columns of the kind's schema, in order, with defaults for missing ones."""
    schema = frame_schema(kind)
    defaults = field_defaults(kind)
    columns: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name in frame.columns:
            expr = pl.col(name).cast(dtype, strict=False)
            # Empty strings in id and reference columns mean "none".
            if isinstance(dtype, pl.String) and (
                name == "external_id" or name.endswith(("_ref", "_name"))
            ):
                expr = pl.when(expr.str.strip_chars() == "").then(None).otherwise(expr)
            default = defaults.get(name)
            if default is not None:
                expr = expr.fill_null(pl.lit(default, dtype=dtype))
            columns.append(expr.alias(name))
        else:
            columns.append(pl.lit(defaults.get(name), dtype=dtype).alias(name))
    if "_row" in frame.columns:
        columns.append(pl.col("_row").cast(pl.Int64))
    else:
        columns.append(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"))
    columns.append(
        pl.col("_naive").cast(pl.String)
        if "_naive" in frame.columns
        else pl.lit(None, dtype=pl.String).alias("_naive")
    )
    return frame.select(columns)


def _validate(
    kind: Kind, frame: pl.DataFrame, *, file: str, column_names: dict[str, str]
) -> _Validated:
    frame = _complete(kind, frame)
    rules: list[tuple[pl.Expr, str, str]] = [
        (
            pl.col("_naive").is_not_null(),
            "_naive",
            "has no time zone; give instants with a zone (the writer never guesses one)",
        )
    ]
    required = set(required_fields(kind))
    schema = frame_schema(kind)
    truncations: list[pl.Expr] = []
    for name in schema:
        model_field = _model_field(kind, name)
        if name in required:
            rules.append((pl.col(name).is_null(), name, "is empty; a value is required"))
        if model_field is None:
            continue
        choices = _choices(model_field)
        if choices is not None:
            rules.append(
                (
                    pl.col(name).is_not_null() & ~pl.col(name).is_in(choices),
                    name,
                    "is not one of: " + ", ".join(str(choice) for choice in choices),
                )
            )
        elif name not in required and not model_field.null and name not in field_defaults(kind):
            rules.append((pl.col(name).is_null(), name, "is empty; a value is required"))
        max_length = getattr(model_field, "max_length", None)
        if isinstance(model_field, models.CharField) and max_length and choices is None:
            if name in _TRUNCATED_FIELDS:
                truncations.append(pl.col(name).str.slice(0, max_length))
            else:
                rules.append(
                    (
                        pl.col(name).str.len_chars() > max_length,
                        name,
                        f"is longer than {max_length} characters",
                    )
                )
        if isinstance(model_field, models.DecimalField):
            digits = (model_field.max_digits or 14) - (model_field.decimal_places or 2)
            rules.append(
                (
                    pl.col(name).abs() >= Decimal(10) ** digits,
                    name,
                    f"is too large (at most {digits} digits before the decimal point)",
                )
            )
        if isinstance(
            model_field,
            models.PositiveIntegerField | models.PositiveSmallIntegerField,
        ):
            limit = (
                32767 if isinstance(model_field, models.PositiveSmallIntegerField) else 2**31 - 1
            )
            rules.append(
                (
                    (pl.col(name) < 0) | (pl.col(name) > limit),
                    name,
                    f"is outside 0..{limit}",
                )
            )
    for name in schema:
        if name == "external_id" or name.endswith("_ref"):
            rules.append(
                (pl.col(name).str.len_chars() > 120, name, "is longer than 120 characters")
            )
    rules += _checks(kind)
    if truncations:
        frame = frame.with_columns(truncations)

    masks = [rule.fill_null(False).alias(f"_bad{i}") for i, (rule, _, _) in enumerate(rules)]
    flagged = frame.with_columns(masks)
    bad_any = pl.any_horizontal([pl.col(f"_bad{i}") for i in range(len(rules))])
    bad_rows = flagged.filter(bad_any)
    errors: list[RowError] = []
    if bad_rows.height:
        for i, (_rule, name, reason) in enumerate(rules):
            hits = bad_rows.filter(pl.col(f"_bad{i}"))
            if not hits.height:
                continue
            # Aliased: the bad column may be external_id itself (a duplicate name otherwise).
            for row, value, external_id in hits.select(
                "_row", pl.col(name).cast(pl.String).alias("_value"), "external_id"
            ).iter_rows():
                errors.append(
                    RowError(
                        file=file,
                        row=int(row),
                        column=column_names.get(name, name if name != "_naive" else "instant"),
                        value="" if value is None else str(value),
                        reason=reason,
                        kind=kind,
                        external_id=external_id or "",
                    )
                )
        errors.sort(key=lambda error: error.row)
    good = flagged.filter(~bad_any).drop([f"_bad{i}" for i in range(len(rules))])

    # The same id twice in one chunk: the last row wins, the earlier ones are reported.
    duplicated = good.filter(pl.col("external_id").is_duplicated())
    if duplicated.height:
        last = duplicated.group_by("external_id").agg(pl.col("_row").max().alias("_last"))
        earlier = duplicated.join(last, on="external_id").filter(pl.col("_row") != pl.col("_last"))
        for row, external_id, last_row in earlier.select(
            "_row", "external_id", "_last"
        ).iter_rows():
            errors.append(
                RowError(
                    file=file,
                    row=int(row),
                    column=column_names.get("external_id", "external_id"),
                    value=str(external_id),
                    reason=f"appears again in row {last_row}; the later row is imported",
                    kind=kind,
                    external_id=str(external_id),
                )
            )
        good = good.filter(~pl.col("_row").is_in(earlier["_row"].implode()))
    rejected = frame.height - good.height
    return _Validated(good.drop("_naive"), errors, rejected)


# --- staging -----------------------------------------------------------------------------------


def _sql_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.String):
        return "text"
    if isinstance(dtype, pl.Boolean):
        return "boolean"
    if isinstance(dtype, pl.Int64):
        return "bigint"
    if isinstance(dtype, pl.Decimal):
        return "numeric"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz"
    if isinstance(dtype, pl.Date):
        return "date"
    raise TypeError(dtype)


def _stage_name(kind: Kind) -> str:
    return f"sg_stage_{kind}"


def _stage_schema(kind: Kind) -> dict[str, pl.DataType]:
    """The stage's columns: the record's fields and the resolved foreign keys."""
    schema = dict(frame_schema(kind))
    if kind != "customers":
        for ref in _SPECS[kind].refs:
            schema[f"fk:{ref.column}"] = pl.Int64()
    return schema


def _create_stage(kind: Kind) -> None:
    schema = _stage_schema(kind)
    stage = _stage_name(kind)
    with connection.cursor() as cursor:
        if _is_postgres():
            columns = ", ".join(f"{_quote(n)} {_sql_type(t)}" for n, t in schema.items())
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} (_row bigint, {columns}) ON COMMIT DROP"
            )
            cursor.execute(f"TRUNCATE {stage}")
        else:
            # No declared types: values keep the form Django would store (text instants in
            # UTC, decimals as text); the target table's affinity converts them the same way.
            columns = ", ".join(_quote(n) for n in schema)
            cursor.execute(f"DROP TABLE IF EXISTS temp.{stage}")
            cursor.execute(f"CREATE TEMP TABLE {stage} (_row INTEGER PRIMARY KEY, {columns})")


def _sqlite_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Values in the form Django's SQLite backend stores them, so "unchanged" is exact."""
    converted: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            utc = column.dt.convert_time_zone("UTC")
            converted.append(
                pl.when(utc.dt.microsecond() == 0)
                .then(utc.dt.strftime("%Y-%m-%d %H:%M:%S"))
                .otherwise(utc.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
                .alias(name)
            )
        elif isinstance(dtype, pl.Decimal | pl.Date):
            converted.append(column.cast(pl.String))
        elif isinstance(dtype, pl.Boolean):
            converted.append(column.cast(pl.Int64))
        else:
            converted.append(column)
    return frame.select(converted)


def _fill_stage(kind: Kind, frame: pl.DataFrame) -> None:
    names = ["_row", *_stage_schema(kind)]
    staged = frame.select(names)
    stage = _stage_name(kind)
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(f"TRUNCATE {stage}")
            data = staged.write_csv(
                include_header=False,
                null_value="\\N",
                datetime_format="%Y-%m-%dT%H:%M:%S%.6f%z",
            )
            column_list = ", ".join(_quote(n) for n in names)
            raw = cursor.cursor
            with raw.copy(
                f"COPY {stage} ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            ) as copy:
                copy.write(data.encode("utf-8"))
        else:
            cursor.execute(f"DELETE FROM temp.{stage}")  # noqa: S608
            placeholders = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO temp.{stage} VALUES ({placeholders})",  # noqa: S608
                _sqlite_values(staged).rows(),
            )


# --- writing -----------------------------------------------------------------------------------


class BatchWriter:
    """Writes chunks of canonical frames of one import inside one transaction.

    Use as a context manager; ``result`` holds the counts and errors. On leaving, the
    transaction commits unless an exception escaped, ``dry_run`` is set, or ``strict`` is set
    and any row was rejected (then ``result.refused`` is True and nothing is written).
    """

    def __init__(
        self,
        *,
        source: str,
        strict: bool = False,
        dry_run: bool = False,
        create_missing_customers: bool = True,
        max_errors_kept: int = 10_000,
        on_errors: Callable[[Sequence[RowError]], None] | None = None,
        defer_indexes: bool = False,
    ) -> None:
        if not source or len(source) > 40:
            raise ValueError(f"source must be 1 to 40 characters, not {source!r}")
        self.source = source
        self.strict = strict
        self.dry_run = dry_run
        self.create_missing_customers = create_missing_customers
        self.max_errors_kept = max_errors_kept
        self.on_errors = on_errors
        self.result = WriteResult(dry_run=dry_run)
        self.defer_indexes = defer_indexes
        self._atomic: Any = None
        self._staged: set[Kind] = set()
        # Key -> primary key of referenced tables, loaded once per writer (see _ref_map).
        self._maps: dict[str, pl.DataFrame] = {}
        self._dropped_indexes: list[tuple[str, str]] = []
        self._dropped_constraints: list[str] = []
        self._deferred_tables: set[str] = set()
        self._cache_size: int | None = None

    def __enter__(self) -> BatchWriter:
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        rolling_back = exc_type is not None or self.dry_run
        if exc_type is None and (self.dry_run or (self.strict and self.result.error_count)):
            transaction.set_rollback(True)
            self.result.refused = True
            rolling_back = True
        try:
            if not rolling_back:
                self._restore_indexes()
        finally:
            self._atomic.__exit__(exc_type, exc, traceback)
            self._restore_cache_size()

    # bulk loads

    def _defer_table_indexes(self, table: str) -> None:
        """Drop the table's plain (non-unique) indexes until the end of the import.

        Keeping six secondary indexes up to date row by row costs SQLite and PostgreSQL far
        more than building them once from the loaded rows. The drop is part of the import's
        transaction: an interrupted import rolls it back with everything else. The unique
        (source, external_id) index stays, because the upsert needs it. On PostgreSQL the
        table's foreign keys are dropped and added back the same way (adding one checks every
        row in a single join). The drop locks the table against readers until the import
        commits, so it is for bulk loads.
        """
        if table in self._deferred_tables:
            return
        self._deferred_tables.add(table)
        with connection.cursor() as cursor:
            if _is_postgres():
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND tablename = %s",
                    [table],
                )
                found = [(n, d) for n, d in cursor.fetchall() if "UNIQUE" not in d.upper()]
                # Foreign keys too: PostgreSQL checks them row by row through triggers (6M
                # checks for 3M time entries); adding them back checks all rows in one join.
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}")
                    self._dropped_constraints.append(
                        f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}"
                    )
            else:
                if self._cache_size is None:
                    cursor.execute("PRAGMA cache_size")
                    row = cursor.fetchone()
                    self._cache_size = int(row[0]) if row else -2000
                    # 128 MiB of page cache while the indexes are rebuilt (negative = KiB).
                    cursor.execute("PRAGMA cache_size = -131072")
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
                found = [
                    (n, d)
                    for n, d in cursor.fetchall()
                    if not d.upper().startswith("CREATE UNIQUE")
                ]
            for name, _definition in found:
                cursor.execute(f"DROP INDEX {_quote(name)}")
        self._dropped_indexes.extend(found)

    def _restore_indexes(self) -> None:
        if not self._dropped_indexes and not self._dropped_constraints:
            return
        with connection.cursor() as cursor:
            if _is_postgres():
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; PostgreSQL builds
                # no index on a table with pending checks (other tables' rows written by this
                # import), so run those checks now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, definition in self._dropped_indexes:
                cursor.execute(definition)
            for statement in self._dropped_constraints:
                cursor.execute(statement)
        self._dropped_indexes = []
        self._dropped_constraints = []

    def _restore_cache_size(self) -> None:
        if self._cache_size is not None and not _is_postgres():
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")
            self._cache_size = None

    # errors

    def add_errors(self, kind: Kind, errors: Sequence[RowError], *, rejected_rows: int) -> None:
        """Errors found before the writer (e.g. a date the file reader could not parse)."""
        self._counts(kind).rejected += rejected_rows
        self._keep(errors)

    def _keep(self, errors: Sequence[RowError]) -> None:
        if not errors:
            return
        self.result.error_count += len(errors)
        room = self.max_errors_kept - len(self.result.errors)
        if room > 0:
            self.result.errors.extend(errors[:room])
        if self.on_errors is not None:
            self.on_errors(errors)

    def _counts(self, kind: Kind) -> KindCounts:
        return self.result.counts.setdefault(kind, KindCounts())

    # cursors

    def save_cursor(self, kind: str, cursor: str) -> None:
        SyncCursor.objects.update_or_create(
            source=self.source,
            kind=kind,
            defaults={"cursor": cursor, "updated_at": timezone.now()},
        )

    # writing

    def write_records(self, kind: Kind, records: Sequence[Any], *, file: str = "") -> KindCounts:
        return self.write_frame(kind, records_to_frame(kind, records), file=file)

    def write_frame(
        self,
        kind: Kind,
        frame: pl.DataFrame,
        *,
        file: str = "",
        supplied: Iterable[str] | None = None,
        column_names: dict[str, str] | None = None,
    ) -> KindCounts:
        """Validate and write one chunk; returns this chunk's counts (also added to result).

        ``frame`` has record fields as columns (missing ones take their defaults) and
        optionally ``_row``, the row number shown in errors. ``supplied``: the fields the
        source has (default: the frame's columns); only these are updated on existing rows.
        ``column_names``: record field -> the source's column name, for error messages.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        file = file or f"{self.source} {kind}"
        names = column_names or {}
        supplied_set = set(frame.columns if supplied is None else supplied)
        validated = _validate(kind, frame, file=file, column_names=names)
        self._keep(validated.errors)
        chunk = KindCounts(rejected=validated.rejected)
        good = validated.frame
        if good.height:
            if kind == "customers":
                written = self._write_customers(good, supplied_set)
            else:
                written = self._write_table(kind, good, supplied_set, file, names)
            chunk.add(written)
        self._counts(kind).add(chunk)
        return chunk

    def _write_customers(self, frame: pl.DataFrame, supplied: set[str]) -> KindCounts:
        """Customers are few: the ORM is fast enough and keeps CustomerReference in step."""
        counts = KindCounts()
        fields = [name for name in _CUSTOMER_FIELDS if name in supplied or name == "name"]
        rows = frame.to_dicts()
        refs = dict(
            CustomerReference.objects.filter(
                source=self.source, external_id__in=[row["external_id"] for row in rows]
            ).values_list("external_id", "customer_id")
        )
        existing = Customer.objects.in_bulk(list(refs.values()))
        for row in rows:
            customer_id = refs.get(row["external_id"])
            if customer_id is not None and customer_id in existing:
                customer = existing[customer_id]
                changed = [name for name in fields if getattr(customer, name) != row[name]]
                if changed:
                    for name in changed:
                        setattr(customer, name, row[name])
                    customer.save(update_fields=changed)
                    counts.updated += 1
                else:
                    counts.unchanged += 1
                self.result.customer_ids.add(customer.pk)
                continue
            customer = self._customer_by_name(row["name"]) or Customer(name=row["name"])
            is_new = customer.pk is None
            for name in _CUSTOMER_FIELDS if is_new else fields:
                setattr(customer, name, row[name])
            customer.save()
            CustomerReference.objects.create(
                customer=customer, source=self.source, external_id=row["external_id"]
            )
            refs[row["external_id"]] = customer.pk
            existing[customer.pk] = customer
            self.result.customer_ids.add(customer.pk)
            counts.created += 1
        self._maps.pop(_CUSTOMER.field, None)
        return counts

    def _customer_by_name(self, name: str) -> Customer | None:
        """The one existing customer with exactly this name (any case), if there is one.

        Exports name customers inconsistently (an id in one file, the name in another; the
        same company in two tools), so a new reference joins the customer of that name
        instead of creating a twin. Two customers of that name: no guess, a new one.
        """
        found = list(Customer.objects.filter(name__iexact=name.strip())[:2])
        return found[0] if len(found) == 1 else None

    def _ref_map(self, ref: _Ref, keys: pl.Series | None = None) -> pl.DataFrame:
        """``key`` -> ``pk`` (and a ticket's ``customer``) of the table a ref points to.

        For a chunk that names few keys (``keys``, at most ``_NARROW_LOOKUP`` distinct: an API
        or webhook batch) only those keys are looked up, and the answer is not kept: a push of
        500 status changes must not read every ticket key of the store. Otherwise the whole
        table's keys are loaded once per writer and kept: resolving a chunk is then a hash join
        in Polars, independent of the database's planner (PostgreSQL would otherwise hash a
        million tickets for every chunk of time entries). A few columns per referenced row: 1M
        tickets take about 40 MB.
        """
        cached = self._maps.get(ref.field)
        if cached is not None:
            return cached
        wanted: list[str] | None = None
        if keys is not None:
            distinct = keys.drop_nulls().unique()
            if distinct.len() <= _NARROW_LOOKUP:
                wanted = distinct.to_list()
        extra = ", customer_id" if ref.field == "ticket_ref" else ""
        conditions: list[str] = []
        params: list[Any] = []
        if ref.by_source:
            conditions.append(f"source = %s AND {_quote(ref.key)} IS NOT NULL")
            params.append(self.source)
        if wanted is not None:
            if not wanted:
                conditions.append("1 = 0")
            elif _is_postgres():
                conditions.append(f"{_quote(ref.key)} = ANY(%s)")
                params.append(wanted)
            else:
                conditions.append(f"{_quote(ref.key)} IN ({', '.join(['%s'] * len(wanted))})")
                params.extend(wanted)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        schema: dict[str, pl.DataType] = {"key": pl.String(), "pk": pl.Int64()}
        if extra:
            schema["customer"] = pl.Int64()
        parts: list[pl.DataFrame] = []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_quote(ref.key)}, {_quote(ref.value)}{extra} "  # noqa: S608
                f"FROM {_quote(ref.table)}{where}",
                params,
            )
            # In batches: a million Python tuples at once would cost far more than the frame.
            while rows := cursor.fetchmany(100_000):
                parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
        frame = (pl.concat(parts) if parts else pl.DataFrame(schema=schema)).unique(
            "key", keep="first"
        )
        if wanted is None:
            self._maps[ref.field] = frame
        return frame

    def _forget_maps(self, table: str) -> None:
        """Rows were written to ``table``: its cached keys are stale."""
        self._maps = {
            field: frame
            for field, frame in self._maps.items()
            if all(
                ref.table != table
                for spec in _SPECS.values()
                for ref in spec.refs
                if ref.field == field
            )
        }

    def _create_missing_customers(self, frame: pl.DataFrame) -> None:
        known = self._ref_map(_CUSTOMER, frame["customer_ref"])
        missing = (
            frame.filter(pl.col("customer_ref").is_not_null())
            .group_by("customer_ref")
            .agg(pl.col("customer_name").drop_nulls().first())
            .join(known, left_on="customer_ref", right_on="key", how="anti")
            .sort("customer_ref")
        )
        if not missing.height:
            return
        added: list[tuple[str, int]] = []
        for ref, name in missing.iter_rows():
            display = (name or ref).strip()[:200] or ref
            customer = self._customer_by_name(display)
            if customer is None:
                customer = Customer.objects.create(name=display)
                self._counts("customers").created += 1
            CustomerReference.objects.create(customer=customer, source=self.source, external_id=ref)
            added.append((ref, customer.pk))
        if _CUSTOMER.field in self._maps:
            self._maps[_CUSTOMER.field] = pl.concat(
                [known, pl.DataFrame(added, schema=known.schema, orient="row")]
            )

    def _resolve(
        self, kind: Kind, frame: pl.DataFrame, file: str, names: dict[str, str]
    ) -> pl.DataFrame:
        """Foreign keys for the chunk's refs (``fk:<column>``); unknown refs reject the row."""
        spec = _SPECS[kind]
        if self.create_missing_customers and any(ref is _CUSTOMER for ref in spec.refs):
            self._create_missing_customers(frame)
        resolved = frame
        for ref in spec.refs:
            found = self._ref_map(ref, frame[ref.field])
            renamed = {"pk": f"fk:{ref.column}"}
            if "customer" in found.columns:
                renamed["customer"] = "ticket:customer"
            resolved = resolved.join(
                found.rename(renamed), left_on=ref.field, right_on="key", how="left"
            )
        if spec.customer_via_ticket:
            resolved = resolved.with_columns(
                pl.coalesce("fk:customer_id", "ticket:customer").alias("fk:customer_id")
            )
        problems: list[tuple[pl.Expr, _Ref | None]] = [
            (pl.col(ref.field).is_not_null() & pl.col(f"fk:{ref.column}").is_null(), ref)
            for ref in spec.refs
        ]
        if spec.customer_via_ticket:
            problems.append((pl.col("fk:customer_id").is_null(), None))
        bad = pl.any_horizontal([expr for expr, _ in problems])
        flagged = resolved.filter(bad)
        if flagged.height:
            errors: list[RowError] = []
            for row in flagged.iter_rows(named=True):
                for expr_ref in spec.refs:
                    given = row[expr_ref.field]
                    if given is not None and row[f"fk:{expr_ref.column}"] is None:
                        errors.append(
                            RowError(
                                file=file,
                                row=int(row["_row"]),
                                column=names.get(expr_ref.field, expr_ref.field),
                                value=str(given),
                                reason=f"is not a known {expr_ref.what} from {self.source}; "
                                f"{expr_ref.hint}",
                                kind=kind,
                                external_id=row["external_id"] or "",
                            )
                        )
                        break
                else:
                    errors.append(
                        RowError(
                            file=file,
                            row=int(row["_row"]),
                            column=names.get("customer_ref", "customer_ref"),
                            value="",
                            reason="gives no customer and the ticket has none",
                            kind=kind,
                            external_id=row["external_id"] or "",
                        )
                    )
            errors.sort(key=lambda error: error.row)
            self._keep(errors)
        return resolved.filter(~bad)

    def _write_table(
        self, kind: Kind, frame: pl.DataFrame, supplied: set[str], file: str, names: dict[str, str]
    ) -> KindCounts:
        return self._write_chunk(kind, frame, supplied, file, names)

    def _write_chunk(
        self, kind: Kind, frame: pl.DataFrame, supplied: set[str], file: str, names: dict[str, str]
    ) -> KindCounts:
        spec = _SPECS[kind]
        if self.defer_indexes:
            self._defer_table_indexes(_table(spec.model))
        table = _quote(_table(spec.model))
        stage = _stage_name(kind)
        if kind not in self._staged or not _is_postgres():
            _create_stage(kind)
            self._staged.add(kind)
        resolved = self._resolve(kind, frame, file, names)
        rejected = frame.height - resolved.height
        staged = resolved.height
        if not staged:
            return KindCounts(rejected=rejected)
        _fill_stage(kind, resolved)
        ref_values = {ref.column: f"s.{_quote('fk:' + ref.column)}" for ref in spec.refs}
        value_fields = _value_fields(kind)
        columns = [MODEL_FIELD_NAMES.get(name, name) for name in value_fields]
        select = [f"s.{_quote(name)}" for name in value_fields]
        fk_columns = list(ref_values)
        updatable = [
            MODEL_FIELD_NAMES.get(name, name) for name in value_fields if name in supplied
        ] + [
            ref.column
            for ref in spec.refs
            if ref.field in supplied or ref.required or ref is _CUSTOMER
        ]
        all_columns = ["source", "external_id", *columns, *fk_columns]
        set_clause = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in updatable)
        stored = ", ".join(f"{table}.{_quote(c)}" for c in updatable)
        incoming = ", ".join(f"excluded.{_quote(c)}" for c in updatable)
        distinct = "IS DISTINCT FROM" if _is_postgres() else "IS NOT"
        returning = "customer_id" if spec.returns_customer else "id"
        sql = (
            f"INSERT INTO {table} ({', '.join(_quote(c) for c in all_columns)}) "  # noqa: S608
            f"SELECT %s, s.external_id, {', '.join([*select, *ref_values.values()])} "
            f"FROM {stage} s WHERE true "
            f"ON CONFLICT (source, external_id) DO UPDATE SET {set_clause} "
            f"WHERE ({stored}) {distinct} ({incoming}) "
            # PostgreSQL tells inserted from updated rows: a new row version has xmax 0.
            f"RETURNING {returning}{', (xmax = 0)' if _is_postgres() else ''}"
        )
        with connection.cursor() as cursor:
            if not _is_postgres():
                # EXISTS keeps the stage as the outer loop; a plain JOIN lets SQLite's
                # planner scan the whole target table for every chunk.
                cursor.execute(
                    f"SELECT count(*) FROM {stage} s WHERE EXISTS (SELECT 1 FROM {table} t "  # noqa: S608
                    "WHERE t.source = %s AND t.external_id = s.external_id)",
                    [self.source],
                )
                counted = cursor.fetchone()
                existing = int(counted[0]) if counted else 0
            cursor.execute(sql, [self.source])
            returned = cursor.fetchall()
        self._forget_maps(_table(spec.model))
        if spec.returns_customer:
            self.result.customer_ids.update(int(row[0]) for row in returned)
        if _is_postgres():
            created = sum(1 for row in returned if row[1])
            existing = staged - created
        else:
            created = staged - existing
        updated = len(returned) - created
        return KindCounts(
            created=created, updated=updated, unchanged=existing - updated, rejected=rejected
        )


def read_cursor(source: str, kind: str) -> str | None:
    """The cursor the last successful sync of ``kind`` from ``source`` saved, if any."""
    found = SyncCursor.objects.filter(source=source, kind=kind).values_list("cursor", flat=True)
    return next(iter(found), None)


def write_batch(
    batch: ImportBatch,
    *,
    strict: bool = False,
    dry_run: bool = False,
    create_missing_customers: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[str, int], None] | None = None,
) -> WriteResult:
    """Validate and write a batch of records in one transaction; see the module docstring.

    Kinds are written in :data:`~solidground.importers.records.KINDS` order. ``progress`` is
    called with (kind, rows done) after each chunk. The batch's cursors are saved in the same
    transaction unless the result is refused.
    """
    with BatchWriter(
        source=batch.source,
        strict=strict,
        dry_run=dry_run,
        create_missing_customers=create_missing_customers,
    ) as writer:
        for kind in KINDS:
            records = batch.records.get(kind) or []
            supplied = batch.supplied_fields.get(kind)
            for start in range(0, len(records), chunk_size):
                frame = records_to_frame(kind, records[start : start + chunk_size])
                frame = frame.with_columns(pl.col("_row") + start)
                writer.write_frame(
                    kind,
                    frame,
                    supplied=None if supplied is None else _with_keys(kind, supplied),
                )
                if progress is not None:
                    progress(kind, min(start + chunk_size, len(records)))
        if not (strict and writer.result.error_count):
            for kind_name, cursor in batch.cursors.items():
                writer.save_cursor(kind_name, cursor)
    return writer.result


def _with_keys(kind: Kind, supplied: frozenset[str]) -> set[str]:
    # Only the key is implied. Required references (and the customer) are always rewritten by
    # _write_chunk; an optional reference the source did not supply (a contract set by hand,
    # say) must survive a re-sync instead of being reset to NULL.
    return set(supplied) | {"external_id"}
