"""Segments with transparent rules: solid, service trap, at risk, quiet, unprofitable.

Each customer is judged on a **window**: the last ``window_quarters`` complete quarters up to
the analysis date, or up to the customer's last quarter with any activity if that is earlier
(a customer who left is judged on their last half year, not on silence). Rules are checked in
this order and the first that holds places the customer:

1. **at risk**: any of: SLA compliance clearly below target (first response or resolution:
   even the upper end of the 95% Wilson interval below ``sla_target``); unhappy answers
   clearly above the usual few percent (at least ``unhappy_min_answers`` unhappy answers, a
   share of at least ``unhappy_share`` and the interval's lower end above ``unhappy_floor``);
   many tickets noticed negatively (share at least ``noticed_share`` and the interval's lower
   end above ``noticed_floor``); or CSAT fell significantly (Newcombe) against the quarter
   before or the same window a year before.
2. **service trap**: goodwill high or creeping (goodwill share of customer-facing hours at
   least ``goodwill_share``, or rising in each of the last two quarters to at least
   ``goodwill_creep_floor``) **and** contact intensity high or rising (contacts per seat at
   least ``contact_high`` times the portfolio median, or tickets per endpoint up by at least
   ``ticket_rise`` over the last two quarters, rising in each) **and** margin falling or low
   (agreement margin at least ``margin_fall`` below the same window a year before, or below
   ``margin_low``, the upper end of the field's 30-35% warning line). Praise does not matter:
   CSAT is not part of the rule.
3. **unprofitable**: agreement margin below ``margin_negative`` (0) without the trap's signals.
4. **quiet**: contact intensity below ``quiet_contact`` times the median and no survey answer
   of any kind in the window: satisfaction is unknown, not assumed.
5. **solid**: none of the above: reliable, not unhappy, profitable. Where there are no answers
   the reasons say that satisfaction is unknown.

Customers without any activity in the window are **unclassified**.

Defaults follow DOMAIN.md's field figures: SLA met 90-95% as the published norm, about 95%
positive CSAT with an unhappy rate of a few percent, unbilled time over about 8% of agreement
hours and agreement margin under 30-35% as scope-creep warnings, tickets per endpoint up
15-25% quarter on quarter. Every segment carries the conditions that placed it (``reasons``)
and the ones that would move it (``movers``), each with its figure, interval and threshold.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import polars as pl

from solidground.engine.stats import newcombe_difference, poisson_rate_test, wilson_interval
from solidground.engine.trends import SIGNIFICANCE, creep

__all__ = [
    "SEGMENTS",
    "SegmentThresholds",
    "assign_segments",
    "window_figures",
]

SEGMENTS: Final = ("solid", "service_trap", "at_risk", "quiet", "unprofitable", "unclassified")

Condition = dict[str, Any]


@dataclass(frozen=True)
class SegmentThresholds:
    """Thresholds of the segment rules; defaults from DOMAIN.md's field figures."""

    # A year: enough tickets and answers per customer to tell a pattern from bad luck; the
    # quarterly findings speak of the latest quarter.
    window_quarters: int = 4
    # Reliability: the SLA compliance MSPs promise (90-95% of tickets in time).
    sla_target: float = 0.90
    # Satisfaction: about 95% positive is usual, an unhappy rate of a few percent; at risk when
    # the data rule out less than twice that. One unhappy answer is an anecdote (a finding to
    # follow up), not a segment.
    unhappy_share: float = 0.10
    unhappy_floor: float = 0.10
    unhappy_min_answers: int = 2
    # A fall of CSAT moves a customer only at the 99% level: with hundreds of customers and
    # two comparisons each, the 95% level flags several customers a quarter by chance alone.
    falling_alpha: float = 0.01
    # Noticed negatively (breach, reopen, escalation or complaint): about one ticket in eight
    # is usual (a few percent breaches of each clock, reopens under 5-8%, escalations and
    # complaints rare); at risk when the data rule out less than twice that.
    noticed_share: float = 0.25
    noticed_floor: float = 0.25
    # The service trap.
    goodwill_share: float = 0.08
    goodwill_creep_floor: float = 0.08
    contact_high: float = 1.5
    ticket_rise: float = 0.15
    margin_fall: float = 0.05
    margin_low: float = 0.35
    # Unprofitable and quiet.
    margin_negative: float = 0.0
    quiet_contact: float = 0.5

    def as_dict(self) -> dict[str, float]:
        return {key: float(value) for key, value in asdict(self).items()}


_SUMS: Final = (
    "tickets",
    "interactions",
    "csat_responses",
    "csat_positive",
    "csat_negative",
    "sla_response_total",
    "sla_response_met",
    "sla_resolution_total",
    "sla_resolution_met",
    "resolved",
    "reopened",
    "noticed_negatively",
    "escalations",
    "complaints",
    "answers",
    "hours_billed",
    "hours_included",
    "hours_goodwill",
    "hours_internal",
    "revenue",
    "labour_cost",
    "direct_cost",
    "out_of_scope_free_hours",
    "out_of_scope_free_value",
)


def _active(frame: pl.DataFrame) -> pl.Expr:
    return (pl.col("tickets") > 0) | (pl.col("hours_worked") > 0) | (pl.col("revenue") > 0)


def window_figures(
    quarters: pl.DataFrame,
    baseline: pl.DataFrame,
    *,
    as_of_quarter: date,
    window_quarters: int,
    shift_months: int = 0,
    window_ends: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Sum each customer's quarters over the window and derive its shares and ratios.

    ``baseline`` holds the quarterly portfolio medians (period_start,
    median_contacts_per_seat). ``shift_months`` moves every window back (-12: the same window
    a year before). ``window_ends`` (customer_id, window_end) fixes the windows; otherwise
    each ends at min(as_of_quarter, the customer's last active quarter).
    """
    if window_ends is None:
        window_ends = (
            quarters.filter(_active(quarters) & (pl.col("period_start") <= as_of_quarter))
            .group_by("customer_id")
            .agg(window_end=pl.col("period_start").max())
        )
    ends = window_ends.with_columns(
        window_end=pl.col("window_end").dt.offset_by(f"{shift_months}mo")
    ).with_columns(
        window_start=pl.col("window_end").dt.offset_by(f"{-3 * (window_quarters - 1)}mo")
    )
    rows = (
        quarters.join(ends, on="customer_id", how="inner")
        .filter(pl.col("period_start").is_between(pl.col("window_start"), pl.col("window_end")))
        .join(
            baseline.select("period_start", "median_contacts_per_seat"),
            on="period_start",
            how="left",
        )
    )
    grouped = rows.group_by("customer_id").agg(
        *[pl.col(c).sum() for c in _SUMS],
        seats=pl.col("seats").max(),
        endpoints=pl.col("endpoints").max(),
        median_contacts_per_seat=pl.col("median_contacts_per_seat").mean(),
        quarters_with_data=pl.len(),
    )
    frame = ends.join(grouped, on="customer_id", how="left").with_columns(
        *[pl.col(c).fill_null(0) for c in _SUMS],
        pl.col("quarters_with_data").fill_null(0),
    )
    months = 3 * window_quarters
    facing = pl.col("hours_billed") + pl.col("hours_included") + pl.col("hours_goodwill")
    margin = pl.col("revenue") - pl.col("labour_cost") - pl.col("direct_cost")
    contacts = pl.when(pl.col("seats") > 0).then(
        (pl.col("tickets") + pl.col("interactions")) / pl.col("seats") / months
    )
    return frame.with_columns(
        goodwill_share=pl.when(facing > 0).then(pl.col("hours_goodwill") / facing),
        margin=margin,
        margin_share=pl.when(pl.col("revenue") > 0).then(margin / pl.col("revenue")),
        contacts_per_seat=contacts,
        contact_intensity=pl.when(pl.col("median_contacts_per_seat") > 0).then(
            contacts / pl.col("median_contacts_per_seat")
        ),
        months=pl.lit(months),
    )


@functools.lru_cache(maxsize=1 << 16)
def _share(successes: int, n: int) -> tuple[float | None, float | None, float | None]:
    # Cached: thousands of customers repeat the same small counts, and each uncached call
    # pays SciPy's critical-value lookup (measured: 4 of the 8 s of segmenting 3,100 customers).
    if n <= 0:
        return None, None, None
    low, high = wilson_interval(successes, n)
    return successes / n, float(low), float(high)


@functools.lru_cache(maxsize=1 << 16)
def _newcombe(a: int, na: int, b: int, nb: int, alpha: float) -> tuple[float, float, float]:
    """Difference of a/na and b/nb with its Newcombe interval, as plain floats (cached)."""
    result = newcombe_difference(a, na, b, nb, alpha=alpha)
    return float(result.diff), float(result.low), float(result.high)


def _condition(key: str, met: bool, **params: Any) -> Condition:
    return {"key": key, "met": bool(met), **params}


def _rate_condition(
    key: str,
    successes: int,
    n: int,
    *,
    above: bool,
    threshold: float,
    bound: float,
    min_successes: int = 0,
) -> Condition:
    share, low, high = _share(successes, n)
    if share is None or low is None or high is None:
        return _condition(key, False, value=None, n=n, threshold=threshold, bound=bound)
    if successes < min_successes:
        return _condition(
            key, False, value=share, low=low, high=high, n=n, threshold=threshold, bound=bound
        )
    met = (share >= threshold and low > bound) if above else high < bound
    return _condition(
        key, met, value=share, low=low, high=high, n=n, threshold=threshold, bound=bound
    )


def _float(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def assign_segments(
    quarters: pl.DataFrame,
    baseline: pl.DataFrame,
    *,
    as_of_quarter: date,
    thresholds: SegmentThresholds | None = None,
) -> pl.DataFrame:
    """One row per customer with data: segment, rule, window, reasons, movers, figures.

    ``quarters``: the quarterly metrics frame (customer_period_metrics, kind "quarter").
    ``baseline``: the quarterly PortfolioBaseline frame. ``reasons`` and ``movers`` are lists
    of conditions ``{"key", "met", "value", "low", "high", "n", "threshold", ...}``: the
    presentation layer turns each key into a sentence (insights.messages).
    """
    t = thresholds or SegmentThresholds()
    window = window_figures(
        quarters, baseline, as_of_quarter=as_of_quarter, window_quarters=t.window_quarters
    )
    ends = window.select("customer_id", "window_end")
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
        pl.col("csat_positive").alias("csat_positive_year_before"),
        pl.col("csat_responses").alias("csat_responses_year_before"),
    )
    window = window.join(year_before, on="customer_id", how="left")

    # Quarter on quarter: the window's last quarter against the one before, per customer.
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
    window = window.join(
        qoq.rename(
            {"csat_positive": "csat_positive_last", "csat_responses": "csat_responses_last"}
        ),
        on="customer_id",
        how="left",
    )
    creeps = {}
    for figure in ("goodwill_share", "tickets"):
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
        creeps[figure] = (
            pl.concat(rows)
            if rows
            else pl.DataFrame(
                schema={
                    "customer_id": pl.Int64,
                    "rising": pl.Boolean,
                    "relative_increase": pl.Float64,
                    "run_length": pl.Int64,
                    "values": pl.List(pl.Float64),
                }
            )
        )
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

    # Tickets of the creep run, first against last quarter, for all customers at once (the
    # endpoints are the same, so the rates compare as counts per quarter: equal exposure).
    ends_of_run = window.select(
        first=pl.col("tickets_quarters").list.first(), last=pl.col("tickets_quarters").list.last()
    )
    run_first = ends_of_run["first"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    run_last = ends_of_run["last"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    window = window.with_columns(
        pl.Series(
            "tickets_p_value", poisson_rate_test(run_last, 1.0, run_first, 1.0).p_value
        ).fill_nan(None)
    )
    records: list[dict[str, Any]] = []
    for row in window.iter_rows(named=True):
        records.append(_judge(row, t))
    schema = {
        "customer_id": pl.Int64,
        "segment": pl.String,
        "rule": pl.String,
        "window_start": pl.Date,
        "window_end": pl.Date,
        "reasons": pl.Object,
        "movers": pl.Object,
        "figures": pl.Object,
    }
    if not records:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(records, schema=schema)


def _csat_fall(row: dict[str, Any], alpha: float) -> Condition:
    comparisons = [
        (
            "previous_quarter",
            "csat_positive_last",
            "csat_responses_last",
            "csat_positive_prev",
            "csat_responses_prev",
        ),
        (
            "year_before",
            "csat_positive",
            "csat_responses",
            "csat_positive_year_before",
            "csat_responses_year_before",
        ),
    ]
    best: Condition | None = None
    for baseline, s1, n1, s2, n2 in comparisons:
        a, na, b, nb = (int(row.get(k) or 0) for k in (s1, n1, s2, n2))
        if na == 0 or nb == 0:
            continue
        diff, low, high = _newcombe(a, na, b, nb, alpha)
        condition = _condition(
            "csat_falling",
            bool(high < 0),
            baseline=baseline,
            value=a / na,
            reference=b / nb,
            change=diff,
            low=low,
            high=high,
            n=na,
            reference_n=nb,
        )
        if condition["met"] or best is None:
            best = condition
        if condition["met"]:
            break
    return best or _condition("csat_falling", False, value=None, n=0)


def _judge(row: dict[str, Any], t: SegmentThresholds) -> dict[str, Any]:
    n_tickets = int(row["tickets"])
    figures = {
        key: _float(row.get(key)) if not isinstance(row.get(key), int) else row.get(key)
        for key in (
            "tickets",
            "interactions",
            "csat_responses",
            "answers",
            "goodwill_share",
            "margin_share",
            "margin_share_year_before",
            "contact_intensity",
            "contacts_per_seat",
            "revenue",
            "margin",
            "hours_goodwill",
            "out_of_scope_free_value",
        )
    }
    base = {
        "customer_id": row["customer_id"],
        "window_start": row["window_start"],
        "window_end": row["window_end"],
        "figures": figures,
    }
    active = n_tickets > 0 or float(row["revenue"] or 0) > 0 or int(row["quarters_with_data"]) > 0
    if not active:
        return {
            **base,
            "segment": "unclassified",
            "rule": "no_activity",
            "reasons": [],
            "movers": [],
        }

    # -- at risk
    sla_response = _rate_condition(
        "sla_response_low",
        int(row["sla_response_met"]),
        int(row["sla_response_total"]),
        above=False,
        threshold=t.sla_target,
        bound=t.sla_target,
    )
    sla_resolution = _rate_condition(
        "sla_resolution_low",
        int(row["sla_resolution_met"]),
        int(row["sla_resolution_total"]),
        above=False,
        threshold=t.sla_target,
        bound=t.sla_target,
    )
    unhappy = _rate_condition(
        "unhappy_high",
        int(row["csat_negative"]),
        int(row["csat_responses"]),
        above=True,
        threshold=t.unhappy_share,
        bound=t.unhappy_floor,
        min_successes=t.unhappy_min_answers,
    )
    noticed = _rate_condition(
        "noticed_high",
        int(row["noticed_negatively"]),
        n_tickets,
        above=True,
        threshold=t.noticed_share,
        bound=t.noticed_floor,
    )
    falling = _csat_fall(row, t.falling_alpha)
    risk = [sla_resolution, sla_response, unhappy, noticed, falling]

    # -- service trap
    goodwill_share = _float(row["goodwill_share"])
    goodwill_quarters = row.get("goodwill_share_quarters") or []
    goodwill_high = _condition(
        "goodwill_high",
        goodwill_share is not None and goodwill_share >= t.goodwill_share,
        value=goodwill_share,
        threshold=t.goodwill_share,
        hours=_float(row["hours_goodwill"]),
    )
    last_goodwill = goodwill_quarters[-1] if goodwill_quarters else None
    goodwill_creep = _condition(
        "goodwill_creeping",
        bool(row.get("goodwill_share_rising"))
        and last_goodwill is not None
        and last_goodwill >= t.goodwill_creep_floor,
        values=goodwill_quarters,
        threshold=t.goodwill_creep_floor,
    )
    intensity = _float(row["contact_intensity"])
    contact_high = _condition(
        "contact_high",
        intensity is not None and intensity >= t.contact_high,
        value=intensity,
        threshold=t.contact_high,
        contacts_per_seat=_float(row["contacts_per_seat"]),
    )
    increase = _float(row.get("tickets_increase"))
    ticket_quarters = row.get("tickets_quarters") or []
    p_value = _float(row.get("tickets_p_value"))
    tickets_rising = _condition(
        "tickets_rising",
        bool(row.get("tickets_rising"))
        and increase is not None
        and increase >= t.ticket_rise
        and p_value is not None
        and p_value < SIGNIFICANCE,
        value=increase,
        threshold=t.ticket_rise,
        values=ticket_quarters,
        p_value=p_value,
    )
    margin_share = _float(row["margin_share"])
    margin_before = _float(row["margin_share_year_before"])
    margin_change = (
        margin_share - margin_before
        if margin_share is not None and margin_before is not None
        else None
    )
    margin_falling = _condition(
        "margin_falling",
        margin_change is not None and margin_change <= -t.margin_fall,
        value=margin_share,
        reference=margin_before,
        change=margin_change,
        threshold=t.margin_fall,
    )
    margin_low = _condition(
        "margin_low",
        margin_share is not None and margin_share < t.margin_low,
        value=margin_share,
        threshold=t.margin_low,
    )
    trap_goodwill = goodwill_high["met"] or goodwill_creep["met"]
    trap_contact = contact_high["met"] or tickets_rising["met"]
    trap_margin = margin_falling["met"] or margin_low["met"]
    trap = [goodwill_high, goodwill_creep, contact_high, tickets_rising, margin_falling, margin_low]

    # -- unprofitable
    revenue = float(row["revenue"] or 0)
    cost = float(row["labour_cost"] or 0) + float(row["direct_cost"] or 0)
    negative = _condition(
        "margin_negative",
        (margin_share is not None and margin_share < t.margin_negative)
        or (revenue <= 0 and cost > 0),
        value=margin_share,
        threshold=t.margin_negative,
        margin=_float(row["margin"]),
    )
    # -- quiet
    answers = int(row["answers"])
    little_contact = _condition(
        "contact_low",
        intensity is not None and intensity < t.quiet_contact,
        value=intensity,
        threshold=t.quiet_contact,
    )
    no_answers = _condition("no_answers", answers == 0, n=answers)

    def met(conditions: list[Condition]) -> list[Condition]:
        return [c for c in conditions if c["met"]]

    def unmet(conditions: list[Condition]) -> list[Condition]:
        return [c for c in conditions if not c["met"] and c.get("value") is not None]

    if trap_goodwill and trap_contact and trap_margin:
        # The trap explains the pattern; warning signs of risk are kept in the reasons (and
        # come out as findings), so nothing is hidden.
        return {
            **base,
            "segment": "service_trap",
            "rule": "service_trap",
            "reasons": met(trap) + met(risk),
            "movers": met(trap),
        }
    if any(c["met"] for c in risk):
        return {
            **base,
            "segment": "at_risk",
            "rule": "at_risk",
            "reasons": met(risk),
            "movers": met(risk),
        }
    if negative["met"]:
        # Which trap signals are present, so the reader sees why it is not the trap.
        return {
            **base,
            "segment": "unprofitable",
            "rule": "unprofitable",
            "reasons": [negative, *met(trap)],
            "movers": [negative],
        }
    if little_contact["met"] and no_answers["met"]:
        return {
            **base,
            "segment": "quiet",
            "rule": "quiet",
            "reasons": [little_contact, no_answers],
            "movers": [little_contact, no_answers],
        }
    reasons = [
        c
        for c in (sla_resolution, sla_response, unhappy, noticed, margin_low)
        if c.get("value") is not None
    ]
    if answers == 0:
        reasons.append(no_answers)
    # What would move a solid customer: the warning signs already present, then the nearest.
    movers = met(trap) + unmet([sla_resolution, unhappy, goodwill_high, contact_high, negative])
    return {**base, "segment": "solid", "rule": "solid", "reasons": reasons, "movers": movers}
