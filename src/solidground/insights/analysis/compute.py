"""Step 2 of an analysis: the engine calls, from the frames read to one ``AnalysisResult``.

1. the SLA clock per ticket (``engine.sla``), reopens from the status history;
2. scope mapping of tickets without a recorded catalogue item (``insights/scope.py``);
3. figures per customer and month and quarter (``engine.metrics``), compared with the
   portfolio (median contact intensity, shrunken CSAT);
4. the date the analysis is "as of": the latest complete month with data;
5. segments (``engine.segments``), their figures' changes (``engine.trends``) and
   findings (``engine.findings``).

Nothing here writes; the only reads are the ticket texts the scope classifier needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings

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
from solidground.engine.sla import (
    SlaPolicy,
    evaluate_tickets,
    pauses_from_status_changes,
    reopen_counts,
)
from solidground.engine.trends import add_months, figure_changes
from solidground.insights.analysis import Progress
from solidground.insights.analysis.read import AnalysisInput
from solidground.insights.fetch import StoreFrames, load_policies
from solidground.insights.models import AnalysisRun
from solidground.insights.scope import ScopeResult, map_scope


@dataclass(frozen=True, eq=False)  # eq=False: frames do not compare with ==
class AnalysisResult:
    """What an analysis computed, before it is turned into rows and stored."""

    sla: pl.DataFrame  # per ticket with an SLA policy (engine.sla.evaluate_tickets)
    scope: ScopeResult  # tickets without a recorded catalogue item, mapped
    months: pl.DataFrame  # figures per customer and month, compared with the portfolio
    quarters: pl.DataFrame  # the same per quarter
    month_baseline: PortfolioBaseline
    quarter_baseline: PortfolioBaseline
    coverage: Coverage | None  # the days the data cover
    as_of: date  # the latest complete month with data
    segments: pl.DataFrame  # engine.segments.assign_segments, as of as_of's quarter
    previous_segments: pl.DataFrame  # customer_id, previous_segment (a quarter earlier)
    month_changes: pl.DataFrame  # engine.trends.figure_changes for the month as_of
    quarter_changes: pl.DataFrame  # the same for each customer's segment window end
    findings: list[dict[str, Any]]  # engine.findings.build_findings
    segment_rules: SegmentThresholds
    finding_rules: FindingThresholds


def compute(
    data: AnalysisInput,
    *,
    now: datetime,
    segment_rules: SegmentThresholds,
    finding_rules: FindingThresholds,
    say: Progress,
) -> AnalysisResult:
    """Run the engine on the frames read (the steps in the module's docstring)."""
    frames = data.frames
    say("Running the SLA clock")
    sla = _sla_clock(frames, data.policies, data.pausing, now=now)
    say("Mapping tickets to the service catalogue")
    scope = map_scope(
        frames.tickets, frames.items, train_classifier=data.full, previous=data.previous_scope
    )
    inputs = _metric_inputs(frames, sla, scope)
    say("Computing monthly and quarterly figures")
    stored = data.previous.baseline if data.previous is not None else {}
    coverage = _coverage(inputs, stored.get("coverage"))
    months, month_baseline = _figures(
        inputs, "month", _baseline_from_json(stored.get("month")), coverage
    )
    quarters, quarter_baseline = _figures(
        inputs, "quarter", _baseline_from_json(stored.get("quarter")), coverage
    )
    as_of = _as_of(frames, data.previous, now=now)
    say("Segments, trends and findings")
    segments, previous_segments = _segments(
        quarters, quarter_baseline, as_of, segment_rules, data.cancelled
    )
    quarter_changes = _quarter_changes(quarters, segments)
    findings = build_findings(
        segments=segments,
        quarters=quarters,
        quarter_changes=quarter_changes,
        out_of_scope=_out_of_scope(inputs, frames.items, as_of, finding_rules),
        as_of=as_of,
        thresholds=finding_rules,
        surveys=frames.surveys,
        now=now,
    )
    return AnalysisResult(
        sla=sla,
        scope=scope,
        months=months,
        quarters=quarters,
        month_baseline=month_baseline,
        quarter_baseline=quarter_baseline,
        coverage=coverage,
        as_of=as_of,
        segments=segments,
        previous_segments=previous_segments,
        month_changes=figure_changes(months, kind="month", periods=[as_of]),
        quarter_changes=quarter_changes,
        findings=findings,
        segment_rules=segment_rules,
        finding_rules=finding_rules,
    )


def evaluate_sla(frames: StoreFrames, *, now: datetime) -> pl.DataFrame:
    """Per-ticket SLA results from the engine, for tickets that have an SLA policy."""
    policies, pausing = load_policies()
    return _sla_clock(frames, policies, pausing, now=now)


def _sla_clock(
    frames: StoreFrames,
    policies: dict[int, SlaPolicy],
    pausing: dict[int, list[str]],
    *,
    now: datetime,
) -> pl.DataFrame:
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


def _metric_inputs(frames: StoreFrames, sla: pl.DataFrame, scope: ScopeResult) -> MetricInputs:
    """The engine's inputs: tickets with their reopens and (recorded or mapped) item."""
    tickets = (
        _reopens(frames)
        .join(
            scope.mapping.select("ticket_id", pl.col("item_id").alias("_mapped")),
            on="ticket_id",
            how="left",
        )
        .with_columns(item_id=pl.coalesce("catalogue_item_id", "_mapped"))
    )
    return MetricInputs(
        tickets=tickets,
        sla=sla if sla.height else None,
        time_entries=frames.time_entries,
        revenue=frames.revenue,
        surveys=frames.surveys,
        interactions=frames.interactions,
        customers=frames.customers,
        items=frames.items,
    )


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


def _coverage(inputs: MetricInputs, stored: object) -> Coverage | None:
    """The days the data cover: of the rows read, and (a re-analysis of some customers) of
    the portfolio as the last full analysis stored it, so partial periods stay the same."""
    read = data_coverage(inputs, timezone=settings.TIME_ZONE)
    if isinstance(stored, list) and len(stored) == 2:
        before = Coverage(date.fromisoformat(stored[0]), date.fromisoformat(stored[1]))
        return before.union(read)
    return read


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


def _as_of(frames: StoreFrames, previous: AnalysisRun | None, *, now: datetime) -> date:
    """The latest month with data (or the last full analysis's), at most the last complete
    month before ``now``."""
    latest = _latest_data_month(frames)
    if previous is not None and previous.as_of is not None:
        latest = max(latest, previous.as_of) if latest else previous.as_of
    last_complete = add_months(_month_of(now), -1)
    return min(latest, last_complete) if latest else last_complete


def _segments(
    quarters: pl.DataFrame,
    baseline: PortfolioBaseline,
    as_of: date,
    rules: SegmentThresholds,
    cancelled: list[int],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each customer's segment as of ``as_of``'s quarter, and (customer_id,
    previous_segment) by the same rules a quarter earlier: what changed since (pages, tiles)."""
    as_of_quarter = last_complete_quarter(as_of)
    segments = assign_segments(
        quarters,
        baseline.frame,
        as_of_quarter=as_of_quarter,
        thresholds=rules,
        cancelled=cancelled,
    )
    previous = assign_segments(
        quarters,
        baseline.frame,
        as_of_quarter=add_months(as_of_quarter, -3),
        thresholds=rules,
        cancelled=cancelled,
    ).select("customer_id", pl.col("segment").alias("previous_segment"))
    return segments, previous


def _quarter_changes(quarters: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """The quarterly figures' changes at the end of each customer's segment window."""
    window_ends = segments.select("customer_id", pl.col("window_end").alias("period_start"))
    return figure_changes(
        quarters, kind="quarter", periods=window_ends["period_start"].unique().to_list()
    ).join(window_ends, on=["customer_id", "period_start"], how="inner")


def _out_of_scope(
    inputs: MetricInputs, items: pl.DataFrame, as_of: date, rules: FindingThresholds
) -> pl.DataFrame:
    """The out-of-scope work of the findings' months, with each item's name, code and rate."""
    return out_of_scope_ledger(
        inputs,
        first_month=add_months(as_of, -(rules.months - 1)),
        last_month=as_of,
        timezone=settings.TIME_ZONE,
    ).join(
        items.select(
            "item_id",
            pl.col("name").alias("item_name"),
            pl.col("code").alias("item_code"),
            "rate",
        ),
        on="item_id",
        how="left",
    )
