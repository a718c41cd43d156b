"""The whale curve: customers sorted by profit, cumulative profit as a share of the total.

The curve usually rises above 100% (the profitable customers earn more than the total) and
falls back to 100% at the right end, where the customers that destroy profit sit (Kaplan and
Cooper's "whale curve"; docs/domain.md, hypothesis 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["WhaleSummary", "whale_curve", "whale_summary"]


def whale_curve(profits: pl.DataFrame) -> pl.DataFrame:
    """Sort ``profits`` (customer_id, profit, revenue) by profit, highest first, and add the curve.

    Adds rank (1 = most profitable), cumulative_profit, cumulative_share (cumulative profit /
    total profit; null when the total is not positive, where a share of it means nothing) and
    customer_share (rank / customers).

    >>> frame = pl.DataFrame({"customer_id": [1, 2, 3], "profit": [-20.0, 100.0, 20.0],
    ...     "revenue": [50.0, 300.0, 80.0]})
    >>> whale_curve(frame).select("customer_id", "cumulative_share").rows()
    [(2, 1.0), (3, 1.2), (1, 1.0)]
    """
    n = profits.height
    ordered = profits.sort(["profit", "customer_id"], descending=[True, False])
    total = float(ordered["profit"].sum()) if n else 0.0
    curve = ordered.with_columns(
        rank=pl.int_range(1, n + 1, dtype=pl.Int64),
        cumulative_profit=pl.col("profit").cum_sum(),
    )
    return curve.with_columns(
        cumulative_share=(pl.col("cumulative_profit") / total) if total > 0 else pl.lit(None),
        customer_share=pl.col("rank") / max(n, 1),
    ).cast({"cumulative_share": pl.Float64, "customer_share": pl.Float64})


@dataclass(frozen=True)
class WhaleSummary:
    """The curve in four numbers: peak share and where, and the profit destroyed."""

    customers: int
    total_profit: float
    peak_share: float | None
    peak_customer_share: float | None
    unprofitable_customers: int
    profit_destroyed: float


def whale_summary(curve: pl.DataFrame) -> WhaleSummary:
    """Summarise a :func:`whale_curve` frame.

    >>> frame = pl.DataFrame({"customer_id": [1, 2, 3], "profit": [-20.0, 100.0, 20.0],
    ...     "revenue": [50.0, 300.0, 80.0]})
    >>> whale_summary(whale_curve(frame)).peak_share
    1.2
    """
    if curve.height == 0:
        return WhaleSummary(0, 0.0, None, None, 0, 0.0)
    losers = curve.filter(pl.col("profit") < 0)
    peak_share: float | None = None
    peak_customer_share: float | None = None
    if curve["cumulative_share"].null_count() == 0:
        peak_index = int(curve["cumulative_share"].arg_max() or 0)
        peak_share = float(curve["cumulative_share"][peak_index])
        peak_customer_share = float(curve["customer_share"][peak_index])
    return WhaleSummary(
        customers=curve.height,
        total_profit=float(curve["profit"].sum()),
        peak_share=peak_share,
        peak_customer_share=peak_customer_share,
        unprofitable_customers=losers.height,
        profit_destroyed=float(-losers["profit"].sum()),
    )
