"""The writer's SQL, per database: the stage tables, key lookups, the upsert, bulk-load indexes.

Everything that differs between SQLite and PostgreSQL in writing an import lives here (the
admin and the analysis reads have their own, smaller, vendor branches: ``insights/fetch.py``).
The stage is a temporary table per kind, filled with PostgreSQL's ``COPY`` or SQLite's
``executemany``; the upsert is one ``INSERT ... SELECT ... ON CONFLICT (source, external_id) DO
UPDATE ... WHERE (stored columns) IS DISTINCT FROM (new columns) RETURNING ...`` per chunk.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import connection

from solidground.importers.kinds import CUSTOMER_REF, SPECS, Ref, table_of, value_fields
from solidground.importers.records import MODEL_FIELD_NAMES, Kind, frame_schema


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


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


def stage_name(kind: Kind) -> str:
    return f"sg_stage_{kind}"


def stage_schema(kind: Kind) -> dict[str, pl.DataType]:
    """The stage's columns: the record's fields and the resolved foreign keys."""
    schema = dict(frame_schema(kind))
    if kind != "customers":
        for ref in SPECS[kind].refs:
            schema[f"fk:{ref.column}"] = pl.Int64()
    return schema


def create_stage(kind: Kind) -> None:
    """The kind's stage, empty.

    PostgreSQL: a temporary table kept for the connection's life (Django keeps connections
    for a minute) and emptied by every commit (``ON COMMIT DELETE ROWS``), so a request does
    not create and drop it, with its catalogue rows, each time. It may still hold rows of
    another writer in the same open transaction: the ``DELETE`` in the same round trip empties
    it (cheap on the empty table a commit leaves). SQLite: created afresh.
    """
    schema = stage_schema(kind)
    stage = stage_name(kind)
    with connection.cursor() as cursor:
        if is_postgres():
            columns = ", ".join(f"{quote(n)} {_sql_type(t)}" for n, t in schema.items())
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} (_row bigint, {columns}) "  # noqa: S608
                f"ON COMMIT DELETE ROWS; DELETE FROM {stage}"
            )
        else:
            # No declared types: values keep the form Django would store (text instants in
            # UTC, decimals as text); the target table's affinity converts them the same way.
            columns = ", ".join(quote(n) for n in schema)
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


def fill_stage(kind: Kind, frame: pl.DataFrame, *, empty: bool = False) -> None:
    """Put ``frame`` into the kind's stage, replacing what it held; ``empty``: the stage is
    known to be empty (``create_stage`` just ran), which saves a statement."""
    names = ["_row", *stage_schema(kind)]
    staged = frame.select(names)
    stage = stage_name(kind)
    with connection.cursor() as cursor:
        if is_postgres():
            if not empty:
                cursor.execute(f"TRUNCATE {stage}")
            data = staged.write_csv(
                include_header=False,
                null_value="\\N",
                datetime_format="%Y-%m-%dT%H:%M:%S%.6f%z",
            )
            column_list = ", ".join(quote(n) for n in names)
            raw = cursor.cursor
            with raw.copy(
                f"COPY {stage} ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            ) as copy:
                copy.write(data.encode("utf-8"))
        else:
            if not empty:
                cursor.execute(f"DELETE FROM temp.{stage}")  # noqa: S608
            placeholders = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO temp.{stage} VALUES ({placeholders})",  # noqa: S608
                _sqlite_values(staged).rows(),
            )


def lookup_keys(ref: Ref, source: str, wanted: list[str] | None) -> pl.DataFrame:
    """``key`` -> ``pk`` (and a ticket's ``customer``) of the table ``ref`` points to, for the
    ``wanted`` keys only, or for all keys of the source when ``wanted`` is None.

    On PostgreSQL each wanted key is looked up on its own (a ``LATERAL`` subquery over the
    list): one probe of the (source, key) index per key, whatever the planner knows of the
    table. Asked as ``key = ANY(...)`` or as a join, a table that was never analysed (a first
    sync into a new store, before autovacuum's first look) was read by a plan that went through
    every row of the source for each request: 15 ms a request at 100,000 tickets, growing with
    the table.
    """
    schema: dict[str, pl.DataType] = {"key": pl.String(), "pk": pl.Int64()}
    columns = [quote(ref.key), quote(ref.value)]
    if ref.field == "ticket_ref":
        schema["customer"] = pl.Int64()
        columns.append("customer_id")
    if wanted is not None and not wanted:
        return pl.DataFrame(schema=schema)  # the chunk names no key: nothing to ask
    table = quote(ref.table)
    conditions: list[str] = []
    params: list[Any] = []
    if ref.by_source:
        conditions.append(f"source = %s AND {quote(ref.key)} IS NOT NULL")
        params.append(source)
    if wanted is not None and is_postgres():
        conditions.append(f"{quote(ref.key)} = w.key")
        sql = (
            f"SELECT t.* FROM unnest(%s::text[]) AS w(key) CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT {', '.join(columns)} FROM {table} "
            f"WHERE {' AND '.join(conditions)} LIMIT 1) t"
        )
        params.insert(0, wanted)
    else:
        if wanted is not None:
            conditions.append(f"{quote(ref.key)} IN ({', '.join(['%s'] * len(wanted))})")
            params.extend(wanted)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"SELECT {', '.join(columns)} FROM {table}{where}"  # noqa: S608
    parts: list[pl.DataFrame] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # In batches: a million Python tuples at once would cost far more than the frame.
        while rows := cursor.fetchmany(100_000):
            parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return (pl.concat(parts) if parts else pl.DataFrame(schema=schema)).unique("key", keep="first")


@dataclass
class Upserted:
    """What one upsert did: the rows it inserted, and those it changed."""

    created: int
    updated: int
    unchanged: int
    customer_ids: list[int]
    # ``key`` (external id) -> ``pk`` (and ``customer`` for a table that has one) of the rows
    # it inserted or changed: what a later lookup of these keys in the same import would find.
    written: pl.DataFrame | None = None


def upsert(kind: Kind, source: str, staged: int, supplied: Collection[str]) -> Upserted:
    """Write the ``staged`` rows of the kind's stage into its table; count what happened.

    Only the ``supplied`` fields are updated on existing rows (with the required references
    and the customer, which every chunk resolves); a row identical in those is "unchanged".
    Created rows: PostgreSQL's ``xmax = 0`` of the returned rows; SQLite: staged rows minus
    those an ``EXISTS`` probe finds before the write.
    """
    spec = SPECS[kind]
    table = quote(table_of(spec.model))
    stage = stage_name(kind)
    ref_values = {ref.column: f"s.{quote('fk:' + ref.column)}" for ref in spec.refs}
    fields = value_fields(kind)
    columns = [MODEL_FIELD_NAMES.get(name, name) for name in fields]
    select = [f"s.{quote(name)}" for name in fields]
    updatable = [MODEL_FIELD_NAMES.get(name, name) for name in fields if name in supplied] + [
        ref.column
        for ref in spec.refs
        if ref.field in supplied or ref.required or ref is CUSTOMER_REF
    ]
    all_columns = ["source", "external_id", *columns, *ref_values]
    set_clause = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updatable)
    stored = ", ".join(f"{table}.{quote(c)}" for c in updatable)
    incoming = ", ".join(f"excluded.{quote(c)}" for c in updatable)
    distinct = "IS DISTINCT FROM" if is_postgres() else "IS NOT"
    returning = "external_id, id, customer_id" if spec.returns_customer else "external_id, id"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in all_columns)}) "  # noqa: S608
        f"SELECT %s, s.external_id, {', '.join([*select, *ref_values.values()])} "
        f"FROM {stage} s WHERE true "
        f"ON CONFLICT (source, external_id) DO UPDATE SET {set_clause} "
        f"WHERE ({stored}) {distinct} ({incoming}) "
        # PostgreSQL tells inserted from updated rows: a new row version has xmax 0.
        f"RETURNING {returning}{', (xmax = 0)' if is_postgres() else ''}"
    )
    schema: dict[str, pl.DataType] = {"key": pl.String(), "pk": pl.Int64()}
    if spec.returns_customer:
        schema["customer"] = pl.Int64()
    with connection.cursor() as cursor:
        if not is_postgres():
            # EXISTS keeps the stage as the outer loop; a plain JOIN lets SQLite's
            # planner scan the whole target table for every chunk.
            cursor.execute(
                f"SELECT count(*) FROM {stage} s WHERE EXISTS (SELECT 1 FROM {table} t "  # noqa: S608
                "WHERE t.source = %s AND t.external_id = s.external_id)",
                [source],
            )
            counted = cursor.fetchone()
            existing = int(counted[0]) if counted else 0
        cursor.execute(sql, [source])
        returned = cursor.fetchall()
    if is_postgres():
        created = sum(1 for row in returned if row[-1])
        existing = staged - created
        rows = [row[:-1] for row in returned]
    else:
        created = staged - existing
        rows = returned
    updated = len(returned) - created
    written = pl.DataFrame(rows, schema=schema, orient="row")
    return Upserted(
        created=created,
        updated=updated,
        unchanged=existing - updated,
        customer_ids=written["customer"].to_list() if spec.returns_customer else [],
        written=written,
    )


@dataclass
class DeferredIndexes:
    """A bulk load's dropped secondary indexes (and PostgreSQL foreign keys), rebuilt once."""

    _tables: set[str] = field(default_factory=set)
    _indexes: list[tuple[str, str]] = field(default_factory=list)
    _constraints: list[str] = field(default_factory=list)
    _cache_size: int | None = None

    def defer(self, table: str) -> None:
        """Drop the table's plain (non-unique) indexes until the end of the import.

        Keeping six secondary indexes up to date row by row costs SQLite and PostgreSQL far
        more than building them once from the loaded rows. The drop is part of the import's
        transaction: an interrupted import rolls it back with everything else. The unique
        (source, external_id) index stays, because the upsert needs it. On PostgreSQL the
        table's foreign keys are dropped and added back the same way (adding one checks every
        row in a single join). The drop locks the table against readers until the import
        commits, so it is for bulk loads.
        """
        if table in self._tables:
            return
        self._tables.add(table)
        with connection.cursor() as cursor:
            if is_postgres():
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
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    self._constraints.append(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
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
                cursor.execute(f"DROP INDEX {quote(name)}")
        self._indexes.extend(found)

    def restore(self) -> None:
        if not self._indexes and not self._constraints:
            return
        with connection.cursor() as cursor:
            if is_postgres():
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; PostgreSQL builds
                # no index on a table with pending checks (other tables' rows written by this
                # import), so run those checks now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, definition in self._indexes:
                cursor.execute(definition)
            for statement in self._constraints:
                cursor.execute(statement)
        self._indexes = []
        self._constraints = []

    def restore_cache_size(self) -> None:
        if self._cache_size is not None and not is_postgres():
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")
            self._cache_size = None
