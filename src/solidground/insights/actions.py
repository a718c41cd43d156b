"""Run the engine on the store and keep the results (the insights write side)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from solidground.common.bulk import insert_frame
from solidground.customers.models import Customer
from solidground.engine.portfolio import customer_period_figures
from solidground.engine.sla import evaluate_tickets, pauses_from_status_changes
from solidground.insights.fetch import StoreFrames, load_frames, load_policies
from solidground.insights.models import AnalysisRun, CustomerPeriod, TicketSla

Progress = Callable[[str], None]

_SLA_COLUMNS = [
    "ticket_id",
    "first_response_business_seconds",
    "resolution_business_seconds",
    "paused_business_seconds",
    "first_response_due",
    "resolution_due",
    "first_response_state",
    "resolution_state",
    "first_response_margin_seconds",
    "resolution_margin_seconds",
    "first_response_near_breach",
    "resolution_near_breach",
]

_PERIOD_COLUMNS = [
    field.column for field in CustomerPeriod._meta.concrete_fields if not field.primary_key
]


def evaluate_sla(frames: StoreFrames, *, now: datetime) -> pl.DataFrame:
    """Per-ticket SLA results from the engine, for tickets that have an SLA policy."""
    policies, pausing = load_policies()
    tickets = frames.tickets.filter(pl.col("policy_id").is_not_null())
    if tickets.height == 0 or not policies:
        return pl.DataFrame(schema={"ticket_id": pl.Int64})
    changes = frames.status_changes.join(
        tickets.select("ticket_id", "policy_id"), on="ticket_id", how="inner"
    )
    pauses = pauses_from_status_changes(changes, pausing)
    return evaluate_tickets(
        tickets.select(
            "ticket_id", "policy_id", "priority", "created_at", "first_response_at", "resolved_at"
        ),
        pauses,
        policies,
        now=now,
    )


def _sla_rows(sla: pl.DataFrame) -> pl.DataFrame:
    return sla.select(_SLA_COLUMNS).with_columns(
        pl.col("first_response_state").fill_null(""),
        pl.col("resolution_state").fill_null(""),
        pl.col("first_response_near_breach").fill_null(False),
        pl.col("resolution_near_breach").fill_null(False),
        pl.col("paused_business_seconds").fill_null(0),
    )


def _money(column: str) -> pl.Expr:
    return pl.col(column).round(2)


def _period_rows(figures: pl.DataFrame) -> pl.DataFrame:
    return figures.with_columns(
        *[_money(c) for c in ("revenue", "direct_cost", "labour_cost", "margin")],
        *[pl.col(c).round(4) for c in figures.columns if c.startswith("hours_")],
    ).select(_PERIOD_COLUMNS)


def analyze(
    *,
    customer_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> AnalysisRun:
    """Analyse the whole portfolio, or re-analyse the given customers after an import.

    Results replace the previous ones for the same customers in one transaction: readers see
    either the old figures or the new ones, never a mix.
    """
    say = progress or (lambda _message: None)
    now = now or timezone.now()
    started = time.perf_counter()
    run = AnalysisRun.objects.create(
        started_at=timezone.now(),
        status=AnalysisRun.Status.RUNNING,
        customer_ids=list(customer_ids) if customer_ids is not None else [],
    )
    try:
        say("Reading tickets, time, revenue and surveys")
        frames = load_frames(customer_ids)
        say("Running the SLA clock")
        sla = evaluate_sla(frames, now=now)
        say("Computing monthly and quarterly figures")
        figure_args = {
            "tickets": frames.tickets,
            "time_entries": frames.time_entries,
            "revenue": frames.revenue,
            "surveys": frames.surveys,
            "sla": sla if sla.height else None,
            "timezone": settings.TIME_ZONE,
            "loaded_cost_per_hour": float(settings.LOADED_COST_PER_HOUR),
        }
        periods = pl.concat(
            [
                _period_rows(customer_period_figures(kind="month", **figure_args)),  # type: ignore[arg-type]
                _period_rows(customer_period_figures(kind="quarter", **figure_args)),  # type: ignore[arg-type]
            ]
        )
        say("Storing results")
        with transaction.atomic():
            scope = Customer.objects.all()
            if customer_ids is not None:
                scope = scope.filter(pk__in=customer_ids)
            TicketSla.objects.filter(ticket__customer__in=scope).delete()
            CustomerPeriod.objects.filter(customer__in=scope).delete()
            if sla.height:
                insert_frame(TicketSla._meta.db_table, _sla_rows(sla))
            insert_frame(CustomerPeriod._meta.db_table, periods)
            run.tickets = frames.tickets.height
            run.customers = scope.count() if customer_ids is not None else Customer.objects.count()
            run.status = AnalysisRun.Status.FINISHED
            run.finished_at = timezone.now()
            run.seconds = round(time.perf_counter() - started, 3)
            run.save()
    except Exception as exc:
        run.status = AnalysisRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save()
        raise
    return run


def analyze_customers(customer_ids: Sequence[int]) -> AnalysisRun:
    """Re-analyse only these customers (called after an import or sync)."""
    return analyze(customer_ids=list(customer_ids))
