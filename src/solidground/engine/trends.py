"""Changes of each figure against the previous period and the same period a year before.

Every figure is compared with the test that fits it (docs/domain.md):

* **shares** (CSAT, unhappy, SLA met, first-contact resolution, reopen, noticed negatively,
  response rate): the difference of the two shares with Newcombe's interval; significant when
  the interval excludes 0;
* **counts** (tickets, interactions, special requests, escalations, complaints, after-hours
  contacts): the ratio of the two rates per day with the Poisson rate test (conditional,
  mid-p); significant when p < 0.05. The days are those the data cover (``days_covered``
  of the metrics frame), so a partial month is compared per covered day, and every row
  says whether either period was partial (``partial``);
* **amounts** (goodwill share of hours, agreement margin, contacts per seat, effective hourly
  rate): the difference only. Hours and money have no sampling model here, so no test is
  claimed for them; creep (a rise in each of consecutive quarters) is their trend signal.

The input is the frame of :func:`solidground.engine.metrics.customer_period_metrics` for one
period kind. Periods are matched by date: "previous" is the period right before (a month or a
quarter), "year_before" is the same period twelve months earlier; a comparison exists only
when both periods have a row.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

import numpy as np
import polars as pl

from solidground.engine.periods import PeriodKind, add_months
from solidground.engine.stats import creep_flags, newcombe_difference, poisson_rate_test

__all__ = [
    "AMOUNT_FIGURES",
    "COUNT_FIGURES",
    "SHARE_FIGURES",
    "SIGNIFICANCE",
    "add_months",
    "creep",
    "figure_changes",
]

SIGNIFICANCE: Final = 0.05

SHARE_FIGURES: Final[dict[str, tuple[str, str]]] = {
    "csat": ("csat_positive", "csat_responses"),
    "csat_unhappy": ("csat_negative", "csat_responses"),
    "sla_response": ("sla_response_met", "sla_response_total"),
    "sla_resolution": ("sla_resolution_met", "sla_resolution_total"),
    "first_contact": ("first_contact_resolved", "first_contact_total"),
    "reopen": ("reopened", "resolved"),
    "noticed": ("noticed_negatively", "tickets"),
    "response": ("surveys_answered", "surveys_sent"),
}
COUNT_FIGURES: Final = (
    "tickets",
    "interactions",
    "special_requests",
    "escalations",
    "complaints",
    "after_hours_contacts",
)
AMOUNT_FIGURES: Final = (
    "goodwill_share",
    "margin_share",
    "contacts_per_seat",
    "tickets_per_endpoint",
    "effective_hourly_rate",
)
Baseline = Literal["previous", "year_before"]
_STEP: Final[dict[str, int]] = {"month": 1, "quarter": 3}
_SCHEMA: Final = {
    "customer_id": pl.Int64,
    "period_start": pl.Date,
    "figure": pl.String,
    "baseline": pl.String,
    "reference_start": pl.Date,
    "test": pl.String,
    "value": pl.Float64,
    "reference": pl.Float64,
    "change": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "p_value": pl.Float64,
    "significant": pl.Boolean,
    # Either period covered by the data only in part (days_covered < days_in_period).
    "partial": pl.Boolean,
}


def _shift(kind: PeriodKind, baseline: Baseline) -> int:
    return -_STEP[kind] if baseline == "previous" else -12


def _days(starts: pl.Expr, kind: PeriodKind) -> pl.Expr:
    # The exposure of a count: the days in its period (February has fewer than March).
    ends = starts.dt.offset_by(f"{_STEP[kind]}mo")
    return (ends - starts).dt.total_days().cast(pl.Float64)


def _nan_to_null(values: np.ndarray[tuple[int], np.dtype[np.float64]], name: str) -> pl.Series:
    return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)


def _pairs(
    frame: pl.DataFrame, kind: PeriodKind, baseline: Baseline, periods: list[date] | None
) -> pl.DataFrame:
    months = _shift(kind, baseline)
    columns = dict.fromkeys(
        [
            "customer_id",
            "period_start",
            *[c for pair in SHARE_FIGURES.values() for c in pair],
            *COUNT_FIGURES,
            *AMOUNT_FIGURES,
        ]
    )
    if "days_covered" not in frame.columns:
        frame = frame.with_columns(
            days_in_period=_days(pl.col("period_start"), kind).cast(pl.Int64),
            days_covered=_days(pl.col("period_start"), kind).cast(pl.Int64),
        )
    frame = frame.select(*columns, "days_in_period", "days_covered")
    reference = frame.with_columns(
        pl.col("period_start").dt.offset_by(f"{-months}mo").alias("period_start"),
        pl.col("period_start").alias("reference_start"),
    )
    if periods is not None:
        # Only the periods asked for, on both sides, before the join (same pairs, far fewer
        # rows to join: the analysis asks for one or a few periods out of dozens).
        frame = frame.filter(pl.col("period_start").is_in(periods))
        reference = reference.filter(pl.col("period_start").is_in(periods))
    return frame.join(
        reference,
        on=["customer_id", "period_start"],
        how="inner",
        suffix="_ref",
        maintain_order="left",
    )


def _stacked(
    pairs: pl.DataFrame, columns: list[str]
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """The columns one after the other, as one float column (figure by figure)."""
    return np.concatenate([pairs[c].cast(pl.Float64).to_numpy() for c in columns])


def _stacked_keys(
    keys: pl.DataFrame, figures: tuple[str, ...] | list[str], test: str
) -> pl.DataFrame:
    """The keys once per figure, figure by figure, to go with :func:`_stacked` columns.

    The tests then run once on every figure's rows instead of once per figure (each row's
    result is computed on its own, so it is the same either way).
    """
    return pl.concat([keys] * len(figures)).with_columns(
        figure=pl.Series(list(figures), dtype=pl.String).gather(
            np.repeat(np.arange(len(figures)), keys.height)
        ),
        test=pl.lit(test),
    )


def _share_changes(pairs: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Shares: Newcombe's interval of the difference."""
    shares = list(SHARE_FIGURES.values())
    s1 = _stacked(pairs, [successes for successes, _ in shares])
    n1 = _stacked(pairs, [total for _, total in shares])
    s2 = _stacked(pairs, [f"{successes}_ref" for successes, _ in shares])
    n2 = _stacked(pairs, [f"{total}_ref" for _, total in shares])
    result = newcombe_difference(s1, n1, s2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n1 > 0, s1 / np.where(n1 > 0, n1, 1), np.nan)
        reference = np.where(n2 > 0, s2 / np.where(n2 > 0, n2, 1), np.nan)
    return (
        _stacked_keys(keys, list(SHARE_FIGURES), "newcombe")
        .with_columns(
            value=_nan_to_null(value, "value"),
            reference=_nan_to_null(reference, "reference"),
            change=_nan_to_null(result.diff, "change"),
            low=_nan_to_null(result.low, "low"),
            high=_nan_to_null(result.high, "high"),
            p_value=pl.lit(None, pl.Float64),
            significant=pl.Series(result.significant),
        )
        .filter(pl.col("value").is_not_null() & pl.col("reference").is_not_null())
    )


def _count_changes(pairs: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Counts: the Poisson rate test, per covered day."""
    # Days the data cover: a partial period's count is compared per covered day.
    exposure = pairs.select(
        pl.col("days_covered").cast(pl.Float64).alias("e1"),
        pl.col("days_covered_ref").cast(pl.Float64).alias("e2"),
    )
    e1 = np.tile(exposure["e1"].to_numpy(), len(COUNT_FIGURES))
    e2 = np.tile(exposure["e2"].to_numpy(), len(COUNT_FIGURES))
    c1 = _stacked(pairs, list(COUNT_FIGURES))
    c2 = _stacked(pairs, [f"{figure}_ref" for figure in COUNT_FIGURES])
    ratio, p_value = poisson_rate_test(c1, e1, c2, e2)
    return (
        _stacked_keys(keys, COUNT_FIGURES, "poisson")
        .with_columns(
            value=pl.Series(c1),
            reference=pl.Series(c2),
            # +inf (a rise from nothing) is kept as null ratio: no finite ratio exists.
            change=_nan_to_null(np.where(np.isfinite(ratio), ratio, np.nan), "change"),
            low=pl.lit(None, pl.Float64),
            high=pl.lit(None, pl.Float64),
            p_value=_nan_to_null(p_value, "p_value"),
            significant=pl.Series(np.nan_to_num(p_value, nan=1.0) < SIGNIFICANCE),
        )
        .filter((pl.col("value") > 0) | (pl.col("reference") > 0))
    )


def _amount_changes(pairs: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Amounts: the difference, untested."""
    return (
        _stacked_keys(keys, AMOUNT_FIGURES, "none")
        .with_columns(
            # Stacked as Series, not NumPy: a missing amount stays null, never NaN.
            value=pl.concat([pairs[f].cast(pl.Float64) for f in AMOUNT_FIGURES]),
            reference=pl.concat([pairs[f"{f}_ref"].cast(pl.Float64) for f in AMOUNT_FIGURES]),
            low=pl.lit(None, pl.Float64),
            high=pl.lit(None, pl.Float64),
            p_value=pl.lit(None, pl.Float64),
            significant=pl.lit(None, pl.Boolean),
        )
        .with_columns(change=pl.col("value") - pl.col("reference"))
        .filter(pl.col("change").is_not_null())
    )


def figure_changes(
    frame: pl.DataFrame,
    *,
    kind: PeriodKind,
    baselines: tuple[Baseline, ...] = ("previous", "year_before"),
    periods: list[date] | None = None,
) -> pl.DataFrame:
    """Long frame: one row per customer, period, figure and baseline that can be compared.

    ``periods`` limits the output to those period starts (the analysis stores the latest
    complete month and quarter). Columns: customer_id, period_start, figure, baseline,
    reference_start, test ("newcombe", "poisson" or "none"), value, reference, change
    (difference for shares and amounts, rate ratio for counts), low and high (Newcombe's
    interval of the difference), p_value (Poisson), significant.
    """
    parts: list[pl.DataFrame] = []
    for baseline in baselines:
        pairs = _pairs(frame, kind, baseline, periods)
        if pairs.height == 0:
            continue
        keys = pairs.select(
            "customer_id",
            "period_start",
            "reference_start",
            baseline=pl.lit(baseline),
            partial=(pl.col("days_covered") < pl.col("days_in_period"))
            | (pl.col("days_covered_ref") < pl.col("days_in_period_ref")),
        )

        parts.append(_share_changes(pairs, keys))
        parts.append(_count_changes(pairs, keys))
        parts.append(_amount_changes(pairs, keys))
    if not parts:
        return pl.DataFrame(schema=_SCHEMA)
    return pl.concat([part.select(list(_SCHEMA)) for part in parts]).cast(_SCHEMA)  # type: ignore[arg-type]


def creep(
    quarters: pl.DataFrame,
    figure: str,
    *,
    last_quarter: date,
    min_run: int = 2,
) -> pl.DataFrame:
    """Is ``figure`` rising in each of the ``min_run`` quarters up to ``last_quarter``?

    ``quarters`` is the quarterly metrics frame. A customer without a value in one of the
    ``min_run + 1`` quarters is not creeping (no evidence, see ``stats.creep_flags``).
    Returns customer_id, rising, relative_increase (null when undefined), run_length and
    values (the quarters' values, oldest first, null where missing).
    """
    starts = [add_months(last_quarter, -3 * k) for k in range(min_run, -1, -1)]
    wide = (
        quarters.filter(pl.col("period_start").is_in(starts))
        .select("customer_id", "period_start", pl.col(figure).cast(pl.Float64))
        .pivot(on="period_start", index="customer_id", values=figure)
    )
    columns = [str(start) for start in starts]
    for column in columns:
        if column not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(column))
    values = wide.select(columns).to_numpy().astype(np.float64)
    if values.size == 0:
        values = np.empty((0, len(columns)), dtype=np.float64)
    result = creep_flags(values, min_run=min_run)
    relative = np.where(np.isfinite(result.relative_increase), result.relative_increase, np.nan)
    return pl.DataFrame(
        {
            "customer_id": wide["customer_id"],
            "rising": pl.Series(result.rising, dtype=pl.Boolean),
            "relative_increase": _nan_to_null(relative, "relative_increase"),
            "run_length": pl.Series(result.run_length, dtype=pl.Int64),
            "values": pl.DataFrame(
                {column: values[:, i] for i, column in enumerate(columns)},
                schema=dict.fromkeys(columns, pl.Float64),
            )
            .select(pl.concat_list(pl.all().fill_nan(None)).alias("values"))
            .to_series(),
        }
    )
