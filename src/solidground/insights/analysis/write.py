"""Step 4 of an analysis: store its rows, inside the caller's transaction.

A full analysis locks the result tables (``_lock_for_writing``) and writes only the rows
that changed since the stored results it read (``insights/store.py``); it rewrites the
small tables (segments, findings, SLA events) whole. A re-analysis of some customers
deletes their results and inserts the new ones. Then the whale curve is computed from the
stored monthly profits, and the run's record is completed.

Database-specific SQL here: the table lock and the whale curve's float cast.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from django.db import connection
from django.utils import timezone

from solidground.common.bulk import insert_frame
from solidground.engine.trends import add_months
from solidground.engine.whale import whale_curve, whale_summary
from solidground.insights.analysis.compute import AnalysisResult
from solidground.insights.analysis.read import DIFFED, AnalysisInput, stored_queries
from solidground.insights.analysis.rows import ResultRows, baseline_json, plain
from solidground.insights.fetch import django_reader, read_all
from solidground.insights.models import (
    AnalysisRun,
    CustomerPeriod,
    CustomerSegment,
    CustomerTrend,
    Finding,
    SlaEvent,
    TicketScope,
    TicketSla,
    WhalePoint,
)
from solidground.insights.store import replace_rows, written_rows

# Logged under the entry point's name: log settings (and the tests) name the analysis so.
logger = logging.getLogger("solidground.insights.actions")

# The small result tables a full analysis rewrites whole (the others: ``read.DIFFED``).
_REWRITTEN = (CustomerSegment, Finding, SlaEvent)
WHALE_MONTHS = 12

# Runs started this long before a full analysis began reading count as concurrent: clocks of
# processes on one machine agree far better than this, and redoing a customer is harmless.
_CLOCK_MARGIN = timedelta(seconds=1)


def write_rows(rows: ResultRows, data: AnalysisInput, run: AnalysisRun) -> None:
    """Replace the analysed customers' results (all customers' in a full analysis)."""
    if data.customer_ids is None:
        _replace_changed_rows(rows, data, run)
    else:
        _replace_customers_rows(rows, data.customer_ids)
    insert_frame(CustomerSegment._meta.db_table, rows.segments)
    insert_frame(Finding._meta.db_table, rows.findings)
    insert_frame(SlaEvent._meta.db_table, rows.sla_events)


def _replace_changed_rows(rows: ResultRows, data: AnalysisInput, run: AnalysisRun) -> None:
    """A full analysis: under the write lock, store only the rows that changed."""
    _lock_for_writing()
    stored = dict(data.stored)
    # Stored rows read before the lock are current unless another full analysis
    # committed since; then they are read again, under the lock.
    if _full_run_finished_since(data.read_started, run):
        stored |= read_all(django_reader, stored_queries())
    written = rows.diffed()
    for name, spec in DIFFED.items():
        counts = replace_rows(spec, written[name], stored[f"stored_{name}"])
        logger.info("analysis %s stored %s: %s", run.pk, spec.table, counts)
    _rewrite_tables(_REWRITTEN)


def _replace_customers_rows(rows: ResultRows, customer_ids: Sequence[int]) -> None:
    """A re-analysis of some customers: delete their results, insert the new ones."""
    _delete_previous(customer_ids)
    for name, frame in rows.diffed().items():
        if frame is not None:
            spec = DIFFED[name]
            insert_frame(spec.table, written_rows(spec, frame))


def _lock_for_writing() -> None:
    """Keep other writers out of the results until commit; readers still see the old rows.

    SQLite's IMMEDIATE transactions already hold the database's write lock.
    """
    if connection.vendor == "postgresql":
        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table)
            for model in (TicketSla, TicketScope, CustomerPeriod, CustomerTrend)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def _full_run_finished_since(read_started: datetime, run: AnalysisRun) -> bool:
    """Whether another full analysis finished after this one began reading."""
    return (
        AnalysisRun.objects.filter(
            status=AnalysisRun.Status.FINISHED,
            customer_ids=[],
            finished_at__gte=read_started - _CLOCK_MARGIN,
        )
        .exclude(pk=run.pk)
        .exists()
    )


def _delete_previous(customer_ids: Sequence[int]) -> None:
    """Delete the given customers' results (a re-analysis of some customers)."""
    TicketSla.objects.filter(ticket__customer_id__in=customer_ids).delete()
    TicketScope.objects.filter(ticket__customer_id__in=customer_ids).delete()
    for model in (CustomerPeriod, CustomerTrend, CustomerSegment, Finding, SlaEvent):
        model.objects.filter(customer_id__in=customer_ids).delete()


def _rewrite_tables(models: Sequence[type[Any]]) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def write_whale_curve(as_of: date) -> dict[str, Any]:
    """The whale curve of the last twelve months, from the stored monthly profits; returns
    its summary (JSON-ready)."""
    first = add_months(as_of, -(WHALE_MONTHS - 1))
    kind = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT customer_id, CAST(SUM(margin) AS {kind}), CAST(SUM(revenue) AS {kind})
                FROM insights_customerperiod
                WHERE period_kind = 'month' AND period_start >= %s AND period_start <= %s
                GROUP BY customer_id""",  # noqa: S608 (the type name is one of two constants)
            [first, as_of],
        )
        rows = cursor.fetchall()
    profits = pl.DataFrame(
        rows,
        schema={"customer_id": pl.Int64, "profit": pl.Float64, "revenue": pl.Float64},
        orient="row",
    )
    curve = whale_curve(profits)
    WhalePoint.objects.all().delete()
    insert_frame(
        WhalePoint._meta.db_table,
        curve.select(
            "customer_id",
            "rank",
            pl.col("profit").round(2),
            pl.col("revenue").round(2),
            pl.col("cumulative_profit").round(2),
            "cumulative_share",
            "customer_share",
            pl.lit(first).alias("window_start"),
            pl.lit(as_of).alias("window_end"),
        ),
    )
    summary = whale_summary(curve)
    return plain({**summary.__dict__, "window_start": first, "window_end": as_of})


def record_finished(
    run: AnalysisRun,
    data: AnalysisInput,
    result: AnalysisResult,
    *,
    whale: dict[str, Any],
    started: float,
) -> None:
    """Complete the run's record (``started``: ``time.perf_counter()`` at its start)."""
    coverage = result.coverage
    run.tickets = data.frames.tickets.height
    run.customers = data.frames.customers.height
    run.as_of = result.as_of
    run.baseline = {
        "month": baseline_json(result.month_baseline),
        "quarter": baseline_json(result.quarter_baseline),
        "coverage": plain([coverage.first, coverage.last]) if coverage else None,
    }
    run.scope_report = plain(result.scope.report)
    run.whale = whale
    run.thresholds = {
        "segments": result.segment_rules.as_dict(),
        "findings": plain(result.finding_rules.__dict__),
    }
    run.status = AnalysisRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.seconds = round(time.perf_counter() - started, 3)
    run.save()


def record_failed(run: AnalysisRun, exc: Exception) -> None:
    run.status = AnalysisRun.Status.FAILED
    run.error = f"{type(exc).__name__}: {exc}"
    run.finished_at = timezone.now()
    run.save()


def customers_analysed_since(read_started: datetime, run: AnalysisRun) -> list[int]:
    """Customers re-analysed (after an import) since this full analysis began reading.

    Their data may have changed after this analysis read it, and their newer results must not
    be overwritten with older ones: the full analysis analyses them again before it commits.
    """
    ids: set[int] = set()
    runs = (
        AnalysisRun.objects.filter(started_at__gte=read_started - _CLOCK_MARGIN)
        .exclude(customer_ids=[])
        .exclude(pk=run.pk)
    )
    for customer_ids in runs.values_list("customer_ids", flat=True):
        ids.update(int(i) for i in customer_ids or [])
    return sorted(ids)
