"""Replace a result table's rows with new ones, writing only the rows that changed.

A full re-analysis finds most results unchanged: closed tickets keep their SLA verdict, past
months keep their figures. Deleting and inserting a million SLA rows and 150,000 customer
periods cost most of the storing time (on PostgreSQL the deferred foreign-key check of each
inserted row alone took 10 s). So the stored rows are read with the analysis's other reads,
compared with the new rows in a form both databases round-trip exactly, and only rows that
differ are deleted and inserted. Above half changed rows the table is rewritten instead.

A stored row counts as unchanged only if every column equals what would be written now:
money as the double the database returns for its decimal, instants as UTC text on SQLite and
as microseconds on PostgreSQL, other numbers to 12 significant digits. Polars may add a
group's floats in a different order from one run to the next (multi-threaded aggregation),
which changes the last bit of a sum; such a row is the same result and is kept. A false
"changed" only costs a rewrite of that row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection, models

from solidground.common.bulk import id_chunks, insert_frame, sqlite_datetime_text
from solidground.insights.fetch import Query, Schema, float_sql

# Above this share of changed rows, rewriting the whole table is cheaper than picking rows.
REWRITE_SHARE = 0.5
# Floats are compared to this many significant digits (a double holds 15 to 17).
_DIGITS = 12

_INTEGERS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallAutoField",
    "SmallIntegerField",
    "ForeignKey",
    "OneToOneField",
}


@dataclass(frozen=True)
class ResultTable:
    """A result model whose rows are replaced as a whole.

    Rows are matched on every written column, so no key is needed: a stored row that is not
    among the new rows is deleted, a new row that is not among the stored ones is inserted.
    """

    model: type[models.Model]

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)

    @property
    def fields(self) -> list[models.Field[Any, Any]]:
        """The written columns: every concrete field except an automatic primary key."""
        return [
            field
            for field in self.model._meta.concrete_fields
            if not (field.primary_key and field.get_internal_type().endswith("AutoField"))
        ]

    @property
    def kinds(self) -> dict[str, str]:
        """Each written column and its Django field type (``DateTimeField``, ...)."""
        return {str(field.column): field.get_internal_type() for field in self.fields}

    @property
    def columns(self) -> list[str]:
        return list(self.kinds)

    @property
    def row_id(self) -> str:
        """The column that deletes one row: the primary key."""
        return str(self.model._meta.pk.column)

    def stored_query(self) -> Query:
        """Every stored row in comparable form (see :func:`comparable`), with its primary key."""
        expressions = []
        schema: Schema = {}
        pk = self.row_id
        if pk not in self.columns:
            expressions.append(connection.ops.quote_name(pk))
            schema["_row_id"] = pl.Int64()
        for name, kind in self.kinds.items():
            column = connection.ops.quote_name(name)
            if kind == "DateTimeField":
                if connection.vendor == "postgresql":
                    # Microseconds since 1970: exact, a double holds them to well under 0.5 us.
                    expressions.append(f"ROUND(date_part('epoch', {column}) * 1000000)::bigint")
                    schema[name] = pl.Int64()
                else:
                    expressions.append(column)  # Django's UTC text
                    schema[name] = pl.String()
            elif kind == "DateField":
                expressions.append(f"CAST({column} AS TEXT)")
                schema[name] = pl.String()
            elif kind == "DecimalField":
                expressions.append(float_sql(column))
                schema[name] = pl.Float64()
            else:
                expressions.append(column)
                schema[name] = _dtype(kind)
        table = connection.ops.quote_name(self.table)
        return Query(f"SELECT {', '.join(expressions)} FROM {table}", [], schema, self.table)  # noqa: S608


def _dtype(kind: str) -> pl.DataType:
    if kind in _INTEGERS:
        return pl.Int64()
    if kind == "FloatField":
        return pl.Float64()
    if kind in {"BooleanField", "NullBooleanField"}:
        return pl.Boolean()
    if kind in {"CharField", "TextField", "SlugField", "EmailField", "URLField"}:
        return pl.String()
    raise TypeError(f"store.py cannot compare a {kind} column; add it to ResultTable")


def written_rows(spec: ResultTable, rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` as they are written: the table's columns, NaN as NULL (no data)."""
    return rows.select(spec.columns).with_columns(
        pl.col(name).fill_nan(None)
        for name, dtype in rows.select(spec.columns).schema.items()
        if dtype.is_float()
    )


def comparable(spec: ResultTable, rows: pl.DataFrame) -> pl.DataFrame:
    """Written rows in the form :meth:`ResultTable.stored_query` reads stored rows in."""
    conversions = []
    for name, kind in spec.kinds.items():
        column = pl.col(name)
        if kind == "DateTimeField":
            if connection.vendor == "postgresql":
                conversions.append(column.dt.convert_time_zone("UTC").dt.epoch("us").alias(name))
            else:
                dtype = rows.schema[name]
                assert isinstance(dtype, pl.Datetime)
                conversions.append(sqlite_datetime_text(name, dtype))
        elif kind == "DateField":
            conversions.append(column.dt.strftime("%Y-%m-%d").alias(name))
        elif kind == "DecimalField":
            conversions.append(column.cast(pl.Float64).alias(name))
        else:
            conversions.append(column.cast(_dtype(kind)).alias(name))
    return _rounded(rows.with_columns(conversions))


def _rounded(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(name).round_sig_figs(_DIGITS)
        for name, dtype in frame.schema.items()
        if dtype.is_float()
    )


def _delete_all(spec: ResultTable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(spec.table)}")  # noqa: S608


def _delete_ids(spec: ResultTable, ids: Sequence[int]) -> None:
    table = connection.ops.quote_name(spec.table)
    pk = connection.ops.quote_name(spec.row_id)
    with connection.cursor() as cursor:
        for chunk in id_chunks(ids):
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({placeholders})", chunk)  # noqa: S608


def replace_rows(
    spec: ResultTable, rows: pl.DataFrame | None, stored: pl.DataFrame | None
) -> dict[str, int]:
    """Make the table hold exactly ``rows`` (None: no rows), given its ``stored`` rows
    (None: unknown).

    The caller holds the write lock and makes sure ``stored`` is what the table holds (read
    under the lock, or read earlier with no other writer since). Returns the rows deleted and
    inserted (-1 deleted: every row, count unknown).
    """
    if rows is None or rows.height == 0:
        _delete_all(spec)
        return {"deleted": -1 if stored is None else stored.height, "inserted": 0}
    rows = written_rows(spec, rows)
    if stored is None:
        _delete_all(spec)
        return {"deleted": -1, "inserted": insert_frame(spec.table, rows)}
    if stored.height == 0:
        return {"deleted": 0, "inserted": insert_frame(spec.table, rows)}
    new = comparable(spec, rows)
    stored = _rounded(stored)
    values = spec.columns
    changed = new.with_row_index("_new").join(
        stored.select(values), on=values, how="anti", nulls_equal=True
    )
    row_id = spec.row_id if spec.row_id in values else "_row_id"
    # Stored rows that are not among the new rows: replaced (same key) or gone (key gone).
    stale = stored.join(new.select(values), on=values, how="anti", nulls_equal=True)
    if changed.height + stale.height > REWRITE_SHARE * stored.height:
        _delete_all(spec)
        return {"deleted": stored.height, "inserted": insert_frame(spec.table, rows)}
    _delete_ids(spec, stale[row_id].to_list())
    inserted = insert_frame(spec.table, rows[changed["_new"]])
    return {"deleted": stale.height, "inserted": inserted}
