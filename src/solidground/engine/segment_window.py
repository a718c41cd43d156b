"""The window figures the segment rules judge (``solidground.engine.segments``).

Each customer's window is summed from its quarterly metrics (:func:`window_figures`): the last
quarters up to the analysis date or the customer's last active quarter, never before its first
active quarter, per-month figures over the months the data really cover. :func:`halves` splits
the available history into its first and second half, the baseline of customers without a
complete year before (see "Baselines" in the segments module).
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

__all__ = ["first_quarters", "halves", "window_figures"]

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
    "revenue_project",
    "labour_cost",
    "goodwill_cost",
    "direct_cost",
    "out_of_scope_free_hours",
    "out_of_scope_free_value",
)


def _active(frame: pl.DataFrame) -> pl.Expr:
    return (pl.col("tickets") > 0) | (pl.col("hours_worked") > 0) | (pl.col("revenue") > 0)


def _months_covered(quarters: pl.DataFrame) -> pl.Expr:
    """Months of each quarter row the data cover (3, or fewer for a partial quarter)."""
    if "days_covered" in quarters.columns and "days_in_period" in quarters.columns:
        return (
            pl.when(pl.col("days_in_period") > 0)
            .then(3.0 * pl.col("days_covered") / pl.col("days_in_period"))
            .otherwise(3.0)
        )
    return pl.lit(3.0)


def _partial(quarters: pl.DataFrame) -> pl.Expr:
    if "days_covered" in quarters.columns and "days_in_period" in quarters.columns:
        return (pl.col("days_covered") < pl.col("days_in_period")).fill_null(False)
    return pl.lit(False)


def _goodwill_cost_share(suffix: str) -> pl.Expr:
    """Goodwill work's cost as a share of the agreement's revenue (recurring fees and billed
    extras; a one-off project would hide what the agreement loses)."""
    agreement = pl.col(f"revenue{suffix}") - pl.col(f"revenue_project{suffix}")
    return pl.when(agreement > 0).then(pl.col(f"goodwill_cost{suffix}") / agreement)


def first_quarters(quarters: pl.DataFrame) -> pl.DataFrame:
    """Each customer's first quarter with any activity (customer_id, first_quarter)."""
    return (
        quarters.filter(_active(quarters))
        .group_by("customer_id")
        .agg(first_quarter=pl.col("period_start").min())
    )


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

    The window starts no earlier than the customer's first active quarter (``window_start``
    is that start); ``months`` is the months the data cover from there to the window's end
    (partial quarters by their covered days), and per-month figures divide by it.
    ``quarters_with_data`` counts the window's quarter rows, ``partial_quarters`` those the
    data cover only in part.
    """
    if window_ends is None:
        window_ends = (
            quarters.filter(_active(quarters) & (pl.col("period_start") <= as_of_quarter))
            .group_by("customer_id")
            .agg(window_end=pl.col("period_start").max())
        )
    ends = _window_bounds(
        quarters, window_ends, window_quarters=window_quarters, shift_months=shift_months
    )
    return _shares_and_ratios(_window_sums(quarters, baseline, ends))


def _window_bounds(
    quarters: pl.DataFrame, window_ends: pl.DataFrame, *, window_quarters: int, shift_months: int
) -> pl.DataFrame:
    """customer_id, window_end (shifted), window_start (never before the first active quarter),
    and the helper columns full_start and first_quarter."""
    return (
        window_ends.select("customer_id", "window_end")
        .with_columns(window_end=pl.col("window_end").dt.offset_by(f"{shift_months}mo"))
        .with_columns(
            full_start=pl.col("window_end").dt.offset_by(f"{-3 * (window_quarters - 1)}mo")
        )
        .join(first_quarters(quarters), on="customer_id", how="left")
        .with_columns(
            window_start=pl.max_horizontal(
                "full_start", pl.col("first_quarter").fill_null(pl.col("full_start"))
            )
        )
    )


def _window_sums(
    quarters: pl.DataFrame, baseline: pl.DataFrame, ends: pl.DataFrame
) -> pl.DataFrame:
    """Each customer's quarters summed from window_start to window_end, with ``months``."""
    rows = (
        quarters.join(ends, on="customer_id", how="inner")
        .filter(pl.col("period_start").is_between(pl.col("window_start"), pl.col("window_end")))
        .join(
            baseline.select("period_start", "median_contacts_per_seat"),
            on="period_start",
            how="left",
        )
        .with_columns(_missing_months=3.0 - _months_covered(quarters), _partial=_partial(quarters))
    )
    grouped = rows.group_by("customer_id").agg(
        *[pl.col(c).sum() for c in _SUMS],
        seats=pl.col("seats").max(),
        endpoints=pl.col("endpoints").max(),
        median_contacts_per_seat=pl.col("median_contacts_per_seat").mean(),
        quarters_with_data=pl.len(),
        partial_quarters=pl.col("_partial").sum(),
        _missing_months=pl.col("_missing_months").sum(),
    )
    # Quarters from the window's start to its end (0 when the customer had not started yet).
    span = (
        (pl.col("window_end").dt.year() - pl.col("window_start").dt.year()) * 4
        + (pl.col("window_end").dt.month() - pl.col("window_start").dt.month()) // 3
        + 1
    ).clip(lower_bound=0)
    return (
        ends.join(grouped, on="customer_id", how="left")
        .with_columns(
            *[pl.col(c).fill_null(0) for c in _SUMS],
            pl.col("quarters_with_data").fill_null(0),
            pl.col("partial_quarters").fill_null(0),
        )
        .with_columns(
            months=(3.0 * span - pl.col("_missing_months").fill_null(0.0)).clip(lower_bound=0.0)
        )
        .drop("_missing_months", "full_start", "first_quarter")
    )


def _shares_and_ratios(frame: pl.DataFrame) -> pl.DataFrame:
    """The window's goodwill share, margin, margin share, goodwill cost share and contacts."""
    facing = pl.col("hours_billed") + pl.col("hours_included") + pl.col("hours_goodwill")
    margin = pl.col("revenue") - pl.col("labour_cost") - pl.col("direct_cost")
    contacts = pl.when((pl.col("seats") > 0) & (pl.col("months") > 0)).then(
        (pl.col("tickets") + pl.col("interactions")) / pl.col("seats") / pl.col("months")
    )
    return frame.with_columns(
        goodwill_share=pl.when(facing > 0).then(pl.col("hours_goodwill") / facing),
        margin=margin,
        margin_share=pl.when(pl.col("revenue") > 0).then(margin / pl.col("revenue")),
        goodwill_cost_share=_goodwill_cost_share(""),
        contacts_per_seat=contacts,
        contact_intensity=pl.when(pl.col("median_contacts_per_seat") > 0).then(
            contacts / pl.col("median_contacts_per_seat")
        ),
    )


def halves(
    quarters: pl.DataFrame, window: pl.DataFrame, *, window_quarters: int, minimum: int
) -> pl.DataFrame:
    """The available history's first half of quarters against its second half, per customer.

    The history is the customer's quarters up to the window's end, at most two windows long
    (with more, the year before is complete). With n quarter rows, the first and the last
    n // 2 (the middle one of an odd number is left out). Returns customer_id, half_quarters
    (n // 2, 0 when n is under ``minimum``), the two halves' first quarters, and their margin
    shares, goodwill cost shares and CSAT counts.
    """
    back = f"{-3 * (2 * window_quarters - 1)}mo"
    rows = (
        quarters.join(window.select("customer_id", "window_end"), on="customer_id")
        .filter(
            pl.col("period_start").is_between(
                pl.col("window_end").dt.offset_by(back), pl.col("window_end")
            )
        )
        .sort("customer_id", "period_start")
        .with_columns(
            _rank=pl.col("period_start").rank("ordinal").over("customer_id") - 1,
            _n=pl.len().over("customer_id"),
        )
        .with_columns(_k=pl.when(pl.col("_n") >= minimum).then(pl.col("_n") // 2).otherwise(0))
    )
    early = pl.col("_rank") < pl.col("_k")
    late = pl.col("_rank") >= pl.col("_n") - pl.col("_k")

    def total(column: str, where: pl.Expr) -> pl.Expr:
        return pl.col(column).filter(where).sum()

    sums = [
        total(column, where).alias(f"{column}_{name}")
        for name, where in (("first_half", early), ("second_half", late))
        for column in (
            "revenue",
            "revenue_project",
            "labour_cost",
            "goodwill_cost",
            "direct_cost",
            "csat_positive",
            "csat_responses",
        )
    ]
    halves = rows.group_by("customer_id").agg(
        *sums,
        half_quarters=pl.col("_k").first(),
        first_half_start=pl.col("period_start").filter(early).min(),
        second_half_start=pl.col("period_start").filter(late).min(),
    )
    return halves.with_columns(
        *[
            pl.when(pl.col(f"revenue_{name}") > 0)
            .then(
                (
                    pl.col(f"revenue_{name}")
                    - pl.col(f"labour_cost_{name}")
                    - pl.col(f"direct_cost_{name}")
                )
                / pl.col(f"revenue_{name}")
            )
            .alias(f"margin_share_{name}")
            for name in ("first_half", "second_half")
        ],
        *[
            _goodwill_cost_share(f"_{name}").alias(f"goodwill_cost_share_{name}")
            for name in ("first_half", "second_half")
        ],
    )
