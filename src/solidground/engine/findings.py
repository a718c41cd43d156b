"""Findings a service manager can act on, each with the evidence behind it.

A finding is a message key, a severity and parameters (numbers, shares with intervals, item
names): the presentation layer turns it into a sentence in the reader's language
(``solidground.insights.messages``). The engine never writes prose.

Kinds:

``out_of_scope_free``
    Work on tickets mapped to a catalogue item the contract does not include, done free, over
    the last ``months`` months: tickets, hours, value at the item's rate, and a monthly price
    that would cover it ("add to the contract at EUR x/month or bill from now").
``sla_resolution_down`` / ``sla_response_down`` / ``csat_down``
    The share in the customer's last quarter is significantly lower (Newcombe) than in the
    quarter before or the same quarter a year before.
``tickets_up``
    Tickets rose significantly (Poisson rate test) against the quarter before, by at least the
    field's 15%.
``unhappy_high``, ``sla_resolution_low``, ``sla_response_low``, ``noticed_high``,
``goodwill_high``, ``goodwill_creeping``, ``tickets_rising``, ``margin_falling``,
``margin_negative``, ``no_answers``
    The conditions that placed the customer in an alarming segment, restated as findings.
``reopen_high``
    Reopen rate in the last quarter at least 8% (the field's "a problem") with the interval's
    lower end above 5%.
``unhappy_answer``
    Unhappy answers (the bottom quarter of the scale) to ticket or relationship surveys in the
    30 days (``RECENT_ANSWER_DAYS``) before the analysis: a single one is worth a call, whatever
    the rates say.

Inside the engine a finding is a :class:`Finding`; the public functions return each as the
plain dict the store reads (``Finding.as_dict``: customer_id, kind, severity, period_start,
params).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import polars as pl

from solidground.engine.portfolio import answer_polarity
from solidground.engine.stats import wilson_interval

__all__ = ["SEVERITY", "Finding", "FindingThresholds", "build_findings", "unhappy_answers"]

SEVERITY: Final = {"info": 1, "warning": 2, "urgent": 3}

_SEGMENT_FINDINGS: Final = {
    "at_risk": {
        "sla_resolution_low": "urgent",
        "sla_response_low": "urgent",
        "unhappy_high": "urgent",
        "noticed_high": "warning",
        # Cancelled after service problems (engine.segments, rule cancelled_after_problems).
        "cancelled": "urgent",
        "sla_resolution_under": "warning",
        "sla_response_under": "warning",
        "unhappy_over": "warning",
        "noticed_over": "warning",
    },
    "service_trap": {
        "goodwill_high": "warning",
        "goodwill_creeping": "warning",
        "tickets_rising": "warning",
        "margin_falling": "warning",
        "goodwill_cost_rising": "warning",
    },
    "unprofitable": {"margin_negative": "warning"},
    "quiet": {"no_answers": "info"},
}
_DROPS: Final = {
    "sla_resolution": "sla_resolution_down",
    "sla_response": "sla_response_down",
    "csat": "csat_down",
}


@dataclass(frozen=True)
class FindingThresholds:
    """When a finding is worth a service manager's attention."""

    months: int = 6
    out_of_scope_min_tickets: int = 3
    out_of_scope_min_value: float = 250.0
    # The monthly price suggested for covering free work is rounded up to this step.
    price_step: float = 5.0
    reopen_share: float = 0.08
    reopen_floor: float = 0.05
    ticket_rise: float = 0.15


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: the customer, its kind (the message key), severity (``SEVERITY``), the
    period it speaks of and its evidence (``params``, in the order the message reads them)."""

    customer_id: int
    kind: str
    severity: int
    period_start: date
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "kind": self.kind,
            "severity": self.severity,
            "period_start": self.period_start,
            "params": self.params,
        }


def _finding(
    customer_id: int, kind: str, severity: str, period_start: date, **params: Any
) -> Finding:
    return Finding(customer_id, kind, SEVERITY[severity], period_start, params)


def _out_of_scope(ledger: pl.DataFrame, t: FindingThresholds, as_of: date) -> list[Finding]:
    found = []
    eligible = ledger.filter(
        (pl.col("tickets") >= t.out_of_scope_min_tickets)
        & (pl.col("value") >= t.out_of_scope_min_value)
    )
    for row in eligible.iter_rows(named=True):
        value = float(row["value"])
        monthly = math.ceil(value / t.months / t.price_step) * t.price_step
        found.append(
            _finding(
                int(row["customer_id"]),
                "out_of_scope_free",
                "warning" if value >= 4 * t.out_of_scope_min_value else "info",
                as_of,
                item=row["item_name"],
                item_code=row["item_code"],
                item_id=int(row["item_id"]),
                tickets=int(row["tickets"]),
                hours=float(row["hours"]),
                value=value,
                rate=float(row["rate"]) if row["rate"] is not None else None,
                months=t.months,
                monthly_price=monthly,
            )
        )
    return found


def _drops(changes: pl.DataFrame, last_quarter: pl.DataFrame) -> list[Finding]:
    """Significant falls of shares in each customer's last quarter."""
    found = []
    rows = changes.join(
        last_quarter.select("customer_id", pl.col("window_end").alias("period_start")),
        on=["customer_id", "period_start"],
        how="inner",
    ).filter(pl.col("figure").is_in(list(_DROPS)) & pl.col("significant") & (pl.col("change") < 0))
    # One finding per customer and figure: the quarter before if it fell, else the year before.
    rows = rows.sort("baseline", descending=True).unique(
        ["customer_id", "figure"], keep="first", maintain_order=True
    )
    counts = last_quarter.select(
        "customer_id",
        "csat_positive",
        "csat_responses",
        "sla_resolution_met",
        "sla_resolution_total",
        "sla_response_met",
        "sla_response_total",
    )
    rows = rows.join(counts, on="customer_id", how="left")
    for row in rows.iter_rows(named=True):
        figure = row["figure"]
        successes, n = {
            "csat": ("csat_positive", "csat_responses"),
            "sla_resolution": ("sla_resolution_met", "sla_resolution_total"),
            "sla_response": ("sla_response_met", "sla_response_total"),
        }[figure]
        low, high = wilson_interval(int(row[successes]), int(row[n]))
        found.append(
            _finding(
                int(row["customer_id"]),
                _DROPS[figure],
                "urgent" if figure.startswith("sla") else "warning",
                row["period_start"],
                value=float(row["value"]),
                low=float(low),
                high=float(high),
                n=int(row[n]),
                reference=float(row["reference"]),
                reference_start=row["reference_start"],
                baseline=row["baseline"],
                change=float(row["change"]),
                change_low=float(row["low"]),
                change_high=float(row["high"]),
            )
        )
    return found


def _ticket_rises(
    changes: pl.DataFrame, last_quarter: pl.DataFrame, t: FindingThresholds
) -> list[Finding]:
    rows = changes.join(
        last_quarter.select("customer_id", pl.col("window_end").alias("period_start")),
        on=["customer_id", "period_start"],
        how="inner",
    ).filter(
        (pl.col("figure") == "tickets")
        & (pl.col("baseline") == "previous")
        & pl.col("significant")
        & (pl.col("change") >= 1 + t.ticket_rise)
    )
    return [
        _finding(
            int(row["customer_id"]),
            "tickets_up",
            "warning",
            row["period_start"],
            value=int(row["value"]),
            reference=int(row["reference"]),
            ratio=float(row["change"]),
            p_value=float(row["p_value"]),
        )
        for row in rows.iter_rows(named=True)
    ]


def _reopens(last_quarter: pl.DataFrame, t: FindingThresholds) -> list[Finding]:
    found = []
    rows = last_quarter.filter(pl.col("resolved") > 0).select(
        "customer_id", "window_end", "reopened", "resolved"
    )
    # The intervals for all rows at once (each row's is computed on its own either way).
    lows, highs = wilson_interval(rows["reopened"].to_numpy(), rows["resolved"].to_numpy())
    for row, low, high in zip(rows.iter_rows(named=True), lows, highs, strict=True):
        reopened, resolved = int(row["reopened"]), int(row["resolved"])
        share = reopened / resolved
        if share >= t.reopen_share and float(low) > t.reopen_floor:
            found.append(
                _finding(
                    int(row["customer_id"]),
                    "reopen_high",
                    "warning",
                    row["window_end"],
                    value=share,
                    low=float(low),
                    high=float(high),
                    n=resolved,
                    threshold=t.reopen_share,
                )
            )
    return found


def _from_segments(segments: pl.DataFrame) -> list[Finding]:
    """The conditions that placed a customer in an alarming segment, restated as findings
    (``segments``: assign_segments' frame, its conditions as plain dicts)."""
    found = []
    for row in segments.iter_rows(named=True):
        wanted = _SEGMENT_FINDINGS.get(row["segment"], {})
        for condition in row["reasons"] or []:
            severity = wanted.get(condition["key"])
            if severity is None:
                continue
            params = {k: v for k, v in condition.items() if k not in ("key", "met")}
            params["window_start"] = row["window_start"]
            found.append(
                _finding(
                    int(row["customer_id"]),
                    condition["key"],
                    severity,
                    row["window_end"],
                    **params,
                )
            )
    return found


RECENT_ANSWER_DAYS: Final = 30


def unhappy_answers(
    surveys: pl.DataFrame, *, now: datetime, days: int = RECENT_ANSWER_DAYS
) -> list[dict[str, Any]]:
    """One ``unhappy_answer`` finding per customer with unhappy ticket or relationship answers
    answered in the ``days`` before ``now`` (``surveys``: the store's survey frame)."""
    return [f.as_dict() for f in _unhappy_answers(surveys, now=now, days=days)]


def _unhappy_answers(surveys: pl.DataFrame, *, now: datetime, days: int) -> list[Finding]:
    since = now - timedelta(days=days)
    recent = surveys.filter(
        pl.col("kind").is_in(["ticket_csat", "relationship"])
        & pl.col("answered_at").is_not_null()
        & (pl.col("answered_at") >= since)
        & (pl.col("answered_at") <= now)
    ).filter(answer_polarity(pl.col("score"), pl.col("scale_min"), pl.col("scale_max")) == -1)
    if recent.is_empty():
        return []
    grouped = (
        recent.group_by("customer_id")
        .agg(answers=pl.len(), latest=pl.col("answered_at").max())
        .sort("customer_id")
    )
    return [
        _finding(
            int(row["customer_id"]),
            "unhappy_answer",
            "urgent",
            row["latest"].date(),
            answers=int(row["answers"]),
            days=days,
            latest=row["latest"].date().isoformat(),
        )
        for row in grouped.iter_rows(named=True)
    ]


def build_findings(
    *,
    segments: pl.DataFrame,
    quarters: pl.DataFrame,
    quarter_changes: pl.DataFrame,
    out_of_scope: pl.DataFrame,
    as_of: date,
    thresholds: FindingThresholds | None = None,
    surveys: pl.DataFrame | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every finding, most severe first.

    ``segments``: :func:`solidground.engine.segments.assign_segments`. ``quarters``: the
    quarterly metrics. ``quarter_changes``: :func:`solidground.engine.trends.figure_changes`
    for quarters. ``out_of_scope``: customer_id, item_id, item_name, item_code, rate,
    tickets, hours, value over the last ``thresholds.months`` months. ``as_of``: the last
    complete month (the out-of-scope window's last month). ``surveys`` and ``now``: the survey
    frame and the analysis time, for ``unhappy_answer`` (left out without them).
    """
    t = thresholds or FindingThresholds()
    last_quarter = quarters.join(
        segments.select("customer_id", "window_end"), on="customer_id", how="inner"
    ).filter(pl.col("period_start") == pl.col("window_end"))
    found = [
        *_from_segments(segments),
        *_drops(quarter_changes, last_quarter),
        *_ticket_rises(quarter_changes, last_quarter, t),
        *_reopens(last_quarter, t),
        *_out_of_scope(out_of_scope, t, as_of),
        *(
            _unhappy_answers(surveys, now=now, days=RECENT_ANSWER_DAYS)
            if surveys is not None and now is not None
            else []
        ),
    ]
    found.sort(key=lambda f: (-f.severity, f.customer_id, f.kind))
    return [f.as_dict() for f in found]
