"""Selectors that read the domain tables as columnar frames for the engine.

Instants are read as whole epoch seconds in SQL (the SLA clock's precision is seconds) so both
databases hand back plain integers: no per-row datetime objects, no driver time-zone handling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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
        return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"
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


def _query(sql: str, params: Sequence[int], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=list(schema.items()), orient="row")


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


def load_frames(customer_ids: Sequence[int] | None = None) -> StoreFrames:
    """Everything the analysis reads, for all customers or the given ones."""
    where, params = _customer_filter("t.customer_id", customer_ids)
    e = epoch_seconds_sql
    f = float_sql
    tickets = _query(
        f"""SELECT t.id, t.customer_id, COALESCE(t.sla_policy_id, c.sla_policy_id), t.priority,
                   {e("t.created_at")}, {e("t.first_response_at")}, {e("t.resolved_at")},
                   t.status, t.reopen_count, t.agent_touches
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
        },
    )
    tickets = _instants(tickets, "created_at", "first_response_at", "resolved_at")
    changes = _query(
        f"""SELECT s.ticket_id, {e("s.changed_at")}, s.status
            FROM service_ticketstatuschange s JOIN service_ticket t ON t.id = s.ticket_id{where}""",
        params,
        {"ticket_id": pl.Int64(), "changed_at": pl.Int64(), "status": pl.String()},
    )
    changes = _instants(changes, "changed_at")
    where, params = _customer_filter("customer_id", customer_ids)
    time_entries = _query(
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
    revenue = _query(
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
    surveys = _query(
        f"""SELECT customer_id, kind, {e("sent_at")}, {e("answered_at")}, score,
                   scale_min, scale_max
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
        },
    )
    surveys = _instants(surveys, "sent_at", "answered_at")
    return StoreFrames(tickets, changes, time_entries, revenue, surveys)


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
