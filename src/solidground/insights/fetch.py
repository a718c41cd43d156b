"""Selectors that read the domain tables as columnar frames for the engine.

Instants are read as whole epoch seconds in SQL (the SLA clock's precision is seconds) so both
databases hand back plain integers: no per-row datetime objects, no driver time-zone handling.
"""

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
from datetime import date
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import quote

import polars as pl
from django.db import connection

from solidground.common.bulk import id_chunks
from solidground.contracts.models import BusinessCalendar as CalendarModel
from solidground.contracts.models import SlaPolicy as PolicyModel
from solidground.engine.calendar import BusinessCalendar
from solidground.engine.periods import hhmm
from solidground.engine.sla import SlaPolicy


def epoch_seconds_sql(column: str) -> str:
    """SQL for a datetime column as whole seconds since 1970 (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        # date_part() is double precision; EXTRACT() is numeric since PostgreSQL 14 and several
        # times slower over millions of rows. Flooring the double is exact: at today's epochs
        # a double resolves 2.4e-7 s, finer than the microseconds stored.
        return f"FLOOR(date_part('epoch', {column}))::bigint"
    # SQLite stores Django datetimes as UTC text. unixepoch() (SQLite 3.38+) reads it as UTC
    # a third faster than strftime('%s'), which older libraries fall back to. The percent sign
    # is doubled because queries always go through the driver with a parameter list. (The
    # ADBC driver of SqliteProcessReader brings a newer SQLite than this check sees.)
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({column})"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def float_sql(column: str) -> str:
    """SQL for a decimal column as a double (PostgreSQL's REAL is only single precision)."""
    kind = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    return f"CAST({column} AS {kind})"


def _customer_filter(column: str, customer_ids: Sequence[int] | None) -> tuple[str, list[int]]:
    # Callers pass ids already validated as integers; they are still bound as parameters.
    if customer_ids is None:
        return "", []
    placeholders = ", ".join(["%s"] * len(customer_ids)) or "NULL"
    return f" WHERE {column} IN ({placeholders})", list(customer_ids)


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


def _instants(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(
        *[pl.from_epoch(pl.col(c), time_unit="s").dt.replace_time_zone("UTC") for c in columns]
    )


@dataclass(frozen=True)
class StoreFrames:
    tickets: pl.DataFrame
    status_changes: pl.DataFrame
    time_entries: pl.DataFrame
    revenue: pl.DataFrame
    surveys: pl.DataFrame
    interactions: pl.DataFrame
    customers: pl.DataFrame
    items: pl.DataFrame


def frame_queries(customer_ids: Sequence[int] | None = None) -> dict[str, Query]:
    """The queries behind :class:`StoreFrames`, for all customers or the given ones."""
    where, params = _customer_filter("t.customer_id", customer_ids)
    e = epoch_seconds_sql
    f = float_sql
    queries = {
        "tickets": Query(
            f"""SELECT t.id, t.customer_id, COALESCE(t.sla_policy_id, c.sla_policy_id),
                   t.priority, {e("t.created_at")}, {e("t.first_response_at")},
                   {e("t.resolved_at")}, t.status, t.reopen_count, t.agent_touches,
                   t.contract_id, t.catalogue_item_id, t.is_special_request, t.is_escalated,
                   t.is_complaint
            FROM service_ticket t LEFT JOIN contracts_contract c ON c.id = t.contract_id{where}""",
            params,
            {
                "ticket_id": pl.Int64(),
                "customer_id": pl.Int64(),
                "policy_id": pl.Int64(),
                "priority": pl.Int8(),
                "created_at": pl.Int64(),
                "first_response_at": pl.Int64(),
                "resolved_at": pl.Int64(),
                "status": pl.String(),
                "reopen_count": pl.Int64(),
                "agent_touches": pl.Int64(),
                "contract_id": pl.Int64(),
                "catalogue_item_id": pl.Int64(),
                "is_special_request": pl.Boolean(),
                "is_escalated": pl.Boolean(),
                "is_complaint": pl.Boolean(),
            },
            "service_ticket",
        ),
        # The join only filters by customer; every status change has its ticket (foreign key).
        "status_changes": Query(
            f"""SELECT s.ticket_id, {e("s.changed_at")}, s.status
            FROM service_ticketstatuschange s"""
            + (" JOIN service_ticket t ON t.id = s.ticket_id" if customer_ids is not None else "")
            + where,
            params,
            {"ticket_id": pl.Int64(), "changed_at": pl.Int64(), "status": pl.String()},
            "service_ticketstatuschange",
        ),
    }
    where, params = _customer_filter("customer_id", customer_ids)
    queries["time_entries"] = Query(
        f"""SELECT customer_id, ticket_id, {e("started_at")}, minutes, billing,
                   {f("loaded_cost")}, {f("billed_amount")}
            FROM service_timeentry{where}""",
        params,
        {
            "customer_id": pl.Int64(),
            "ticket_id": pl.Int64(),
            "started_at": pl.Int64(),
            "minutes": pl.Int64(),
            "billing": pl.String(),
            "loaded_cost": pl.Float64(),
            "billed_amount": pl.Float64(),
        },
        "service_timeentry",
    )
    queries["revenue"] = Query(
        f"""SELECT customer_id, CAST(period AS TEXT), {f("amount")}, {f("direct_cost")}, kind
            FROM contracts_revenueline{where}""",
        params,
        {
            "customer_id": pl.Int64(),
            "period": pl.String(),
            "amount": pl.Float64(),
            "direct_cost": pl.Float64(),
            "kind": pl.String(),
        },
        "contracts_revenueline",
    )
    queries["surveys"] = Query(
        f"""SELECT customer_id, kind, {e("sent_at")}, {e("answered_at")}, score,
                   scale_min, scale_max, CASE WHEN comment <> '' THEN 1 ELSE 0 END
            FROM surveys_surveyanswer{where}""",
        params,
        {
            "customer_id": pl.Int64(),
            "kind": pl.String(),
            "sent_at": pl.Int64(),
            "answered_at": pl.Int64(),
            "score": pl.Int64(),
            "scale_min": pl.Int64(),
            "scale_max": pl.Int64(),
            "has_comment": pl.Int8(),
        },
        "surveys_surveyanswer",
    )
    queries["interactions"] = Query(
        f"SELECT customer_id, {e('occurred_at')} FROM service_interaction{where}",
        params,
        {"customer_id": pl.Int64(), "occurred_at": pl.Int64()},
        "service_interaction",
    )
    where, params = _customer_filter("id", customer_ids)
    queries["customers"] = Query(
        f"SELECT id, seats, endpoints FROM customers_customer{where}",
        params,
        {"customer_id": pl.Int64(), "seats": pl.Int64(), "endpoints": pl.Int64()},
        "customers_customer",
    )
    queries["items"] = items_query(customer_ids)
    return queries


def frames_from(results: Mapping[str, pl.DataFrame]) -> StoreFrames:
    """:class:`StoreFrames` from the results of :func:`frame_queries` (instants as UTC)."""
    return StoreFrames(
        tickets=_instants(results["tickets"], "created_at", "first_response_at", "resolved_at"),
        status_changes=_instants(results["status_changes"], "changed_at"),
        time_entries=_instants(results["time_entries"], "started_at"),
        revenue=results["revenue"].with_columns(pl.col("period").str.to_date("%Y-%m-%d")),
        surveys=_instants(results["surveys"], "sent_at", "answered_at").with_columns(
            pl.col("has_comment").cast(pl.Boolean)
        ),
        interactions=_instants(results["interactions"], "occurred_at"),
        customers=results["customers"],
        items=results["items"],
    )


def load_frames(
    customer_ids: Sequence[int] | None = None, *, reader: Reader | None = None
) -> StoreFrames:
    """Everything the analysis reads, for all customers or the given ones.

    ``reader``: how to run the queries (default: :func:`default_reader`).
    """
    return frames_from(
        read_all(reader or default_reader(customer_ids), frame_queries(customer_ids))
    )


def items_query(customer_ids: Sequence[int] | None = None) -> Query:
    """Catalogue items of the customers' contracts; ``rate`` falls back to the contract's rate.

    A billable item without a rate of its own is billed at the contract's hourly rate, so that
    is what out-of-scope work done free would have earned.
    """
    where, params = _customer_filter("c.customer_id", customer_ids)
    f = float_sql
    return Query(
        f"""SELECT i.id, i.contract_id, c.customer_id, i.code, i.name, i.included,
                   COALESCE({f("i.rate")}, {f("c.hourly_rate")}), i.unit, i.keywords
            FROM contracts_catalogueitem i
            JOIN contracts_contract c ON c.id = i.contract_id{where}""",
        params,
        {
            "item_id": pl.Int64(),
            "contract_id": pl.Int64(),
            "customer_id": pl.Int64(),
            "code": pl.String(),
            "name": pl.String(),
            "included": pl.Boolean(),
            "rate": pl.Float64(),
            "unit": pl.String(),
            "keywords": pl.String(),
        },
        "contracts_catalogueitem",
    )


def load_ticket_texts(ticket_ids: Sequence[int]) -> pl.DataFrame:
    """Subject, category and the start of the description of the given tickets.

    Only the first 500 characters of a description are read: the scope mapping reads no
    further (signatures and quoted mail below mention every topic).
    """
    frames = []
    for chunk in id_chunks(ticket_ids):
        placeholders = ", ".join(["%s"] * len(chunk))
        frames.append(
            django_reader(
                f"""SELECT id, subject, category, SUBSTR(description, 1, 500)
                    FROM service_ticket WHERE id IN ({placeholders})""",
                chunk,
                {
                    "ticket_id": pl.Int64(),
                    "subject": pl.String(),
                    "category": pl.String(),
                    "description": pl.String(),
                },
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "ticket_id": pl.Int64,
                "subject": pl.String,
                "category": pl.String,
                "description": pl.String,
            }
        )
    return pl.concat(frames)


def engine_calendar(calendar: CalendarModel) -> BusinessCalendar:
    weekly: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
    for window in calendar.windows.all():
        weekly[window.weekday].append((hhmm(window.start_minute), hhmm(window.end_minute)))
    closed_days: list[date] = []
    partial_days: dict[date, list[tuple[str, str]]] = {}
    for special in calendar.special_days.all():
        if special.windows:
            partial_days[special.day] = [(str(a), str(b)) for a, b in special.windows]
        else:
            closed_days.append(special.day)
    holidays = (
        (calendar.holiday_country, calendar.holiday_subdivision or None)
        if calendar.holiday_country
        else None
    )
    return BusinessCalendar(
        timezone=calendar.timezone,
        weekly=weekly,
        holidays=holidays,
        holiday_categories=tuple(calendar.holiday_categories or ("public",)),
        closed_days=closed_days,
        partial_days=partial_days,
    )


def load_policies() -> tuple[dict[int, SlaPolicy], dict[int, list[str]]]:
    """Engine SLA policies by id, and each policy's pausing statuses."""
    policies: dict[int, SlaPolicy] = {}
    pausing: dict[int, list[str]] = {}
    calendars: dict[int, BusinessCalendar] = {}
    queryset = PolicyModel.objects.select_related("calendar").prefetch_related(
        "targets", "calendar__windows", "calendar__special_days"
    )
    for policy in queryset:
        if policy.calendar_id not in calendars:
            calendars[policy.calendar_id] = engine_calendar(policy.calendar)
        targets = list(policy.targets.all())
        policies[policy.pk] = SlaPolicy(
            calendar=calendars[policy.calendar_id],
            first_response_targets={t.priority: t.first_response_minutes * 60 for t in targets},
            resolution_targets={t.priority: t.resolution_minutes * 60 for t in targets},
            pause_first_response=policy.pause_first_response,
            near_breach_share=float(policy.near_breach_share),
        )
        pausing[policy.pk] = list(policy.pausing_statuses or [])
    return policies, pausing
