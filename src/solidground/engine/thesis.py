"""The thesis test: operational groups from the stored figures, and three questions answered
with effect sizes and 95% intervals. Pure Python and Polars; never imports Django.

Every figure describes a **window**: the four quarters ending at a quarter (summed counts,
hours and money; the mean contact intensity). The groups, checked in this order:

- **unhappy**: at least 2 negative CSAT answers and an unhappy share of at least 10%, or at
  least 2 NPS detractors and more detractors than promoters;
- **fan-like**: enthusiastic answers (at least half of the NPS answers promoters, or at least
  3 CSAT answers with 95% or more positive) **and** at least two of: contact intensity at
  least 1.5 x the portfolio median, special requests at least 10% of tickets, goodwill at
  least 8% of customer-facing hours;
- **silent**: no survey answer of any kind in the window (satisfaction unknown);
- **satisfied**: reliable service (under 25% of tickets noticed negatively), CSAT at least
  80% positive, contact intensity under 1.5 x the median;
- **other**: none of these (e.g. unreliable service without unhappy answers).

The three questions, each answered "supported", "contradicted" or "cannot_tell" by what the
intervals allow (``EQUIVALENCE`` is the margin within which "not more" counts as shown):

1. Do fan-like customers renew or expand more than satisfied ones? The thesis says no.
2. Do fan-like customers cost more (goodwill share up, margin down)? The thesis says yes.
3. Does reliability predict cancellation more than enthusiasm does? The thesis says yes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import polars as pl

from solidground.engine.stats import newcombe_difference
from solidground.engine.survival import (
    CoxResult,
    FitFailed,
    compare_strength,
    fit_cox,
    welch_difference,
)

GROUPS: tuple[str, ...] = ("satisfied", "fan_like", "unhappy", "silent", "other")
WINDOW_QUARTERS = 4
EQUIVALENCE = 0.05  # 5 percentage points; for hazard ratios, 0.8

Verdict = Literal["supported", "contradicted", "cannot_tell"]

SUMMED: tuple[str, ...] = (
    "tickets",
    "noticed_negatively",
    "csat_responses",
    "csat_positive",
    "csat_negative",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "answers",
    "special_requests",
    "hours_goodwill",
    "hours_billed",
    "hours_included",
    "hours_worked",
    "goodwill_cost",
    "revenue",
    "direct_cost",
    "margin",
)
QUARTER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "period_start",
    *SUMMED,
    "contact_intensity",
    "seats",
)


@dataclass(frozen=True)
class GroupRules:
    unhappy_answers: int = 2
    unhappy_share: float = 0.10
    detractors: int = 2
    promoter_share: float = 0.5
    top_csat_answers: int = 3
    top_csat_share: float = 0.95
    high_contact_intensity: float = 1.5
    special_request_share: float = 0.10
    goodwill_share: float = 0.08
    noticed_share: float = 0.25
    satisfied_csat_share: float = 0.80

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return (
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(numerator) / pl.col(denominator))
        .otherwise(None)
    )


def window_figures(quarters: pl.DataFrame) -> pl.DataFrame:
    """Per customer and quarter: the figures of the four quarters ending there, the shares
    derived from them, and the same window a year earlier (``*_before``)."""
    parts = [
        quarters.select(
            "customer_id",
            pl.col("period_start").dt.offset_by(f"{3 * k}mo").alias("window_end"),
            *SUMMED,
            "contact_intensity",
            "seats",
        )
        for k in range(WINDOW_QUARTERS)
    ]
    windows = (
        pl.concat(parts)
        .group_by("customer_id", "window_end")
        .agg(
            *[pl.col(c).cast(pl.Float64).sum() for c in SUMMED],
            pl.col("contact_intensity").mean(),
            pl.col("seats").max(),
            pl.len().alias("quarters"),
        )
        .with_columns(
            noticed_share=_ratio("noticed_negatively", "tickets"),
            unhappy_share=_ratio("csat_negative", "csat_responses"),
            csat_share=_ratio("csat_positive", "csat_responses"),
            promoter_share=_ratio("nps_promoters", "nps_responses"),
            special_share=_ratio("special_requests", "tickets"),
            facing_hours=pl.col("hours_goodwill")
            + pl.col("hours_billed")
            + pl.col("hours_included"),
            top_answers=pl.col("csat_positive") + pl.col("nps_promoters"),
            rated_answers=pl.col("csat_responses") + pl.col("nps_responses"),
            months=pl.col("quarters") * 3,
        )
        .with_columns(
            goodwill_share=_ratio("hours_goodwill", "facing_hours"),
            enthusiasm=_ratio("top_answers", "rated_answers"),
            margin_share=_ratio("margin", "revenue"),
            effective_rate=(
                pl.when(pl.col("hours_worked") > 0)
                .then((pl.col("revenue") - pl.col("direct_cost")) / pl.col("hours_worked"))
                .otherwise(None)
            ),
            goodwill_cost_per_month=pl.col("goodwill_cost") / pl.col("months"),
            goodwill_hours_per_month=pl.col("hours_goodwill") / pl.col("months"),
        )
    )
    before = windows.select(
        "customer_id",
        pl.col("window_end").dt.offset_by("12mo"),
        pl.col("revenue").alias("revenue_before"),
        pl.col("goodwill_share").alias("goodwill_share_before"),
        pl.col("csat_positive").alias("csat_positive_before"),
        pl.col("csat_responses").alias("csat_responses_before"),
    )
    return windows.join(before, on=["customer_id", "window_end"], how="left")


def assign_groups(windows: pl.DataFrame, rules: GroupRules | None = None) -> pl.DataFrame:
    """``windows`` with a ``group`` column (one of ``GROUPS``)."""
    r = rules or GroupRules()
    unhappy = (
        (pl.col("csat_negative") >= r.unhappy_answers)
        & (pl.col("unhappy_share").fill_null(0) >= r.unhappy_share)
    ) | (
        (pl.col("nps_detractors") >= r.detractors)
        & (pl.col("nps_detractors") > pl.col("nps_promoters"))
    )
    enthusiastic = (
        (pl.col("nps_responses") > 0) & (pl.col("promoter_share").fill_null(0) >= r.promoter_share)
    ) | (
        (pl.col("csat_responses") >= r.top_csat_answers)
        & (pl.col("csat_share").fill_null(0) >= r.top_csat_share)
    )
    intense = (
        (pl.col("contact_intensity").fill_null(0) >= r.high_contact_intensity).cast(pl.Int8)
        + (pl.col("special_share").fill_null(0) >= r.special_request_share).cast(pl.Int8)
        + (pl.col("goodwill_share").fill_null(0) >= r.goodwill_share).cast(pl.Int8)
    ) >= 2
    satisfied = (
        (pl.col("noticed_share").fill_null(0) < r.noticed_share)
        & (pl.col("csat_share").fill_null(0) >= r.satisfied_csat_share)
        & (pl.col("contact_intensity").fill_null(0) < r.high_contact_intensity)
    )
    return windows.with_columns(
        group=pl.when(unhappy)
        .then(pl.lit("unhappy"))
        .when(enthusiastic & intense)
        .then(pl.lit("fan_like"))
        .when(pl.col("answers") == 0)
        .then(pl.lit("silent"))
        .when(satisfied)
        .then(pl.lit("satisfied"))
        .otherwise(pl.lit("other"))
    )


# The risk model's covariates (per contract and quarter, from the window before the quarter).
# Satisfied and other customers are the reference; the other groups are indicators.
RISK_COVARIATES: tuple[str, ...] = (
    "noticed_negatively",
    "fan_like",
    "unhappy",
    "silent",
    "revenue_shrinking",
)
# The first question's model: fan-like against satisfied only, reliability held equal.
FAN_COVARIATES: tuple[str, ...] = ("fan_like", "noticed_negatively")
# The third question's model: reliability and enthusiasm per standard deviation.
STRENGTH_COVARIATES: tuple[str, ...] = ("reliability_problems", "enthusiasm", "no_answers")


def with_covariates(rows: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Contract quarters (``survival.contract_quarters``) with the covariates of the window
    ending at their covariate quarter. A contract without figures there counts as silent,
    with no ticket noticed negatively."""
    joined = rows.join(
        windows.select(
            "customer_id",
            pl.col("window_end").alias("covariate_quarter"),
            "group",
            "noticed_share",
            "enthusiasm",
            "revenue",
            "revenue_before",
        ),
        on=["customer_id", "covariate_quarter"],
        how="left",
    ).with_columns(pl.col("group").fill_null("silent"))
    noticed = joined["noticed_share"].fill_null(0.0)
    enthusiasm = joined["enthusiasm"]
    mean_enthusiasm = enthusiasm.mean()
    filled = enthusiasm.fill_null(mean_enthusiasm if mean_enthusiasm is not None else 0.0)
    return joined.with_columns(
        noticed_negatively=noticed * 10,  # per 10 percentage points
        revenue_shrinking=(
            (pl.col("revenue_before").fill_null(0) > 0)
            & (pl.col("revenue").fill_null(0) < 0.9 * pl.col("revenue_before").fill_null(0))
        ).cast(pl.Int8),
        reliability_problems=_standardised(noticed),
        enthusiasm=_standardised(filled),
        no_answers=enthusiasm.is_null().cast(pl.Int8),
        **{group: (pl.col("group") == group).cast(pl.Int8) for group in GROUPS[1:]},
    ).drop("noticed_share", "revenue", "revenue_before")


def _standardised(values: pl.Series) -> pl.Series:
    array = values.cast(pl.Float64).to_numpy()
    spread = float(array.std()) if len(array) else 0.0
    if not spread > 0:
        return pl.Series(np.zeros(len(array)))
    return pl.Series((array - array.mean()) / spread)


# --------------------------------------------------------------------------------------------
# The questions


@dataclass
class Measure:
    """One effect with its 95% interval: a difference (fan-like minus satisfied) or a ratio."""

    key: str
    kind: Literal["difference", "hazard_ratio", "strength"]
    estimate: float | None
    low: float | None
    high: float | None
    fan_like: float | None = None  # the groups' own values, where they have one
    satisfied: float | None = None
    n_fan_like: int = 0
    n_satisfied: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in asdict(self).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


@dataclass
class Answer:
    question: int
    verdict: Verdict
    n: dict[str, int]
    measures: list[Measure] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "verdict": self.verdict,
            "n": self.n,
            "measures": [m.as_dict() for m in self.measures],
            "note": self.note,
        }


def _known(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _share_measure(key: str, hits_fan: int, n_fan: int, hits_sat: int, n_sat: int) -> Measure:
    if n_fan == 0 or n_sat == 0:
        return Measure(key, "difference", None, None, None, n_fan_like=n_fan, n_satisfied=n_sat)
    diff = newcombe_difference(hits_fan, n_fan, hits_sat, n_sat)
    return Measure(
        key,
        "difference",
        float(diff.diff),
        float(diff.low),
        float(diff.high),
        fan_like=hits_fan / n_fan,
        satisfied=hits_sat / n_sat,
        n_fan_like=n_fan,
        n_satisfied=n_sat,
    )


def _hazard_measure(
    key: str, model: CoxResult | None, name: str, n_fan: int, n_sat: int
) -> Measure:
    term = model.coefficient(name) if model is not None else None
    if term is None or not math.isfinite(term.se) or term.se > 50:
        return Measure(key, "hazard_ratio", None, None, None, n_fan_like=n_fan, n_satisfied=n_sat)
    return Measure(
        key,
        "hazard_ratio",
        term.hr,
        _plain(term.low),
        _plain(term.high),
        n_fan_like=n_fan,
        n_satisfied=n_sat,
    )


def _fan_model(rows: pl.DataFrame) -> CoxResult | None:
    """Cox on the quarters in which the contract was fan-like or satisfied."""
    pair = rows.filter(pl.col("group").is_in(["fan_like", "satisfied"]))
    if pair.height == 0 or not pair["event"].any():
        return None
    try:
        return fit_cox(pair, FAN_COVARIATES)
    except FitFailed:
        return None


def renewal_question(rows: pl.DataFrame, events: pl.DataFrame, *, fit: bool = True) -> Answer:
    """1. Do fan-like customers renew or expand more than satisfied ones?

    Per contract, its group is that of the window before its last observed quarter (for a
    contract that was cancelled: the window before the notice). Kept = not cancelled; expanded
    = an "expanded" event while observed. The hazard ratio of cancellation comes from a Cox
    model on the contract quarters in which the customer was fan-like or satisfied, with
    reliability (tickets noticed negatively) held equal; without a cancellation in either
    group it cannot be estimated.
    """
    model = _fan_model(rows) if fit else None
    observed_from = rows["period_start"].min() if rows.height else None
    last = (
        rows.sort("period_start")
        .group_by("contract_id")
        .agg(pl.col("group").last(), pl.col("event").any().alias("cancelled"))
    )
    expanded = (
        events.filter((pl.col("kind") == "expanded") & (pl.col("occurred_on") >= observed_from))
        .select("contract_id")
        .unique()
        .with_columns(expanded=pl.lit(True))
        if observed_from is not None
        else pl.DataFrame(schema={"contract_id": pl.Int64, "expanded": pl.Boolean})
    )
    contracts = last.join(expanded, on="contract_id", how="left").with_columns(
        pl.col("expanded").fill_null(False)
    )
    fan = contracts.filter(pl.col("group") == "fan_like")
    sat = contracts.filter(pl.col("group") == "satisfied")
    kept = _share_measure(
        "kept",
        int((~fan["cancelled"]).sum()),
        fan.height,
        int((~sat["cancelled"]).sum()),
        sat.height,
    )
    grew = _share_measure(
        "expanded", int(fan["expanded"].sum()), fan.height, int(sat["expanded"].sum()), sat.height
    )
    hazard = _hazard_measure("cancellation_hazard", model, "fan_like", fan.height, sat.height)
    more = (
        (_known(kept.low) and kept.low > 0)  # type: ignore[operator]
        or (_known(grew.low) and grew.low > 0)  # type: ignore[operator]
        or (_known(hazard.high) and hazard.high < 1)  # type: ignore[operator]
    )
    # "Not more" is a claim about every measure: each must rule out an advantage of the fans
    # beyond the margin. One measure significantly worse for fans does not support it while
    # another still allows them far more (kept 100% of 12 fans against 84%: -10 to +28 points).
    not_more = (
        _known(kept.high, grew.high)
        and kept.high < EQUIVALENCE  # type: ignore[operator]
        and grew.high < EQUIVALENCE  # type: ignore[operator]
        and (not _known(hazard.low) or hazard.low > 1 - 4 * EQUIVALENCE)  # type: ignore[operator]
    )
    verdict: Verdict = "contradicted" if more else "supported" if not_more else "cannot_tell"
    return Answer(
        question=1,
        verdict=verdict,
        n={
            "fan_like": fan.height,
            "satisfied": sat.height,
            "cancellations_fan_like": int(fan["cancelled"].sum()),
            "cancellations_satisfied": int(sat["cancelled"].sum()),
        },
        measures=[kept, grew, hazard],
    )


COST_MEASURES: tuple[str, ...] = (
    "goodwill_share",
    "goodwill_hours_per_month",
    "goodwill_cost_per_month",
    "margin_share",
    "effective_rate",
    "contact_intensity",
)


def cost_question(latest: pl.DataFrame) -> Answer:
    """2. What do fan-like customers cost? ``latest``: each customer's last window with its
    group. Differences of means (fan-like minus satisfied) with Welch's interval. Supported
    when their goodwill share is higher and their margin lower; contradicted when either goes
    clearly the other way."""
    fan = latest.filter(pl.col("group") == "fan_like")
    sat = latest.filter(pl.col("group") == "satisfied")
    measures = []
    for key in COST_MEASURES:
        a = fan[key].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = sat[key].cast(pl.Float64).fill_null(np.nan).to_numpy()
        result = welch_difference(a, b)
        estimate, low, high = result if result is not None else (None, None, None)
        na, nb = int(np.isfinite(a).sum()), int(np.isfinite(b).sum())
        measures.append(
            Measure(
                key,
                "difference",
                estimate,
                low,
                high,
                fan_like=float(np.nanmean(a)) if na else None,
                satisfied=float(np.nanmean(b)) if nb else None,
                n_fan_like=na,
                n_satisfied=nb,
            )
        )
    goodwill, margin = measures[0], measures[3]
    costs_more = _known(goodwill.low, margin.high) and goodwill.low > 0 and margin.high < 0  # type: ignore[operator]
    costs_less = (_known(goodwill.high) and goodwill.high < 0) or (  # type: ignore[operator]
        _known(margin.low) and margin.low > 0  # type: ignore[operator]
    )
    verdict: Verdict = (
        "contradicted" if costs_less else "supported" if costs_more else "cannot_tell"
    )
    return Answer(
        question=2,
        verdict=verdict,
        n={"fan_like": fan.height, "satisfied": sat.height},
        measures=measures,
    )


def strength_question(rows: pl.DataFrame) -> Answer:
    """3. Does reliability predict cancellation more than enthusiasm does?

    A Cox model with both per standard deviation (share of tickets noticed negatively; share
    of top answers, customers without answers flagged). Supported when reliability problems
    raise the hazard (interval above 1) and |log HR| of reliability exceeds that of
    enthusiasm (interval of the difference above 0); contradicted when enthusiasm's is larger.
    """
    n = {"contracts": rows["contract_id"].n_unique(), "cancellations": int(rows["event"].sum())}
    try:
        model = fit_cox(rows, STRENGTH_COVARIATES)
    except FitFailed as exc:
        return Answer(question=3, verdict="cannot_tell", n=n, note=str(exc))
    reliability = _hazard_measure("reliability_hazard", model, "reliability_problems", 0, 0)
    enthusiasm = _hazard_measure("enthusiasm_hazard", model, "enthusiasm", 0, 0)
    reliability.kind = enthusiasm.kind = "hazard_ratio"
    comparison = compare_strength(model, "reliability_problems", "enthusiasm")
    strength = Measure(
        "strength_difference",
        "strength",
        comparison.difference if comparison else None,
        comparison.low if comparison else None,
        comparison.high if comparison else None,
    )
    supported = (
        _known(reliability.low, strength.low)
        and reliability.low > 1  # type: ignore[operator]
        and strength.low > 0  # type: ignore[operator]
    )
    contradicted = _known(strength.high) and strength.high < 0  # type: ignore[operator]
    verdict: Verdict = (
        "contradicted" if contradicted else "supported" if supported else "cannot_tell"
    )
    return Answer(
        question=3,
        verdict=verdict,
        n=n,
        measures=[reliability, enthusiasm, strength],
        note="; ".join(model.warnings),
    )


def answer_questions(
    rows: pl.DataFrame, events: pl.DataFrame, latest: pl.DataFrame, model: CoxResult | None
) -> list[Answer]:
    """The three answers. ``rows``: contract quarters with covariates (``with_covariates``);
    ``latest``: each customer's last window with its group; ``model``: the risk model, or None
    when the history is too short for one (then questions 1 and 3 cannot tell)."""
    first = renewal_question(rows, events, fit=model is not None)
    if model is None:
        third = Answer(
            question=3,
            verdict="cannot_tell",
            n={
                "contracts": rows["contract_id"].n_unique() if rows.height else 0,
                "cancellations": int(rows["event"].sum()) if rows.height else 0,
            },
        )
        first.verdict = "cannot_tell"
    else:
        third = strength_question(rows)
    return [first, cost_question(latest), third]


def group_counts(latest: pl.DataFrame) -> dict[str, int]:
    counts = dict(latest.group_by("group").len().iter_rows())
    return {group: int(counts.get(group, 0)) for group in GROUPS}


def latest_windows(windows: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each customer's window ending at ``as_of`` (or at its last quarter before it)."""
    return (
        windows.filter(pl.col("window_end") <= as_of)
        .sort("window_end")
        .group_by("customer_id")
        .last()
    )
