"""Selectors that read the domain tables as columnar frames for the engine.

Instants are read as whole epoch seconds in SQL (the SLA clock's precision is seconds) so both
databases hand back plain integers: no per-row datetime objects, no driver time-zone handling.
The queries are here; how they are run (``Query``, the readers, ``default_reader``) is in
``insights.readers``, re-exported here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from django.db import connection

from solidground.common.bulk import id_chunks
from solidground.contracts.models import BusinessCalendar as CalendarModel
from solidground.contracts.models import SlaPolicy as PolicyModel
from solidground.engine.calendar import BusinessCalendar
from solidground.engine.periods import hhmm
from solidground.engine.sla import SlaPolicy
from solidground.insights.readers import (
    ConnectorxReader,
    Query,
    Reader,
    Schema,
    SqliteProcessReader,
    connectorx_uri,
    default_reader,
    django_reader,
    parallel_reads,
    read_all,
    sqlite_store_path,
)

__all__ = [
    "ConnectorxReader",
    "Query",
    "Reader",
    "Schema",
    "SqliteProcessReader",
    "StoreFrames",
    "connectorx_uri",
    "default_reader",
    "django_reader",
    "engine_calendar",
    "epoch_seconds_sql",
    "float_sql",
    "frame_queries",
    "frames_from",
    "items_query",
    "load_frames",
    "load_policies",
    "load_ticket_texts",
    "parallel_reads",
    "read_all",
    "sqlite_store_path",
]


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
    return {
        **_ticket_queries(customer_ids),
        **_activity_queries(customer_ids),
        "customers": _customers_query(customer_ids),
        "items": items_query(customer_ids),
    }


def _ticket_queries(customer_ids: Sequence[int] | None) -> dict[str, Query]:
    """Tickets (with the policy that applies) and their status changes."""
    where, params = _customer_filter("t.customer_id", customer_ids)
    e = epoch_seconds_sql
    return {
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


def _activity_queries(customer_ids: Sequence[int] | None) -> dict[str, Query]:
    """What happens around the tickets, by customer: time, revenue, surveys, interactions."""
    e = epoch_seconds_sql
    f = float_sql
    queries: dict[str, Query] = {}
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
    return queries


def _customers_query(customer_ids: Sequence[int] | None) -> Query:
    where, params = _customer_filter("id", customer_ids)
    return Query(
        f"SELECT id, seats, endpoints FROM customers_customer{where}",
        params,
        {"customer_id": pl.Int64(), "seats": pl.Int64(), "endpoints": pl.Int64()},
        "customers_customer",
    )


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
