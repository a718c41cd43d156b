"""Segments with transparent rules: service trap, at risk, unprofitable, quiet, watch, solid.

Each customer is judged on a **window**: the last ``window_quarters`` complete quarters up to
the analysis date, or up to the customer's last quarter with any activity if that is earlier
(a customer who left is judged on the year up to its last active quarter, not on silence).
The window never starts before the customer's first quarter with data: on a short history
it is shorter, and every per-month figure is divided by the months it really covers (a
quarter the data covers only in part counts its covered days, ``days_covered``).

**Baselines.** The rules that compare with the past (margin falling, goodwill eating the
margin, CSAT falling) use the same window a year before when the data cover all of it. When
they do not (a history shorter than two years, a customer who joined later), they use the
trend inside the available history: the customer's quarters up to the window's end (at most
two windows) in two halves, the first against the second ("first half", at least
``min_history_quarters`` quarters of history). With less than that the comparison is
"not enough history": the condition is kept in the reasons with that baseline, never passed
silently. Each such condition names its baseline (``year_before``, ``first_half`` or
``not_enough_history``) and, when the year before was only partly covered, how many of its
quarters were (``reference_quarters``).

Rules are checked in this order and the first that holds places the customer:

1. **service trap**: goodwill high or creeping (goodwill share of customer-facing hours at
   least ``goodwill_share``, or rising in each of the last two quarters to at least
   ``goodwill_creep_floor``) **and** contact intensity high or rising (contacts per seat at
   least ``contact_high`` times the portfolio median, or tickets per endpoint up by at least
   ``ticket_rise`` over the last two quarters, rising in each) **and** margin falling or low
   (agreement margin at least ``margin_fall`` below the baseline, or below ``margin_low``,
   the upper end of the field's 30-35% warning line, or goodwill work's cost up by at least
   ``margin_fall`` of the agreement's revenue against the baseline: billed extras can keep
   the total margin up while goodwill eats it). Praise does not matter: CSAT is not part of
   the rule. Warning signs of risk are kept in the reasons.
2. **at risk**: any of: SLA compliance clearly below target (first response or resolution:
   even the upper end of the Wilson interval at level ``risk_alpha`` below ``sla_target``,
   with at least ``sla_min_missed`` tickets late); unhappy answers clearly above the usual
   few percent (at least ``unhappy_min_answers`` unhappy answers, a share of at least
   ``unhappy_share`` and the interval's lower end above ``unhappy_floor``); many tickets
   noticed negatively (share at least ``noticed_share`` and the interval's lower end above
   ``noticed_floor``); or CSAT fell significantly (Newcombe, ``falling_alpha``) against the
   quarter before or the baseline. Also at risk (rule ``cancelled_after_problems``): a
   customer who has cancelled with one of these figures past its line, though too few
   tickets or answers to rule out chance.
3. **unprofitable**: agreement margin below ``margin_negative`` (0) without the trap's signals.
4. **quiet**: contact intensity below ``quiet_contact`` times the median and no survey answer
   of any kind in the window: satisfaction is unknown, not assumed.
5. **watch**: none of the above, but not solid either: the customer has cancelled, or its
   margin is under ``margin_thin`` (near zero) or unknown, or it is just inside the line on
   at least ``watch_near_misses`` tests: reliability (SLA met under ``near_sla``, tickets
   noticed negatively at least ``near_noticed``), satisfaction (unhappy answers at least
   ``near_unhappy``), profit (margin under ``margin_low``), goodwill and contact intensity at
   the trap's line. The reasons list each.
6. **solid**: passes the reliability, satisfaction and profit tests with room to spare:
   reliable, not unhappy, a margin of at least ``margin_thin``, near misses on one test at
   most and not cancelled. Where there are no answers the reasons say that satisfaction is
   unknown.

Customers without any activity in the window are **unclassified**.

Defaults follow the field figures in docs/domain.md: SLA met 90-95% as the published norm, about 95%
positive CSAT with an unhappy rate of a few percent, unbilled time over about 8% of agreement
hours and agreement margin under 30-35% as scope-creep warnings, tickets per endpoint up
15-25% quarter on quarter. Every segment carries the conditions that placed it (``reasons``)
and the ones that would move it (``movers``), each with its figure, interval and threshold.

Where the code lives: this module holds the public API (:func:`assign_segments`, ``SEGMENTS``,
``BASELINES``) and the steps that gather each customer's window;
``engine.segment_conditions`` the thresholds and the typed results (``SegmentThresholds``,
``Condition``, ``Baseline``, ``Judgement``); ``engine.segment_window`` the window figures;
``engine.segment_rules`` the rules above, one function each (``judge``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Final

import numpy as np
import polars as pl

from solidground.engine.segment_conditions import Condition, Judgement, SegmentThresholds
from solidground.engine.segment_rules import judge
from solidground.engine.segment_window import first_quarters, halves, window_figures
from solidground.engine.stats import poisson_rate_test
from solidground.engine.trends import creep

__all__ = [
    "BASELINES",
    "SEGMENTS",
    "Condition",
    "Judgement",
    "SegmentThresholds",
    "assign_segments",
    "first_quarters",
    "window_figures",
]

SEGMENTS: Final = (
    "solid",
    "watch",
    "service_trap",
    "at_risk",
    "quiet",
    "unprofitable",
    "unclassified",
)
# The baselines a comparison with the past can have (see the module docstring).
BASELINES: Final = ("year_before", "first_half", "not_enough_history")

# The frame assign_segments returns; reasons, movers and figures stay Python objects.
_SCHEMA: Final = {
    "customer_id": pl.Int64,
    "segment": pl.String,
    "rule": pl.String,
    "window_start": pl.Date,
    "window_end": pl.Date,
    "reasons": pl.Object,
    "movers": pl.Object,
    "figures": pl.Object,
}


def assign_segments(
    quarters: pl.DataFrame,
    baseline: pl.DataFrame,
    *,
    as_of_quarter: date,
    thresholds: SegmentThresholds | None = None,
    cancelled: Collection[int] = (),
) -> pl.DataFrame:
    """One row per customer with data: segment, rule, window, reasons, movers, figures.

    ``quarters``: the quarterly metrics frame (customer_period_metrics, kind "quarter").
    ``baseline``: the quarterly PortfolioBaseline frame. ``cancelled``: ids of customers who
    have cancelled (never solid). ``reasons`` and ``movers`` are lists of conditions
    ``{"key", "met", "value", "low", "high", "n", "threshold", ...}`` (``Condition.as_dict``):
    the presentation layer turns each key into a sentence (insights.messages).
    """
    t = thresholds or SegmentThresholds()
    gone = {int(customer) for customer in cancelled}
    quarters = _with_cost_columns(quarters)
    window = window_figures(
        quarters, baseline, as_of_quarter=as_of_quarter, window_quarters=t.window_quarters
    )
    ends = window.select("customer_id", "window_end")
    window = _with_history(window, quarters, baseline, ends, as_of_quarter=as_of_quarter, t=t)
    window = _with_quarter_on_quarter(window, quarters, ends)
    window = _with_creeps(window, quarters)
    window = _with_ticket_run_test(window)
    judgements = [
        judge(row, t, cancelled=int(row["customer_id"]) in gone)
        for row in window.iter_rows(named=True)
    ]
    return _frame(judgements)


def _with_cost_columns(quarters: pl.DataFrame) -> pl.DataFrame:
    """``revenue_project`` (0) and ``goodwill_cost`` for frames without them."""
    if "revenue_project" not in quarters.columns:
        quarters = quarters.with_columns(revenue_project=pl.lit(0.0))
    if "goodwill_cost" not in quarters.columns:
        # Frames without it (made by hand): goodwill hours at the quarter's cost per hour.
        quarters = quarters.with_columns(
            goodwill_cost=pl.when(pl.col("hours_worked") > 0)
            .then(pl.col("labour_cost") * pl.col("hours_goodwill") / pl.col("hours_worked"))
            .otherwise(0.0)
        )
    return quarters


def _with_history(
    window: pl.DataFrame,
    quarters: pl.DataFrame,
    baseline: pl.DataFrame,
    ends: pl.DataFrame,
    *,
    as_of_quarter: date,
    t: SegmentThresholds,
) -> pl.DataFrame:
    """The baselines' figures: the same window a year before, and the history's two halves."""
    year_before = window_figures(
        quarters,
        baseline,
        as_of_quarter=as_of_quarter,
        window_quarters=t.window_quarters,
        shift_months=-12,
        window_ends=ends,
    ).select(
        "customer_id",
        pl.col("margin_share").alias("margin_share_year_before"),
        pl.col("goodwill_cost_share").alias("goodwill_cost_share_year_before"),
        pl.col("csat_positive").alias("csat_positive_year_before"),
        pl.col("csat_responses").alias("csat_responses_year_before"),
        pl.col("quarters_with_data").alias("year_before_quarters"),
        pl.col("partial_quarters").alias("year_before_partial"),
    )
    return window.join(year_before, on="customer_id", how="left").join(
        halves(
            quarters,
            window,
            window_quarters=t.window_quarters,
            minimum=t.min_history_quarters,
        ),
        on="customer_id",
        how="left",
    )


def _with_quarter_on_quarter(
    window: pl.DataFrame, quarters: pl.DataFrame, ends: pl.DataFrame
) -> pl.DataFrame:
    """CSAT of the window's last quarter and of the one before, per customer."""
    last = quarters.join(ends, on="customer_id").filter(
        pl.col("period_start") == pl.col("window_end")
    )
    previous = quarters.join(ends, on="customer_id").filter(
        pl.col("period_start") == pl.col("window_end").dt.offset_by("-3mo")
    )
    qoq = last.select("customer_id", "csat_positive", "csat_responses").join(
        previous.select(
            "customer_id",
            pl.col("csat_positive").alias("csat_positive_prev"),
            pl.col("csat_responses").alias("csat_responses_prev"),
        ),
        on="customer_id",
        how="left",
    )
    return window.join(
        qoq.rename(
            {"csat_positive": "csat_positive_last", "csat_responses": "csat_responses_last"}
        ),
        on="customer_id",
        how="left",
    )


def _creep(window: pl.DataFrame, quarters: pl.DataFrame, figure: str) -> pl.DataFrame:
    """The creep of one figure up to each customer's window end (trends.creep)."""
    rows = []
    for (end,), group in window.group_by("window_end"):
        customers = group["customer_id"]
        found = creep(
            quarters.select("customer_id", "period_start", figure).filter(
                pl.col("customer_id").is_in(customers.implode())
            ),
            figure,
            last_quarter=end,
        )
        rows.append(found)
    if rows:
        return pl.concat(rows)
    return pl.DataFrame(
        schema={
            "customer_id": pl.Int64,
            "rising": pl.Boolean,
            "relative_increase": pl.Float64,
            "run_length": pl.Int64,
            "values": pl.List(pl.Float64),
        }
    )


def _with_creeps(window: pl.DataFrame, quarters: pl.DataFrame) -> pl.DataFrame:
    """Goodwill share and tickets creeping: {figure}_rising, _increase and _quarters."""
    creeps = {figure: _creep(window, quarters, figure) for figure in ("goodwill_share", "tickets")}
    for figure, frame in creeps.items():
        window = window.join(
            frame.select(
                "customer_id",
                pl.col("rising").alias(f"{figure}_rising"),
                pl.col("relative_increase").alias(f"{figure}_increase"),
                pl.col("values").alias(f"{figure}_quarters"),
            ),
            on="customer_id",
            how="left",
        )
    return window


def _with_ticket_run_test(window: pl.DataFrame) -> pl.DataFrame:
    """Tickets of the creep run, first against last quarter, for all customers at once (the
    endpoints are the same, so the rates compare as counts per quarter: equal exposure)."""
    ends_of_run = window.select(
        first=pl.col("tickets_quarters").list.first(), last=pl.col("tickets_quarters").list.last()
    )
    run_first = ends_of_run["first"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    run_last = ends_of_run["last"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return window.with_columns(
        pl.Series(
            "tickets_p_value", poisson_rate_test(run_last, 1.0, run_first, 1.0).p_value
        ).fill_nan(None)
    )


def _frame(judgements: list[Judgement]) -> pl.DataFrame:
    if not judgements:
        return pl.DataFrame(schema=_SCHEMA)
    return pl.DataFrame([j.to_row() for j in judgements], schema=_SCHEMA)
