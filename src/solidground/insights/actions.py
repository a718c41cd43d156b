"""Run the engine on the store and keep the results (the insights write side).

``analyze()`` is one function that loads, computes and stores, for all customers or some:

1. load the frames (``fetch.py``);
2. the SLA clock per ticket, reopens from the status history;
3. scope mapping of tickets without a recorded catalogue item (``scope.py``);
4. figures per customer and month and quarter (``engine.metrics``), compared with the
   portfolio (median contact intensity, shrunken CSAT);
5. trends for each customer's latest complete month and quarter (``engine.trends``);
6. segments (``engine.segments``) and findings (``engine.findings``);
7. store all of it in one transaction, then the whale curve from the stored profits.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from solidground.common.bulk import insert_frame
from solidground.customers.models import Customer
from solidground.engine.findings import FindingThresholds, build_findings
from solidground.engine.metrics import (
    Coverage,
    MetricInputs,
    PortfolioBaseline,
    customer_period_metrics,
    data_coverage,
    out_of_scope_ledger,
    portfolio_baseline,
    with_portfolio_comparison,
)
from solidground.engine.periods import PeriodKind, last_complete_quarter
from solidground.engine.segments import SegmentThresholds, assign_segments
from solidground.engine.sla import evaluate_tickets, pauses_from_status_changes, reopen_counts
from solidground.engine.trends import add_months, figure_changes
from solidground.engine.whale import whale_curve, whale_summary
from solidground.insights.fetch import (
    Query,
    StoreFrames,
    default_reader,
    django_reader,
    frame_queries,
    frames_from,
    load_policies,
    read_all,
)
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
    evidence_fingerprint,
)
from solidground.insights.scope import map_scope
from solidground.insights.store import ResultTable, replace_rows, written_rows
from solidground.renewals.actions import do_fit_renewals

Progress = Callable[[str], None]
logger = logging.getLogger(__name__)


def _columns(model: type[Any]) -> list[str]:
    return ResultTable(model).columns


_PERIOD_COLUMNS = _columns(CustomerPeriod)
_MONEY = (
    "revenue",
    "direct_cost",
    "labour_cost",
    "margin",
    "goodwill_cost",
    "out_of_scope_free_value",
    "revenue_extra",
    "effective_hourly_rate",
    "cost_to_serve",
)
WHALE_MONTHS = 12


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
    return sla.select(_columns(TicketSla)).with_columns(
        pl.col("first_response_state").fill_null(""),
        pl.col("resolution_state").fill_null(""),
        pl.col("first_response_near_breach").fill_null(False),
        pl.col("resolution_near_breach").fill_null(False),
        pl.col("paused_business_seconds").fill_null(0),
    )


_BREACHED_STATES = ("breached", "running_breached")


def _sla_event_rows(sla: pl.DataFrame, tickets: pl.DataFrame) -> pl.DataFrame:
    """The clocks a customer notices (breached, running past due, near breach), one row per
    ticket and clock, with the ticket's customer, priority and creation time (SlaEvent)."""
    columns = ["ticket_id", "kind", "state", "near_breach", "due", "margin_seconds"]
    if sla.height == 0:
        return pl.DataFrame()
    parts = []
    for kind in ("first_response", "resolution"):
        state = pl.col(f"{kind}_state")
        near = pl.col(f"{kind}_near_breach").fill_null(False)
        parts.append(
            sla.filter(state.is_in(_BREACHED_STATES) | (near & (state == "running"))).select(
                "ticket_id",
                pl.lit(kind).alias("kind"),
                state.alias("state"),
                near.alias("near_breach"),
                pl.col(f"{kind}_due").alias("due"),
                pl.col(f"{kind}_margin_seconds").alias("margin_seconds"),
            )
        )
    events = pl.concat(parts).select(columns)
    return events.join(
        tickets.select("ticket_id", "customer_id", "priority", "created_at"),
        on="ticket_id",
        how="inner",
    ).select(
        pl.col("ticket_id"),
        pl.col("customer_id"),
        *columns[1:],
        pl.col("priority"),
        pl.col("created_at"),
    )


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


def _period_rows(figures: pl.DataFrame) -> pl.DataFrame:
    return figures.with_columns(
        *[pl.col(c).round(2) for c in _MONEY],
        *[pl.col(c).round(4) for c in figures.columns if c.startswith("hours_")],
    ).select(_PERIOD_COLUMNS)


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, NaN and infinity as null (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # NumPy scalars
        return _plain(value.item())
    return value


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, allow_nan=False)


def _month_of(instant: datetime) -> date:
    local = instant.astimezone(ZoneInfo(settings.TIME_ZONE))
    return date(local.year, local.month, 1)


def _latest_data_month(frames: StoreFrames) -> date | None:
    latest: list[datetime] = []
    for frame, column in (
        (frames.tickets, "created_at"),
        (frames.time_entries, "started_at"),
    ):
        if frame.height:
            value = frame[column].max()
            if isinstance(value, datetime):
                latest.append(value)
    return _month_of(max(latest)) if latest else None


def _baseline_from_json(data: object) -> PortfolioBaseline | None:
    if not isinstance(data, list) or not data:
        return None
    frame = pl.DataFrame(
        data,
        schema={
            "period_start": pl.String,
            "median_contacts_per_seat": pl.Float64,
            "csat_prior_alpha": pl.Float64,
            "csat_prior_beta": pl.Float64,
        },
        orient="row",
    ).with_columns(pl.col("period_start").str.to_date("%Y-%m-%d"))
    return PortfolioBaseline(frame)


def _reopens(frames: StoreFrames) -> pl.DataFrame:
    """The larger of the source's reopen count and the reopens seen in the status history."""
    counted = reopen_counts(frames.status_changes) if frames.status_changes.height else None
    tickets = frames.tickets
    if counted is None or counted.height == 0:
        return tickets
    return (
        tickets.join(counted.rename({"reopen_count": "_seen"}), on="ticket_id", how="left")
        .with_columns(
            reopen_count=pl.max_horizontal(
                pl.col("reopen_count").fill_null(0), pl.col("_seen").fill_null(0)
            )
        )
        .drop("_seen")
    )


def _previous_full_run() -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.FINISHED, customer_ids=[])
        .order_by("-started_at")
        .first()
    )


# Runs started this long before a full analysis began reading count as concurrent: clocks of
# processes on one machine agree far better than this, and redoing a customer is harmless.
_CLOCK_MARGIN = timedelta(seconds=1)


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


def _customers_analysed_since(read_started: datetime, run: AnalysisRun) -> list[int]:
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


def _stored_scope(customer_ids: Sequence[int]) -> pl.DataFrame:
    rows = TicketScope.objects.filter(ticket__customer_id__in=customer_ids).values_list(
        "ticket_id", "catalogue_item_id", "method"
    )
    return pl.DataFrame(
        list(rows),
        schema={"ticket_id": pl.Int64, "item_id": pl.Int64, "method": pl.String},
        orient="row",
    )


def _delete_previous(customer_ids: Sequence[int]) -> None:
    """Delete the given customers' results (a re-analysis of some customers)."""
    TicketSla.objects.filter(ticket__customer_id__in=customer_ids).delete()
    TicketScope.objects.filter(ticket__customer_id__in=customer_ids).delete()
    for model in (CustomerPeriod, CustomerTrend, CustomerSegment, Finding, SlaEvent):
        model.objects.filter(customer_id__in=customer_ids).delete()


# Results a full analysis replaces by writing only the rows that changed (store.py); the
# small tables (segments, findings, SLA events, whale curve) are rewritten whole.
_DIFFED = {
    "sla": ResultTable(TicketSla),
    "scope": ResultTable(TicketScope),
    "periods": ResultTable(CustomerPeriod),
    "trends": ResultTable(CustomerTrend),
}
_REWRITTEN = (CustomerSegment, Finding, SlaEvent)


def _stored_queries() -> dict[str, Query]:
    return {f"stored_{name}": spec.stored_query() for name, spec in _DIFFED.items()}


def _rewrite_tables(models: Sequence[type[Any]]) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def _store_whale(as_of: date) -> dict[str, Any]:
    """The whale curve of the last twelve months, from the stored monthly profits."""
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
    return _plain({**summary.__dict__, "window_start": first, "window_end": as_of})


def _figures(
    inputs: MetricInputs,
    kind: PeriodKind,
    baseline: PortfolioBaseline | None,
    coverage: Coverage | None,
) -> tuple[pl.DataFrame, PortfolioBaseline]:
    frame = customer_period_metrics(
        inputs,
        kind=kind,
        timezone=settings.TIME_ZONE,
        loaded_cost_per_hour=float(settings.LOADED_COST_PER_HOUR),
        coverage=coverage,
    )
    if baseline is None:
        baseline = portfolio_baseline(frame)
    else:
        # Periods the stored baseline lacks (new months) come from the rows at hand (their
        # CSAT prior pools the year before them, so all rows go in).
        missing = ~pl.col("period_start").is_in(baseline.frame["period_start"].implode())
        if frame.filter(missing).height:
            added = portfolio_baseline(frame).frame.filter(missing)
            baseline = PortfolioBaseline(pl.concat([baseline.frame, added]))
    return with_portfolio_comparison(frame, baseline), baseline


def _coverage(inputs: MetricInputs, stored: object) -> Coverage | None:
    """The days the data cover: of the rows read, and (a re-analysis of some customers) of
    the portfolio as the last full analysis stored it, so partial periods stay the same."""
    read = data_coverage(inputs, timezone=settings.TIME_ZONE)
    if isinstance(stored, list) and len(stored) == 2:
        before = Coverage(date.fromisoformat(stored[0]), date.fromisoformat(stored[1]))
        return before.union(read)
    return read


def _cancelled(customer_ids: Sequence[int] | None) -> list[int]:
    """Customers who have cancelled (never solid, see engine.segments)."""
    customers = Customer.objects.filter(status=Customer.Status.CANCELLED)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    return list(customers.values_list("pk", flat=True))


def _baseline_json(baseline: PortfolioBaseline) -> list[dict[str, Any]]:
    return _plain(baseline.frame.sort("period_start").to_dicts())


def analyze(
    *,
    customer_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    segment_thresholds: SegmentThresholds | None = None,
    finding_thresholds: FindingThresholds | None = None,
) -> AnalysisRun:
    """Analyse the whole portfolio, or re-analyse the given customers after an import.

    Results replace the previous ones for the same customers in one transaction: readers see
    either the old figures or the new ones, never a mix. A re-analysis compares with the
    portfolio baseline of the last full analysis and does not retrain the scope classifier.
    """
    say = progress or (lambda _message: None)
    now = now or timezone.now()
    started = time.perf_counter()
    ids = list(customer_ids) if customer_ids is not None else None
    segment_rules = segment_thresholds or SegmentThresholds()
    run = AnalysisRun.objects.create(
        started_at=timezone.now(),
        status=AnalysisRun.Status.RUNNING,
        customer_ids=ids or [],
    )
    try:
        previous = _previous_full_run() if ids is not None else None
        say("Reading tickets, time, revenue and surveys")
        # Chosen outside the write transaction: the fast readers see only committed rows
        # (see fetch.default_reader). A full analysis reads the stored results along with
        # the data, so that storing writes only the rows that changed.
        read_started = timezone.now()
        queries = frame_queries(ids)
        if ids is None:
            queries |= _stored_queries()
        results = read_all(default_reader(ids), queries)
        frames = frames_from(results)
        say("Running the SLA clock")
        sla = evaluate_sla(frames, now=now)
        say("Mapping tickets to the service catalogue")
        scope = map_scope(
            frames.tickets,
            frames.items,
            train_classifier=ids is None,
            previous=_stored_scope(ids) if ids is not None else None,
        )
        tickets = (
            _reopens(frames)
            .join(
                scope.mapping.select("ticket_id", pl.col("item_id").alias("_mapped")),
                on="ticket_id",
                how="left",
            )
            .with_columns(item_id=pl.coalesce("catalogue_item_id", "_mapped"))
        )
        inputs = MetricInputs(
            tickets=tickets,
            sla=sla if sla.height else None,
            time_entries=frames.time_entries,
            revenue=frames.revenue,
            surveys=frames.surveys,
            interactions=frames.interactions,
            customers=frames.customers,
            items=frames.items,
        )
        say("Computing monthly and quarterly figures")
        stored = previous.baseline if previous is not None else {}
        coverage = _coverage(inputs, stored.get("coverage"))
        months, month_baseline = _figures(
            inputs, "month", _baseline_from_json(stored.get("month")), coverage
        )
        quarters, quarter_baseline = _figures(
            inputs, "quarter", _baseline_from_json(stored.get("quarter")), coverage
        )
        cancelled = _cancelled(ids)

        latest = _latest_data_month(frames)
        if previous is not None and previous.as_of is not None:
            latest = max(latest, previous.as_of) if latest else previous.as_of
        last_complete = add_months(_month_of(now), -1)
        as_of = min(latest, last_complete) if latest else last_complete
        as_of_quarter = last_complete_quarter(as_of)

        say("Segments, trends and findings")
        segments = assign_segments(
            quarters,
            quarter_baseline.frame,
            as_of_quarter=as_of_quarter,
            thresholds=segment_rules,
            cancelled=cancelled,
        )
        # The same rules a quarter earlier: what changed since last quarter (pages, tiles).
        previous_segments = assign_segments(
            quarters,
            quarter_baseline.frame,
            as_of_quarter=add_months(as_of_quarter, -3),
            thresholds=segment_rules,
            cancelled=cancelled,
        ).select("customer_id", pl.col("segment").alias("previous_segment"))
        window_ends = segments.select("customer_id", pl.col("window_end").alias("period_start"))
        quarter_changes = figure_changes(
            quarters, kind="quarter", periods=window_ends["period_start"].unique().to_list()
        ).join(window_ends, on=["customer_id", "period_start"], how="inner")
        month_changes = figure_changes(months, kind="month", periods=[as_of])
        findings_rules = finding_thresholds or FindingThresholds()
        ledger = out_of_scope_ledger(
            inputs,
            first_month=add_months(as_of, -(findings_rules.months - 1)),
            last_month=as_of,
            timezone=settings.TIME_ZONE,
        ).join(
            frames.items.select(
                "item_id",
                pl.col("name").alias("item_name"),
                pl.col("code").alias("item_code"),
                "rate",
            ),
            on="item_id",
            how="left",
        )
        findings = build_findings(
            segments=segments,
            quarters=quarters,
            quarter_changes=quarter_changes,
            out_of_scope=ledger,
            as_of=as_of,
            thresholds=findings_rules,
            surveys=frames.surveys,
            now=now,
        )

        say("Storing results")
        periods = pl.concat([_period_rows(months), _period_rows(quarters)])
        trends = pl.concat(
            [
                month_changes.with_columns(period_kind=pl.lit("month")),
                quarter_changes.with_columns(period_kind=pl.lit("quarter")),
            ]
        ).select(_columns(CustomerTrend))
        segment_rows = segments.select(
            "customer_id",
            "segment",
            "rule",
            "window_start",
            "window_end",
            pl.Series("reasons", [_json(r) for r in segments["reasons"]], dtype=pl.String),
            pl.Series("movers", [_json(r) for r in segments["movers"]], dtype=pl.String),
            pl.Series("figures", [_json(r) for r in segments["figures"]], dtype=pl.String),
        )
        segment_rows = segment_rows.join(
            previous_segments, on="customer_id", how="left"
        ).with_columns(pl.col("previous_segment").fill_null(""))
        finding_rows = pl.DataFrame(
            {
                "customer_id": [f["customer_id"] for f in findings],
                "kind": [f["kind"] for f in findings],
                "severity": [f["severity"] for f in findings],
                "period_start": [f["period_start"] for f in findings],
                "params": [_json(f["params"]) for f in findings],
                # Of the params as stored (JSON), as a decision computes it from the row.
                "fingerprint": [
                    evidence_fingerprint(f["kind"], json.loads(_json(f["params"])))
                    for f in findings
                ],
            },
            schema={
                "customer_id": pl.Int64,
                "kind": pl.String,
                "severity": pl.Int64,
                "period_start": pl.Date,
                "params": pl.String,
                "fingerprint": pl.String,
            },
        )
        scope_rows = scope.mapping.select(
            "ticket_id",
            pl.col("item_id").alias("catalogue_item_id"),
            "method",
            pl.col("keyword").fill_null(""),
            "confidence",
        )
        written: dict[str, pl.DataFrame | None] = {
            "sla": _sla_rows(sla) if sla.height else None,
            "scope": scope_rows,
            "periods": periods,
            "trends": trends,
        }
        with transaction.atomic():
            if ids is None:
                _lock_for_writing()
                # Stored rows read before the lock are current unless another full analysis
                # committed since; then they are read again, under the lock.
                if _full_run_finished_since(read_started, run):
                    results |= read_all(django_reader, _stored_queries())
                for name, spec in _DIFFED.items():
                    counts = replace_rows(spec, written[name], results[f"stored_{name}"])
                    logger.info("analysis %s stored %s: %s", run.pk, spec.table, counts)
                _rewrite_tables(_REWRITTEN)
            else:
                _delete_previous(ids)
                for name, spec in _DIFFED.items():
                    rows = written[name]
                    if rows is not None:
                        insert_frame(spec.table, written_rows(spec, rows))
            insert_frame(CustomerSegment._meta.db_table, segment_rows)
            insert_frame(Finding._meta.db_table, finding_rows)
            insert_frame(SlaEvent._meta.db_table, _sla_event_rows(sla, frames.tickets))
            whale = _store_whale(as_of)
            run.tickets = frames.tickets.height
            run.customers = frames.customers.height
            run.as_of = as_of
            run.baseline = {
                "month": _baseline_json(month_baseline),
                "quarter": _baseline_json(quarter_baseline),
                "coverage": _plain([coverage.first, coverage.last]) if coverage else None,
            }
            run.scope_report = _plain(scope.report)
            run.whale = whale
            run.thresholds = {
                "segments": segment_rules.as_dict(),
                "findings": _plain(findings_rules.__dict__),
            }
            run.status = AnalysisRun.Status.FINISHED
            run.finished_at = timezone.now()
            run.seconds = round(time.perf_counter() - started, 3)
            run.save()
            if ids is None:
                # Customers re-analysed after an import while this analysis ran have newer
                # data than it read: analyse them again, inside this transaction.
                again = _customers_analysed_since(read_started, run)
                if again:
                    analyze(
                        customer_ids=again,
                        now=now,
                        segment_thresholds=segment_thresholds,
                        finding_thresholds=finding_thresholds,
                    )
    except Exception as exc:
        run.status = AnalysisRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save()
        raise
    if ids is None:
        # Renewal risk and the thesis test, fitted on the figures just stored (issue 12).
        say("Renewal risk and the thesis test")
        do_fit_renewals(run=run, now=timezone.localdate(now))
    return run


def analyze_customers(customer_ids: Sequence[int]) -> AnalysisRun:
    """Re-analyse only these customers (called after an import or sync)."""
    return analyze(customer_ids=list(customer_ids))
