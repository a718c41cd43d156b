"""Validate-then-write: canonical records of one import into the store, in one transaction.

Entry points:

- :func:`write_batch` for an :class:`~solidground.importers.records.ImportBatch` of records
  (the API connectors use it, usually through ``actions.do_import_batch``).
- :class:`BatchWriter` for sources that stream frames chunk by chunk (the file importer):
  ``with BatchWriter(source=...) as writer: writer.write_frame("tickets", frame)``.

Per chunk of one kind the writer

1. validates every row against the record rules and the model's constraints (required values,
   choices, lengths, ranges, created <= resolved, ...; ``validation.py``); bad rows become
   :class:`~solidground.importers.validation.RowError` s,
2. resolves references (``customer_ref`` -> customer pk through ``CustomerReference``,
   ``ticket_ref`` -> ticket pk, ...) with a Polars join against the keys of the referenced
   table, read once per import; rows with unknown references are rejected, missing customers
   are created (unless ``create_missing_customers=False``),
3. stages the valid rows in a temporary table (PostgreSQL ``COPY``, SQLite ``executemany``;
   this and the next step are the per-database SQL of ``staging.py``),
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from solidground.customers.models import Customer, CustomerReference
from solidground.importers.kinds import CUSTOMER_FIELDS, CUSTOMER_REF, SPECS, Ref, table_of
from solidground.importers.models import SyncCursor
from solidground.importers.records import (
    KINDS,
    ImportBatch,
    Kind,
    field_defaults,
    frame_of_columns,
    frame_schema,
    records_to_frame,
)
from solidground.importers.staging import (
    DeferredIndexes,
    create_stage,
    fill_stage,
    is_postgres,
    lookup_keys,
    upsert,
)
from solidground.importers.validation import RowError, validate

DEFAULT_CHUNK_SIZE = 50_000
# A chunk naming at most this many distinct keys of a referenced table looks up only those
# (see BatchWriter._ref_map); a larger one loads the table's keys once.
_NARROW_LOOKUP = 2_000
# The keys of rows a writer inserted or changed, kept for its narrow lookups up to this many
# (an API batch: its tickets, for their status changes); a bulk load keeps none.
_KEEP_WRITTEN = 20_000


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


@dataclass
class Columns:
    """``count`` records of one kind given column by column: record field -> its ``count``
    values (already of the field's type). A field not given takes the record's default."""

    count: int
    values: dict[str, list[Any]]

    def slice(self, start: int, stop: int) -> Columns:
        stop = min(stop, self.count)
        return Columns(
            max(stop - start, 0), {name: items[start:stop] for name, items in self.values.items()}
        )


@dataclass
class ColumnsBatch(ImportBatch):
    """An :class:`ImportBatch` whose records of some kinds are given as :class:`Columns`: the
    API's validated request, transposed. A kind has records or columns, not both. The
    writer's frame is built straight from the columns, with no record object or dict per
    record.
    """

    columns: dict[Kind, Columns] = field(default_factory=dict)

    def __len__(self) -> int:
        return super().__len__() + sum(given.count for given in self.columns.values())


def columns_to_frame(kind: Kind, given: Columns) -> pl.DataFrame:
    """Columns (see :class:`ColumnsBatch`) as a frame; the same frame as ``records_to_frame``
    gives for the record objects made from them, with ``_row`` (1-based) and ``_naive``."""
    defaults = field_defaults(kind)
    values = given.values

    def values_of(name: str) -> list[Any]:
        found = values.get(name)
        return found if found is not None else [defaults.get(name)] * given.count

    return frame_of_columns(frame_schema(kind), given.count, values_of)


def _frames(batch: ImportBatch, kind: Kind, chunk_size: int) -> Iterator[tuple[pl.DataFrame, int]]:
    """The kind's records of the batch (its columns, for a :class:`ColumnsBatch` that has
    them) as frames of at most ``chunk_size`` rows, each with the number of rows done after
    it; ``_row`` counts across chunks."""
    given = batch.columns.get(kind) if isinstance(batch, ColumnsBatch) else None
    records: Sequence[Any] = batch.records.get(kind) or []
    total = given.count if given is not None else len(records)
    for start in range(0, total, chunk_size):
        stop = start + chunk_size
        if given is not None:
            frame = columns_to_frame(
                kind, given if not start and stop >= total else given.slice(start, stop)
            )
        else:
            frame = records_to_frame(kind, records[start:stop])
        if start:
            frame = frame.with_columns(pl.col("_row") + start)
        yield frame, min(stop, total)


# --- writing -------------------------------------------------------------------------------------


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
        # Key -> primary key (and customer) of the rows this writer upserted, per table.
        self._written: dict[str, pl.DataFrame] = {}
        self._written_rows = 0
        self._deferred = DeferredIndexes()

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
                self._deferred.restore()
        finally:
            self._atomic.__exit__(exc_type, exc, traceback)
            self._deferred.restore_cache_size()

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
        validated = validate(kind, frame, file=file, column_names=names)
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
        fields = [name for name in CUSTOMER_FIELDS if name in supplied or name == "name"]
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
            for name in CUSTOMER_FIELDS if is_new else fields:
                setattr(customer, name, row[name])
            customer.save()
            CustomerReference.objects.create(
                customer=customer, source=self.source, external_id=row["external_id"]
            )
            refs[row["external_id"]] = customer.pk
            existing[customer.pk] = customer
            self.result.customer_ids.add(customer.pk)
            counts.created += 1
        self._maps.pop(CUSTOMER_REF.field, None)
        return counts

    def _customer_by_name(self, name: str) -> Customer | None:
        """The one existing customer with exactly this name (any case), if there is one.

        Exports name customers inconsistently (an id in one file, the name in another; the
        same company in two tools), so a new reference joins the customer of that name
        instead of creating a twin. Two customers of that name: no guess, a new one.
        """
        found = list(Customer.objects.filter(name__iexact=name.strip())[:2])
        return found[0] if len(found) == 1 else None

    def _ref_map(self, ref: Ref, keys: pl.Series | None = None) -> pl.DataFrame:
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
        written = self._written.get(ref.table) if ref.by_source else None
        if wanted is not None and written is not None:
            # Rows this writer has just inserted or changed need no round trip.
            known = written.filter(pl.col("key").is_in(wanted)).unique("key", keep="last")
            rest = sorted(set(wanted).difference(known["key"].to_list()))
            found = lookup_keys(ref, self.source, rest)
            return pl.concat([known.select(found.columns), found])
        frame = lookup_keys(ref, self.source, wanted)
        if wanted is None:
            self._maps[ref.field] = frame
        return frame

    def _remember_written(self, table: str, written: pl.DataFrame | None) -> None:
        if written is None or not written.height or self._written_rows < 0:
            return
        self._written_rows += written.height
        if self._written_rows > _KEEP_WRITTEN:  # a bulk load: it looks keys up in bulk
            self._written = {}
            self._written_rows = -1
            return
        known = self._written.get(table)
        self._written[table] = written if known is None else pl.concat([known, written])

    def _forget_maps(self, table: str) -> None:
        """Rows were written to ``table``: its cached keys are stale."""
        self._maps = {
            field: frame
            for field, frame in self._maps.items()
            if all(
                ref.table != table
                for spec in SPECS.values()
                for ref in spec.refs
                if ref.field == field
            )
        }

    def _create_missing_customers(self, frame: pl.DataFrame) -> pl.DataFrame | None:
        """Create the customers the chunk names but the store does not know; returns the
        chunk's customer keys when they were looked up for this chunk only (a narrow lookup,
        see _ref_map) and none had to be created, so that _resolve need not ask again."""
        known = self._ref_map(CUSTOMER_REF, frame["customer_ref"])
        missing = (
            frame.filter(pl.col("customer_ref").is_not_null())
            .group_by("customer_ref")
            .agg(pl.col("customer_name").drop_nulls().first())
            .join(known, left_on="customer_ref", right_on="key", how="anti")
            .sort("customer_ref")
        )
        if not missing.height:
            return None if CUSTOMER_REF.field in self._maps else known
        added: list[tuple[str, int]] = []
        for ref, name in missing.iter_rows():
            display = (name or ref).strip()[:200] or ref
            customer = self._customer_by_name(display)
            if customer is None:
                customer = Customer.objects.create(name=display)
                self._counts("customers").created += 1
            CustomerReference.objects.create(customer=customer, source=self.source, external_id=ref)
            added.append((ref, customer.pk))
        if CUSTOMER_REF.field in self._maps:
            self._maps[CUSTOMER_REF.field] = pl.concat(
                [known, pl.DataFrame(added, schema=known.schema, orient="row")]
            )
        return None

    def _resolve(
        self, kind: Kind, frame: pl.DataFrame, file: str, names: dict[str, str]
    ) -> pl.DataFrame:
        """Foreign keys for the chunk's refs (``fk:<column>``); unknown refs reject the row."""
        spec = SPECS[kind]
        customers: pl.DataFrame | None = None
        if self.create_missing_customers and any(ref is CUSTOMER_REF for ref in spec.refs):
            customers = self._create_missing_customers(frame)
        resolved = frame
        for ref in spec.refs:
            renamed = {"pk": f"fk:{ref.column}"}
            if ref.field == "ticket_ref":
                renamed["customer"] = "ticket:customer"
            if frame[ref.field].null_count() == frame.height:
                # No row names one (a ticket's optional contact, say): nothing to look up.
                resolved = resolved.with_columns(
                    pl.lit(None, dtype=pl.Int64).alias(name) for name in renamed.values()
                )
                continue
            if ref is CUSTOMER_REF and customers is not None:
                found = customers
            else:
                found = self._ref_map(ref, frame[ref.field])
            resolved = resolved.join(
                found.rename(renamed), left_on=ref.field, right_on="key", how="left"
            )
        if spec.customer_via_ticket:
            resolved = resolved.with_columns(
                pl.coalesce("fk:customer_id", "ticket:customer").alias("fk:customer_id")
            )
        problems: list[tuple[pl.Expr, Ref | None]] = [
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
        spec = SPECS[kind]
        if self.defer_indexes:
            self._deferred.defer(table_of(spec.model))
        # PostgreSQL's stage is made (or emptied) once per writer and kind, SQLite's per chunk;
        # either way it is empty right after create_stage.
        empty = kind not in self._staged or not is_postgres()
        if empty:
            create_stage(kind)
            self._staged.add(kind)
        resolved = self._resolve(kind, frame, file, names)
        rejected = frame.height - resolved.height
        staged = resolved.height
        if not staged:
            return KindCounts(rejected=rejected)
        fill_stage(kind, resolved, empty=empty)
        done = upsert(kind, self.source, staged, supplied)
        self._forget_maps(table_of(spec.model))
        self._remember_written(table_of(spec.model), done.written)
        self.result.customer_ids.update(done.customer_ids)
        return KindCounts(
            created=done.created, updated=done.updated, unchanged=done.unchanged, rejected=rejected
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
            supplied = batch.supplied_fields.get(kind)
            for frame, done in _frames(batch, kind, chunk_size):
                writer.write_frame(
                    kind,
                    frame,
                    supplied=None if supplied is None else _with_keys(kind, supplied),
                )
                if progress is not None:
                    progress(kind, done)
        if not (strict and writer.result.error_count):
            for kind_name, cursor in batch.cursors.items():
                writer.save_cursor(kind_name, cursor)
    return writer.result


def _with_keys(kind: Kind, supplied: frozenset[str]) -> set[str]:
    # Only the key is implied. Required references (and the customer) are always rewritten by
    # _write_chunk; an optional reference the source did not supply (a contract set by hand,
    # say) must survive a re-sync instead of being reset to NULL.
    return set(supplied) | {"external_id"}
