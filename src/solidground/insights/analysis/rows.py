"""Step 3 of an analysis: the rows to store, one frame per result table.

Each frame has the table's columns (``insights.models``): money rounded to cents, hours to
four places, lists and dictionaries (segment reasons, finding params) as JSON text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from solidground.engine.metrics import PortfolioBaseline
from solidground.insights.analysis.compute import AnalysisResult
from solidground.insights.models import (
    CustomerPeriod,
    CustomerTrend,
    TicketSla,
    evidence_fingerprint,
)
from solidground.insights.scope import ScopeResult
from solidground.insights.store import ResultTable


@dataclass(frozen=True, eq=False)  # eq=False: frames do not compare with ==
class ResultRows:
    """The rows an analysis stores, by table."""

    sla: pl.DataFrame | None  # TicketSla (None: no ticket has an SLA policy)
    scope: pl.DataFrame  # TicketScope
    periods: pl.DataFrame  # CustomerPeriod, months and quarters
    trends: pl.DataFrame  # CustomerTrend, months and quarters
    segments: pl.DataFrame  # CustomerSegment
    findings: pl.DataFrame  # Finding
    sla_events: pl.DataFrame  # SlaEvent

    def diffed(self) -> dict[str, pl.DataFrame | None]:
        """The rows of the tables a full analysis compares with (``read.DIFFED``'s names)."""
        return {
            "sla": self.sla,
            "scope": self.scope,
            "periods": self.periods,
            "trends": self.trends,
        }


def build_rows(result: AnalysisResult, tickets: pl.DataFrame) -> ResultRows:
    """The result's rows; ``tickets``: the frame read (customer, priority of SLA events)."""
    return ResultRows(
        sla=_sla_rows(result.sla) if result.sla.height else None,
        scope=_scope_rows(result.scope),
        periods=pl.concat([_period_rows(result.months), _period_rows(result.quarters)]),
        trends=_trend_rows(result.month_changes, result.quarter_changes),
        segments=_segment_rows(result.segments, result.previous_segments),
        findings=_finding_rows(result.findings),
        sla_events=_sla_event_rows(result.sla, tickets),
    )


def plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, NaN and infinity as null (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # NumPy scalars
        return plain(value.item())
    return value


def baseline_json(baseline: PortfolioBaseline) -> list[dict[str, Any]]:
    """The portfolio baseline as the run stores it (``compute._baseline_from_json`` reads it)."""
    return plain(baseline.frame.sort("period_start").to_dicts())


def _json(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False, allow_nan=False)


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


def _period_rows(figures: pl.DataFrame) -> pl.DataFrame:
    return figures.with_columns(
        *[pl.col(c).round(2) for c in _MONEY],
        *[pl.col(c).round(4) for c in figures.columns if c.startswith("hours_")],
    ).select(_PERIOD_COLUMNS)


def _trend_rows(month_changes: pl.DataFrame, quarter_changes: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            month_changes.with_columns(period_kind=pl.lit("month")),
            quarter_changes.with_columns(period_kind=pl.lit("quarter")),
        ]
    ).select(_columns(CustomerTrend))


def _sla_rows(sla: pl.DataFrame) -> pl.DataFrame:
    return sla.select(_columns(TicketSla)).with_columns(
        pl.col("first_response_state").fill_null(""),
        pl.col("resolution_state").fill_null(""),
        pl.col("first_response_near_breach").fill_null(False),
        pl.col("resolution_near_breach").fill_null(False),
        pl.col("paused_business_seconds").fill_null(0),
    )


def _scope_rows(scope: ScopeResult) -> pl.DataFrame:
    return scope.mapping.select(
        "ticket_id",
        pl.col("item_id").alias("catalogue_item_id"),
        "method",
        pl.col("keyword").fill_null(""),
        "confidence",
    )


def _segment_rows(segments: pl.DataFrame, previous_segments: pl.DataFrame) -> pl.DataFrame:
    rows = segments.select(
        "customer_id",
        "segment",
        "rule",
        "window_start",
        "window_end",
        pl.Series("reasons", [_json(r) for r in segments["reasons"]], dtype=pl.String),
        pl.Series("movers", [_json(r) for r in segments["movers"]], dtype=pl.String),
        pl.Series("figures", [_json(r) for r in segments["figures"]], dtype=pl.String),
    )
    return rows.join(previous_segments, on="customer_id", how="left").with_columns(
        pl.col("previous_segment").fill_null("")
    )


def _finding_rows(findings: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [f["customer_id"] for f in findings],
            "kind": [f["kind"] for f in findings],
            "severity": [f["severity"] for f in findings],
            "period_start": [f["period_start"] for f in findings],
            "params": [_json(f["params"]) for f in findings],
            # Of the params as stored (JSON), as a decision computes it from the row.
            "fingerprint": [
                evidence_fingerprint(f["kind"], json.loads(_json(f["params"]))) for f in findings
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
