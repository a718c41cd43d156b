"""Write the generated demo frames into the store, fast.

The ORM builds one Python object per row; at millions of rows that is the whole run. Instead
every frame is converted column-wise with Polars into what the database driver takes and
written in bulk: ``COPY ... FROM STDIN`` on PostgreSQL, one prepared ``INSERT`` through
``executemany`` on SQLite. Frames are written in chunks so the text form of a million tickets
never exists at once.

Primary keys are assigned here (current maximum + the generator's local id) so foreign keys can
be written in the same pass; PostgreSQL's identity sequences are moved past them afterwards.
Call ``load_demo`` inside ``transaction.atomic()``: an interrupted load then leaves the store as
it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import polars as pl
from django.apps import apps
from django.db import connection, models

from solidground.common.bulk import insert_frame
from solidground.contracts.models import (
    BusinessCalendar,
    CalendarSpecialDay,
    CalendarWindow,
    CatalogueItem,
    Contract,
    ContractEvent,
    RevenueLine,
    SlaPolicy,
    SlaTarget,
)
from solidground.customers.models import Contact, Customer, CustomerReference
from solidground.demo.generator import DemoData
from solidground.service.models import Highlight, Interaction, Ticket, TicketStatusChange, TimeEntry
from solidground.surveys.models import SurveyAnswer

LoadProgress = Callable[[str, int, int], None]
CHUNK_ROWS = 100_000
# Tables receiving at least this many rows are loaded without their secondary indexes and
# (PostgreSQL) foreign keys, which are rebuilt afterwards in the same transaction.
BULK_ROWS = 20_000

# Apps whose tables hold the provider's data; users, sessions and the like are kept by --fresh.
DOMAIN_APPS: tuple[str, ...] = (
    "customers",
    "contracts",
    "service",
    "surveys",
    "insights",
    # Import runs and sync cursors describe data that --fresh removes; a cursor left behind
    # would make the next sync skip everything before it.
    "importers",
)
# Tables whose rows are unique by name: an existing row of the same name is reused (with its
# windows, special days or targets) instead of failing the load.
_NAMED: dict[str, tuple[str, ...]] = {
    "contracts.businesscalendar": ("contracts.calendarwindow", "contracts.calendarspecialday"),
    "contracts.slapolicy": ("contracts.slatarget",),
}
_PARENT_OF_CHILD: dict[str, tuple[str, str]] = {
    "contracts.calendarwindow": ("contracts.businesscalendar", "calendar_id"),
    "contracts.calendarspecialday": ("contracts.businesscalendar", "calendar_id"),
    "contracts.slatarget": ("contracts.slapolicy", "policy_id"),
}

# The models the generator writes, by the label its frames are keyed by ("customers.customer").
MODEL_OF: dict[str, type[models.Model]] = {
    model._meta.label_lower: model
    for model in (
        BusinessCalendar,
        CalendarWindow,
        CalendarSpecialDay,
        SlaPolicy,
        SlaTarget,
        Customer,
        CustomerReference,
        Contact,
        Contract,
        CatalogueItem,
        ContractEvent,
        RevenueLine,
        Ticket,
        TicketStatusChange,
        TimeEntry,
        Interaction,
        Highlight,
        SurveyAnswer,
    )
}

# A local id maps to a store id by an offset, or (for reused named rows) by an explicit table.
IdMap = int | dict[int, int]


def domain_models() -> list[type[models.Model]]:
    """The models ``--fresh`` empties: the domain apps, and anything that cascades from them.

    Read from the app registry on purpose, not imported: every model of these apps counts,
    including ones added later, and so does a model in any app (an upper floor's too, which
    this module must not import) whose rows cascade from them.
    """
    chosen: list[type[models.Model]] = [
        model for label in DOMAIN_APPS for model in apps.get_app_config(label).get_models()
    ]
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in chosen:
                continue
            for model_field in model._meta.concrete_fields:
                remote = model_field.remote_field
                if (
                    remote is not None
                    and remote.model in chosen
                    and getattr(remote, "on_delete", None) is models.CASCADE
                ):
                    chosen.append(model)
                    changed = True
                    break
    return chosen


def delete_domain_data() -> int:
    """Empty every domain table (users stay). Returns the number of customers removed.

    Raw statements, not ``QuerySet.delete()``: Django's collector would load millions of rows
    into Python to cascade. Must run inside the caller's transaction.
    """
    removed = Customer.objects.count()
    # Only tables that exist: a model whose migration has not been applied has no rows.
    existing = set(connection.introspection.table_names())
    tables = [model._meta.db_table for model in domain_models() if model._meta.db_table in existing]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE is transactional on PostgreSQL and far faster than DELETE. It refuses
            # tables with pending deferred foreign-key checks (rows written earlier in the same
            # transaction), so run those checks first, then defer again for the load.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(quote(table) for table in tables)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            # SQLite checks Django's foreign keys at commit (DEFERRABLE INITIALLY DEFERRED), so
            # the order of the deletes does not matter within the transaction.
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 (our table names)
    return removed


def load_demo(
    data: DemoData,
    *,
    progress: LoadProgress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, int]:
    """Insert every frame of ``data``; returns the rows written per model label.

    Must run inside ``transaction.atomic()``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("load_demo must run inside transaction.atomic()")
    report = progress or (lambda _stage, _done, _total: None)
    labels = list(data.frames)
    model_of = {label: MODEL_OF[label] for label in labels}
    _lock_tables([model_of[label] for label in labels])

    id_maps: dict[str, IdMap] = {}
    frames: dict[str, pl.DataFrame] = {}
    reused_parents: dict[str, set[int]] = {}
    for label in labels:
        model = model_of[label]
        frame = data.frames[label]
        if label in _PARENT_OF_CHILD:
            parent, column = _PARENT_OF_CHILD[label]
            skip = reused_parents.get(parent, set())
            if skip:
                frame = frame.filter(~pl.col(column).is_in(sorted(skip)))
        offset = _max_id(model)
        if label in _NAMED:
            existing = dict(
                model._default_manager.filter(name__in=frame["name"].to_list()).values_list(
                    "name", "pk"
                )
            )
            mapping: dict[int, int] = {}
            fresh_rows: list[int] = []
            for local_id, name in zip(frame["id"], frame["name"], strict=True):
                if name in existing:
                    mapping[local_id] = existing[name]
                else:
                    fresh_rows.append(local_id)
            for rank, local_id in enumerate(fresh_rows, start=1):
                mapping[local_id] = offset + rank
            reused_parents[label] = {i for i in mapping if i not in fresh_rows}
            frame = frame.filter(pl.col("id").is_in(fresh_rows))
            id_maps[label] = mapping
        else:
            id_maps[label] = offset
        frames[label] = frame

    big = [model_of[label]._meta.db_table for label in labels if frames[label].height >= BULK_ROWS]
    restore = _drop_secondary_structures(big)
    counts: dict[str, int] = {}
    for label in labels:
        model = model_of[label]
        frame = frames[label]
        ready = _ready(model, frame, id_maps)
        total = ready.height
        report(label, 0, total)
        for start in range(0, total, chunk_rows):
            chunk = ready.slice(start, chunk_rows)
            _write(model._meta.db_table, chunk)
            report(label, min(start + chunk_rows, total), total)
        counts[label] = total
    report("indexes and foreign keys", 0, len(restore))
    for done, statement in enumerate(restore, start=1):
        with connection.cursor() as cursor:
            cursor.execute(statement)
        report("indexes and foreign keys", done, len(restore))
    _reset_sequences([model_of[label] for label in labels])
    return counts


# --------------------------------------------------------------------------------------------
# Conversion of generator frames into driver-ready columns


def _ready(
    model: type[models.Model], frame: pl.DataFrame, id_maps: dict[str, IdMap]
) -> pl.DataFrame:
    """The frame with the model's columns in order, ids shifted, values in storage form.

    Generator conventions: decimals are integers scaled by 10**decimal_places (cents for
    money), instants are UTC datetimes, JSON is text, booleans are booleans.
    """
    postgres = connection.vendor == "postgresql"
    label = model._meta.label_lower
    expressions: list[pl.Expr] = []
    for model_field in model._meta.concrete_fields:
        column = str(model_field.column)
        kind = model_field.get_internal_type()
        if column not in frame.columns:
            expressions.append(_default(model_field, postgres).alias(column))
            continue
        value = pl.col(column)
        if model_field.primary_key:
            value = _mapped(value, id_maps[label])
        elif model_field.remote_field is not None:
            target = model_field.remote_field.model._meta.label_lower
            if target in id_maps:
                value = _mapped(value, id_maps[target])
        elif kind == "DecimalField":
            value = _decimal_text(value, int(model_field.decimal_places))  # type: ignore[attr-defined]
        elif kind == "DateTimeField":
            # Whole seconds; SQLite keeps naive UTC text exactly as Django's backend writes it.
            pattern = "%Y-%m-%d %H:%M:%S+00:00" if postgres else "%Y-%m-%d %H:%M:%S"
            value = value.dt.convert_time_zone("UTC").dt.strftime(pattern)
        elif kind == "DateField":
            value = value.dt.strftime("%Y-%m-%d")
        elif kind == "BooleanField" and not postgres:
            value = value.cast(pl.Int8)
        expressions.append(value.alias(column))
    return frame.select(expressions)


def _mapped(value: pl.Expr, id_map: IdMap) -> pl.Expr:
    if isinstance(id_map, int):
        return value + id_map
    return value.replace_strict(id_map, return_dtype=pl.Int64)


def _decimal_text(value: pl.Expr, places: int) -> pl.Expr:
    """Scaled integers to exact decimal text ("-12.50"): no float ever touches money."""
    scale = 10**places
    magnitude = value.abs()
    text = (magnitude // scale).cast(pl.String)
    if places:
        text = text + "." + (magnitude % scale).cast(pl.String).str.zfill(places)
    return pl.when(value < 0).then(pl.lit("-") + text).otherwise(text)


def _default(model_field: models.Field[Any, Any], postgres: bool) -> pl.Expr:
    value = model_field.get_default()
    if value is None:
        if not model_field.null:
            raise ValueError(
                f"The demo frame for {model_field.model._meta.label} lacks the required "
                f"column {model_field.column}."
            )
        return pl.lit(None)
    kind = model_field.get_internal_type()
    if kind == "JSONField":
        return pl.lit(json.dumps(value))
    if kind == "BooleanField":
        return pl.lit(value) if postgres else pl.lit(int(value))
    if isinstance(value, Decimal):
        return pl.lit(str(value))
    return pl.lit(value)


# --------------------------------------------------------------------------------------------
# Database access


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _lock_tables(model_list: Sequence[type[models.Model]]) -> None:
    """Keep other writers out while ids are assigned from the current maxima (PostgreSQL).

    SQLite needs nothing: Django opens its transactions IMMEDIATE (settings), which already
    holds the only write lock.
    """
    if connection.vendor != "postgresql":
        return
    tables = _quoted(model._meta.db_table for model in model_list)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def _drop_secondary_structures(tables: Sequence[str]) -> list[str]:
    """Drop secondary indexes (and on PostgreSQL foreign keys) of ``tables`` for the load.

    Returns the statements that recreate them, to run after the rows are in. Building an index
    once over sorted data beats updating it a row at a time, and on PostgreSQL each row of a
    table with (deferred) foreign keys queues a trigger that checks its parent one row at a
    time at commit; re-adding the constraint checks all rows in one join instead (the recipe
    of the PostgreSQL manual, "Populating a Database"). Unique indexes and constraints are
    rebuilt too, which checks them over all rows; primary keys and check constraints stay. DDL
    is transactional on both databases, so a failed load restores them too.
    """
    restore: list[str] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
                    [quote(table)],
                )
                for name, kind, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    statement = (
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
                    # Unique constraints (built by sorting, like an index) before foreign keys.
                    if kind == "u":
                        restore.insert(0, statement)
                    else:
                        restore.append(statement)
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [quote(table)],
                )
            else:
                # Indexes SQLite made for inline constraints have no SQL and stay.
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {quote(name)}")
                # Indexes first: the foreign keys' validation then finds them in place.
                restore.insert(0, definition)
    return restore


def _max_id(model: type[models.Model]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(str(model._meta.pk.column))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _write(table: str, chunk: pl.DataFrame) -> None:
    # One bulk path for the whole product (COPY on PostgreSQL, executemany on SQLite); kept
    # as a seam so tests can make a load fail midway.
    insert_frame(table, chunk)


def _reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    """Move PostgreSQL's identity sequences past the ids written here.

    SQLite's AUTOINCREMENT bookkeeping (sqlite_sequence) follows explicit ids by itself.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_list:
            quoted = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(str(model._meta.pk.column))
            highest = f"SELECT MAX({pk}) FROM {quoted}"  # noqa: S608 (our table names)
            # is_called = false on an empty table, so the next id is 1 and not 2.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(({highest}), 1), "
                f"({highest}) IS NOT NULL)",
                [quoted, str(model._meta.pk.column)],
            )


def sqlite_bulk_pragmas() -> Callable[[], None]:
    """Give SQLite a large page cache for the load, so index pages stay in memory.

    Returns a function that restores the previous value. Durability settings (journal mode,
    synchronous) stay as configured: the load must survive a crash like any other write. The
    cache size is the one setting SQLite lets a connection change inside a transaction.
    """
    if connection.vendor != "sqlite":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_row = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
    previous_cache = int(cache_row[0]) if cache_row else -2000

    def restore() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous_cache}")

    return restore
