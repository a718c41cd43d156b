"""Selectors that read the domain tables as columnar frames for the engine.

Instants are read as whole epoch seconds in SQL (the SLA clock's precision is seconds) so both
databases hand back plain integers: no per-row datetime objects, no driver time-zone handling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from urllib.parse import quote

import polars as pl
from django.db import connection

from solidground.contracts.models import BusinessCalendar as CalendarModel
from solidground.contracts.models import SlaPolicy as PolicyModel
from solidground.engine.calendar import BusinessCalendar
from solidground.engine.sla import SlaPolicy

UTC_DATETIME = pl.Datetime("us", "UTC")


def epoch_seconds_sql(column: str) -> str:
    """SQL for a datetime column as whole seconds since 1970 (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        # date_part() is double precision; EXTRACT() is numeric since PostgreSQL 14 and several
        # times slower over millions of rows. Flooring the double is exact: at today's epochs
        # a double resolves 2.4e-7 s, finer than the microseconds stored.
        return f"FLOOR(date_part('epoch', {column}))::bigint"
    # SQLite stores Django datetimes as UTC text; strftime('%s') reads it as UTC. The percent
    # sign is doubled because queries always go through the driver with a parameter list.
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


def _sentinel(dtype: pl.DataType) -> str:
    if dtype == pl.String():
        return "''"
    if dtype == pl.Float64():
        return "0.5"
    return "0"


class ConnectorxReader:
    """Read through connectorx on its own connection, straight into Arrow (no CSV, no Python
    rows): several times faster than :func:`django_reader` on millions of rows.

    It sees only committed data, so it is used only outside a transaction (see
    :func:`default_reader`). connectorx binds no parameters: filtered reads go through Django.
    """

    def __init__(self, uri: str, vendor: str) -> None:
        self.uri = uri
        self.vendor = vendor

    def __call__(self, sql: str, params: Sequence[int], schema: Schema) -> pl.DataFrame:
        if params:
            raise ValueError("connectorx binds no parameters; read filtered rows via Django")
        # Queries are written for the driver's paramstyle, where % is doubled.
        sql = sql.replace("%%", "%")
        columns = [f"c{i}" for i in range(len(schema))]
        listed = ", ".join(columns)
        if self.vendor == "sqlite":
            # connectorx types a SQLite expression column by the first row's value and fails
            # on NULL: a first row of typed placeholders (r_ = 0) is read, then dropped.
            placeholders = ", ".join(
                f"{_sentinel(dtype)} AS {column}"
                for column, dtype in zip(columns, schema.values(), strict=True)
            )
            query = (
                f"WITH q({listed}) AS ({sql}) "
                f"SELECT 0 AS r_, {placeholders} UNION ALL SELECT 1, {listed} FROM q"
            )
            frame = pl.read_database_uri(query, self.uri, engine="connectorx")
            frame = frame.filter(pl.col("r_") == 1).drop("r_")
        else:
            query = f"WITH q({listed}) AS ({sql}) SELECT {listed} FROM q"
            frame = pl.read_database_uri(query, self.uri, engine="connectorx")
        if frame.height == 0:
            return pl.DataFrame(schema=schema)
        return _typed(frame, schema)


def connectorx_uri() -> str | None:
    """The connectorx URI of Django's database, or None where connectorx cannot reach it."""
    config = connection.settings_dict
    name = str(config.get("NAME") or "")
    if connection.vendor == "sqlite":
        # Not for SQLite: connectorx brings its own SQLite library, and two SQLite libraries
        # in one process break each other's POSIX locks on a WAL store (measured: a row
        # committed between two reads was missing from the second, and the next read through
        # Python's sqlite3 failed with "disk I/O error"; ADBC's driver behaves the same).
        # Django's connection always sees the latest commit.
        return None
    if connection.vendor == "postgresql":
        host = str(config.get("HOST") or "")
        if not host or host.startswith("/") or config.get("OPTIONS"):
            # Unix sockets and extra connection options (SSL, service files): Django's
            # connection knows how to reach those; keep to it rather than guess.
            return None
        user = quote(str(config.get("USER") or ""), safe="")
        password = quote(str(config.get("PASSWORD") or ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{config['PORT']}" if config.get("PORT") else ""
        return f"postgresql://{auth}{host}{port}/{quote(name, safe='')}"
    return None


def default_reader(customer_ids: Sequence[int] | None) -> Reader:
    """connectorx for whole-store reads outside a transaction; Django's connection otherwise.

    Inside ``transaction.atomic()`` (an import that re-analyses before committing, every
    test on PostgreSQL) only Django's connection sees the uncommitted rows. A few customers'
    rows are read quickly either way, through the indexes.
    """
    if customer_ids is not None or connection.in_atomic_block:
        return django_reader
    uri = connectorx_uri()
    return ConnectorxReader(uri, connection.vendor) if uri else django_reader


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


def load_frames(
    customer_ids: Sequence[int] | None = None, *, reader: Reader | None = None
) -> StoreFrames:
    """Everything the analysis reads, for all customers or the given ones.

    ``reader``: how to run the queries (default: :func:`default_reader`).
    """
    query = reader or default_reader(customer_ids)
    where, params = _customer_filter("t.customer_id", customer_ids)
    e = epoch_seconds_sql
    f = float_sql
    tickets = query(
        f"""SELECT t.id, t.customer_id, COALESCE(t.sla_policy_id, c.sla_policy_id), t.priority,
                   {e("t.created_at")}, {e("t.first_response_at")}, {e("t.resolved_at")},
                   t.status, t.reopen_count, t.agent_touches, t.contract_id,
                   t.catalogue_item_id, t.is_special_request, t.is_escalated, t.is_complaint
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
    )
    tickets = _instants(tickets, "created_at", "first_response_at", "resolved_at")
    # The join only filters by customer; every status change has its ticket (foreign key).
    join = " JOIN service_ticket t ON t.id = s.ticket_id" if customer_ids is not None else ""
    changes = query(
        f"""SELECT s.ticket_id, {e("s.changed_at")}, s.status
            FROM service_ticketstatuschange s{join}{where}""",
        params,
        {"ticket_id": pl.Int64(), "changed_at": pl.Int64(), "status": pl.String()},
    )
    changes = _instants(changes, "changed_at")
    where, params = _customer_filter("customer_id", customer_ids)
    time_entries = query(
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
    )
    time_entries = _instants(time_entries, "started_at")
    revenue = query(
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
    )
    revenue = revenue.with_columns(pl.col("period").str.to_date("%Y-%m-%d"))
    surveys = query(
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
    )
    surveys = _instants(surveys, "sent_at", "answered_at").with_columns(
        pl.col("has_comment").cast(pl.Boolean)
    )
    interactions = query(
        f"SELECT customer_id, {e('occurred_at')} FROM service_interaction{where}",
        params,
        {"customer_id": pl.Int64(), "occurred_at": pl.Int64()},
    )
    interactions = _instants(interactions, "occurred_at")
    where, params = _customer_filter("id", customer_ids)
    customers = query(
        f"SELECT id, seats, endpoints FROM customers_customer{where}",
        params,
        {"customer_id": pl.Int64(), "seats": pl.Int64(), "endpoints": pl.Int64()},
    )
    items = load_items(customer_ids, reader=query)
    return StoreFrames(
        tickets, changes, time_entries, revenue, surveys, interactions, customers, items
    )


def load_items(
    customer_ids: Sequence[int] | None = None, *, reader: Reader | None = None
) -> pl.DataFrame:
    """Catalogue items of the customers' contracts; ``rate`` falls back to the contract's rate.

    A billable item without a rate of its own is billed at the contract's hourly rate, so that
    is what out-of-scope work done free would have earned.
    """
    where, params = _customer_filter("c.customer_id", customer_ids)
    f = float_sql
    return (reader or django_reader)(
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
    )


def load_ticket_texts(ticket_ids: Sequence[int]) -> pl.DataFrame:
    """Subject, category and the start of the description of the given tickets.

    Only the first 500 characters of a description are read: the scope mapping reads no
    further (signatures and quoted mail below mention every topic).
    """
    frames = []
    for start in range(0, len(ticket_ids), _ID_CHUNK):
        chunk = list(ticket_ids[start : start + _ID_CHUNK])
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


# SQLite allows 32,766 bound parameters per statement (since 3.32); stay well below.
_ID_CHUNK = 10_000


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def engine_calendar(calendar: CalendarModel) -> BusinessCalendar:
    weekly: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
    for window in calendar.windows.all():
        weekly[window.weekday].append((_hhmm(window.start_minute), _hhmm(window.end_minute)))
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
