"""How the analysis runs its reads: a ``Query`` (SQL, parameters, schema) becomes a Polars frame.

Three readers read the same frames (tests/insights/test_readers.py checks it):
``django_reader`` through Django's connection (sees the current transaction),
``SqliteProcessReader`` in child processes with the ADBC driver, and ``ConnectorxReader`` for
PostgreSQL; ``default_reader`` chooses. The queries themselves are in ``insights.fetch``,
which re-exports these names.
"""

# The readers wrap a query's SQL and name tables and columns they built themselves; every value
# is a bound parameter (as for fetch.py in pyproject.toml's per-file ignores).
# ruff: noqa: S608

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import quote

import polars as pl
from django.db import connection

Schema = dict[str, pl.DataType]


class Reader(Protocol):
    """Runs a query and returns its rows as a frame with ``schema`` (names in column order)."""

    def __call__(self, sql: str, params: Sequence[int], schema: Schema) -> pl.DataFrame: ...


def _typed(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Rename the columns to ``schema``'s names and cast to its types (0/1 read as booleans)."""
    frame = frame.rename(dict(zip(frame.columns, schema, strict=True)))
    return frame.with_columns(
        (pl.col(name) != 0).alias(name)
        if dtype == pl.Boolean() and frame.schema[name] != pl.Boolean()
        else pl.col(name).cast(dtype)
        for name, dtype in schema.items()
    )


def django_reader(sql: str, params: Sequence[int], schema: Schema) -> pl.DataFrame:
    """Read through Django's connection: sees the current transaction (tests, imports).

    Rows never become Python objects: at a million tickets and millions of time entries and
    status changes, fetchall() and building a frame from tuples took most of the analysis
    (measured: 146 s of 160 s on SQLite). PostgreSQL streams the result as CSV through
    ``COPY ... TO STDOUT``; SQLite renders it as one CSV text with ``group_concat`` and
    ``quote()`` (SQL quoting is CSV quoting with ' as the quote character). Polars parses the
    text in Rust either way.
    """
    names = list(schema)
    read_schema = {
        name: (pl.String() if dtype == pl.Boolean() else dtype) for name, dtype in schema.items()
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's cursor under Django's wrapper
            buffer = bytearray()
            with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
                for block in copy:
                    buffer += block
        text = bytes(buffer)
        quote_char = '"'
    else:
        columns = ", ".join(f"c{i}" for i in range(len(names)))
        row = " || ',' || ".join(f"quote(c{i})" for i in range(len(names)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH q({columns}) AS ({sql}) SELECT group_concat({row}, char(10)) FROM q",
                params,
            )
            result = cursor.fetchone()
        text = (result[0] or "").encode() if result else b""
        quote_char = "'"
    if not text:
        return pl.DataFrame(schema=schema)
    frame = pl.read_csv(
        text,
        has_header=False,
        new_columns=names,
        schema=read_schema,
        quote_char=quote_char,
        null_values="NULL" if quote_char == "'" else None,
    )
    booleans = [name for name, dtype in schema.items() if dtype == pl.Boolean()]
    return frame.with_columns(
        pl.when(pl.col(name).is_null())
        .then(None)
        .otherwise(pl.col(name).is_in(["t", "1", "true"]))
        .alias(name)
        for name in booleans
    )


@dataclass(frozen=True)
class Query:
    """One read: SQL in Django's paramstyle (``%s``, ``%%``), its parameters, the result's
    schema, and the table it mostly reads (to estimate its cost when reads run in parallel)."""

    sql: str
    params: Sequence[int]
    schema: Schema
    table: str | None = None


def read_all(reader: Reader, queries: Mapping[str, Query]) -> dict[str, pl.DataFrame]:
    """Run every query; readers that can run several at once (``read_many``) do so."""
    many = getattr(reader, "read_many", None)
    if callable(many):
        return cast("dict[str, pl.DataFrame]", many(queries))
    return {name: reader(q.sql, q.params, q.schema) for name, q in queries.items()}


def _postgres_rows(tables: set[str]) -> dict[str, int]:
    """Roughly how many rows each table holds, from PostgreSQL's statistics (no scan)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, GREATEST(reltuples, 0)::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relname = ANY(%s) AND pg_table_is_visible(oid)",
            [sorted(tables)],
        )
        return {str(name): int(rows) for name, rows in cursor.fetchall()}


def _sqlite_rows(database: str) -> Callable[[set[str]], dict[str, int]]:
    """How many rows each table of the SQLite file holds (counted from its b-tree pages: a few
    milliseconds for millions of rows), through Python's own SQLite library."""

    def count(tables: set[str]) -> dict[str, int]:
        counts = {}
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as store:
            for table in tables:
                try:
                    row = store.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
                except sqlite3.Error:
                    continue  # the query will say what is wrong
                counts[table] = int(row[0])
        return counts

    return count


def _balanced(
    queries: Mapping[str, Query],
    workers: int,
    count_rows: Callable[[set[str]], dict[str, int]],
) -> list[list[str]]:
    """Split the queries into ``workers`` groups of about equal cost (rows x columns),
    longest first onto the least loaded group."""
    rows = count_rows({q.table for q in queries.values() if q.table is not None})
    costs = {
        name: max(rows.get(q.table or "", 1), 1) * len(q.schema) for name, q in queries.items()
    }
    groups: list[list[str]] = [[] for _ in range(max(1, min(workers, len(queries))))]
    loads = [0] * len(groups)
    for name in sorted(costs, key=lambda n: -costs[n]):
        least = loads.index(min(loads))
        groups[least].append(name)
        loads[least] += costs[name]
    return [group for group in groups if group]


def parallel_reads() -> int:
    """How many reads run at once: the cores this process may use, at most four."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _sentinel(dtype: pl.DataType) -> str:
    if dtype == pl.String():
        return "''"
    if dtype == pl.Float64():
        return "0.5"
    return "0"


_PARAMSTYLE = re.compile(r"%([%s])")


class SqliteProcessReader:
    """Read a SQLite store in child processes with the ADBC driver, straight into Arrow.

    Several times faster than :func:`django_reader` on millions of rows, and the queries of
    :meth:`read_many` run in parallel (one child per group, each inside one read transaction).
    The children see only committed data, so this reader is used only outside a transaction
    (see :func:`default_reader`). Why child processes: see ``sqlite_child.py``.
    """

    def __init__(self, database: str, workers: int | None = None) -> None:
        self.database = database
        self.workers = workers or parallel_reads()

    def __call__(self, sql: str, params: Sequence[int], schema: Schema) -> pl.DataFrame:
        return self.read_many({"result": Query(sql, params, schema)})["result"]

    def read_many(self, queries: Mapping[str, Query]) -> dict[str, pl.DataFrame]:
        if not queries:
            return {}
        with tempfile.TemporaryDirectory(prefix="solidground-read-") as folder:
            children = []
            for group in _balanced(queries, self.workers, _sqlite_rows(self.database)):
                request = {
                    "database": self.database,
                    "queries": [
                        {
                            "sql": self._child_sql(queries[name]),
                            "params": list(queries[name].params),
                            "out": str(Path(folder) / f"{name}.arrow"),
                        }
                        for name in group
                    ],
                }
                child = subprocess.Popen(
                    [sys.executable, "-m", "solidground.insights.sqlite_child"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                children.append((child, group, json.dumps(request).encode()))
            try:
                # Every child gets its request before any is waited for: they read in parallel.
                for child, _group, request_bytes in children:
                    assert child.stdin is not None
                    child.stdin.write(request_bytes)
                    child.stdin.close()
                failures = []
                for child, group, _request in children:
                    assert child.stderr is not None
                    with child.stderr:
                        error = child.stderr.read().decode(errors="replace").strip()
                    if child.wait() != 0:
                        reason = error or f"exit status {child.returncode}"
                        failures.append(f"{', '.join(group)}: {reason}")
            finally:
                for child, _group, _request in children:
                    if child.poll() is None:  # interrupted: leave no reader behind
                        child.kill()
                        child.wait()
            if failures:
                raise RuntimeError(
                    f"Reading the SQLite store {self.database} failed ({'; '.join(failures)})."
                )
            return {
                name: self._result(Path(folder) / f"{name}.arrow", query.schema)
                for name, query in queries.items()
            }

    @staticmethod
    def _child_sql(query: Query) -> str:
        # The ADBC driver types each column by the first rows it sees and fails when a later
        # row differs (NULL first, text later): a first row of typed placeholders (r_ = 0) is
        # read, then dropped.
        sql = _PARAMSTYLE.sub(lambda m: "%" if m.group(1) == "%" else "?", query.sql)
        columns = [f"c{i}" for i in range(len(query.schema))]
        placeholders = ", ".join(
            f"{_sentinel(dtype)} AS {column}"
            for column, dtype in zip(columns, query.schema.values(), strict=True)
        )
        listed = ", ".join(columns)
        return (
            f"WITH q({listed}) AS ({sql}) "
            f"SELECT 0 AS r_, {placeholders} UNION ALL SELECT 1, {listed} FROM q"
        )

    @staticmethod
    def _result(path: Path, schema: Schema) -> pl.DataFrame:
        # One chunk per column: the driver hands over thousands of small batches, and Polars
        # works on a frame of many chunks many times slower (measured: figures 98 s, not 6 s).
        frame = pl.read_ipc(path).filter(pl.col("r_") == 1).drop("r_").rechunk()
        if frame.height == 0:
            return pl.DataFrame(schema=schema)
        return _typed(frame, schema)


def sqlite_store_path() -> str | None:
    """The file of Django's SQLite database, or None for an in-memory one."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or not Path(name).is_file():
        return None
    return name


class ConnectorxReader:
    """Read PostgreSQL through connectorx on its own connections, straight into Arrow (no CSV,
    no Python rows): several times faster than :func:`django_reader` on millions of rows.

    It sees only committed data, so it is used only outside a transaction (see
    :func:`default_reader`). connectorx binds no parameters: filtered reads go through Django.
    :meth:`read_many` runs the queries in parallel threads (connectorx releases the GIL).
    """

    def __init__(self, uri: str, workers: int | None = None) -> None:
        self.uri = uri
        self.workers = workers or parallel_reads()

    def __call__(self, sql: str, params: Sequence[int], schema: Schema) -> pl.DataFrame:
        if params:
            raise ValueError("connectorx binds no parameters; read filtered rows via Django")
        # Queries are written for the driver's paramstyle, where % is doubled.
        sql = sql.replace("%%", "%")
        columns = [f"c{i}" for i in range(len(schema))]
        listed = ", ".join(columns)
        query = f"WITH q({listed}) AS ({sql}) SELECT {listed} FROM q"
        frame = pl.read_database_uri(query, self.uri, engine="connectorx")
        if frame.height == 0:
            return pl.DataFrame(schema=schema)
        return _typed(frame, schema)

    def read_many(self, queries: Mapping[str, Query]) -> dict[str, pl.DataFrame]:
        groups = _balanced(queries, self.workers, _postgres_rows)

        def run(group: list[str]) -> dict[str, pl.DataFrame]:
            return {
                name: self(queries[name].sql, queries[name].params, queries[name].schema)
                for name in group
            }

        results: dict[str, pl.DataFrame] = {}
        with ThreadPoolExecutor(max_workers=len(groups) or 1) as pool:
            for part in pool.map(run, groups):
                results.update(part)
        return {name: results[name] for name in queries}


def connectorx_uri() -> str | None:
    """The connectorx URI of Django's PostgreSQL database, or None where connectorx is not
    used (SQLite: see :class:`SqliteProcessReader`) or cannot reach it."""
    config = connection.settings_dict
    if connection.vendor != "postgresql":
        return None
    host = str(config.get("HOST") or "")
    if not host or host.startswith("/") or config.get("OPTIONS"):
        # Unix sockets and extra connection options (SSL, service files): Django's
        # connection knows how to reach those; keep to it rather than guess.
        return None
    name = str(config.get("NAME") or "")
    user = quote(str(config.get("USER") or ""), safe="")
    password = quote(str(config.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(name, safe='')}"


def default_reader(customer_ids: Sequence[int] | None) -> Reader:
    """A fast reader for whole-store reads outside a transaction; Django's connection otherwise.

    Whole store, outside a transaction: SQLite is read by :class:`SqliteProcessReader`,
    PostgreSQL by :class:`ConnectorxReader` (when connectorx can reach it). Inside
    ``transaction.atomic()`` (an import that re-analyses before committing, every test on
    PostgreSQL) only Django's connection sees the uncommitted rows. A few customers' rows are
    read quickly either way, through the indexes.
    """
    if customer_ids is not None or connection.in_atomic_block:
        return django_reader
    database = sqlite_store_path()
    if database is not None:
        return SqliteProcessReader(database)
    uri = connectorx_uri()
    return ConnectorxReader(uri) if uri else django_reader
