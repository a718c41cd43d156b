"""Survival data of renewals: contract histories as rows at risk, per quarter.

``contract_quarters`` turns contracts, their events and the quarters with stored figures
into one row per contract and quarter at risk: ``(start, stop]`` in whole months of tenure,
``event`` True when notice was given in that quarter (``cancellation_dates``). ``History``
(from ``history_of``) counts contracts, cancellations and quarters, and says whether a model
may be fitted at all (``MIN_CONTRACTS``, ``MIN_CANCELLATIONS``, ``MIN_QUARTERS``). The
models fitted on these rows are in ``survival`` and ``survival_cox``; every name here is
importable from ``survival`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from solidground.engine.periods import add_months

__all__ = [
    "DAYS_PER_MONTH",
    "MIN_AT_RISK",
    "MIN_CANCELLATIONS",
    "MIN_CONTRACTS",
    "MIN_QUARTERS",
    "History",
    "cancellation_dates",
    "contract_quarters",
    "enough_history",
    "history_of",
]

DAYS_PER_MONTH = 30.4375
MIN_CONTRACTS = 20
MIN_CANCELLATIONS = 8
MIN_QUARTERS = 4
MIN_AT_RISK = 10


@dataclass(frozen=True)
class History:
    """How much contract history there is: what decides between a model and rules."""

    contracts: int
    cancellations: int
    quarters: int
    renewals: int = 0

    def shortfall(self) -> list[str]:
        """What is missing for a model, as keys with the numbers (empty when enough)."""
        missing = []
        if self.contracts < MIN_CONTRACTS:
            missing.append("contracts")
        if self.cancellations < MIN_CANCELLATIONS:
            missing.append("cancellations")
        if self.quarters < MIN_QUARTERS:
            missing.append("quarters")
        return missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "contracts": self.contracts,
            "cancellations": self.cancellations,
            "quarters": self.quarters,
            "renewals": self.renewals,
            "min_contracts": MIN_CONTRACTS,
            "min_cancellations": MIN_CANCELLATIONS,
            "min_quarters": MIN_QUARTERS,
        }


def enough_history(history: History) -> bool:
    return not history.shortfall()


def cancellation_dates(contracts: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Per contract: the day notice was given (the first "cancelled" event), else, for a
    contract marked cancelled without an event, its end date; null when it was not cancelled.

    ``contracts``: contract_id, status, end_date. ``events``: contract_id, kind, occurred_on.
    """
    first = (
        events.filter(pl.col("kind") == "cancelled")
        .group_by("contract_id")
        .agg(pl.col("occurred_on").min().alias("_event_on"))
    )
    return (
        contracts.select("contract_id", "status", "end_date")
        .join(first, on="contract_id", how="left")
        .select(
            "contract_id",
            pl.coalesce(
                "_event_on",
                pl.when(pl.col("status") == "cancelled").then(pl.col("end_date")),
            ).alias("cancelled_on"),
        )
    )


def _tenure(day: pl.Expr, start: pl.Expr) -> pl.Expr:
    """Whole months since the contract's start. Whole months keep the distinct event times
    few (the Cox fit loops over them) and are how contracts are billed; consecutive rows of a
    contract still meet exactly."""
    return ((day - start).dt.total_days().cast(pl.Float64) / DAYS_PER_MONTH).round(0)


def contract_quarters(
    contracts: pl.DataFrame, events: pl.DataFrame, *, quarters: Sequence[date], until: date
) -> pl.DataFrame:
    """One row per contract and quarter at risk (the survival data).

    ``contracts``: contract_id, customer_id, start_date, end_date, status. ``quarters``: the
    quarter starts with stored figures, in order; rows begin at the second (the first gives the
    covariates of the second). ``until``: the first day after the observation (rows end there).

    Columns: contract_id, customer_id, period_start (the quarter), covariate_quarter (the
    quarter before, whose figures describe the contract), start, stop (tenure in months),
    event (a cancellation was given in this quarter).
    """
    schema = {
        "contract_id": pl.Int64,
        "customer_id": pl.Int64,
        "period_start": pl.Date,
        "covariate_quarter": pl.Date,
        "start": pl.Float64,
        "stop": pl.Float64,
        "event": pl.Boolean,
    }
    if len(quarters) < 2 or contracts.height == 0:
        return pl.DataFrame(schema=schema)
    grid = pl.DataFrame(
        {
            "period_start": list(quarters[1:]),
            "covariate_quarter": list(quarters[:-1]),
            "period_end": [min(add_months(q, 3), until) for q in quarters[1:]],
        },
        schema={"period_start": pl.Date, "covariate_quarter": pl.Date, "period_end": pl.Date},
    ).filter(pl.col("period_start") < pl.col("period_end"))
    cancelled = cancellation_dates(contracts, events)
    rows = (
        contracts.select("contract_id", "customer_id", "start_date", "end_date")
        .join(cancelled, on="contract_id", how="left")
        .join(grid, how="cross")
        .with_columns(
            begin=pl.max_horizontal("period_start", "start_date"),
            # An expired contract (end date without a cancellation) is censored at its end.
            finish=pl.min_horizontal(
                "period_end",
                pl.col("end_date").fill_null(date(9999, 1, 1)) + timedelta(days=1),
            ),
            event=pl.col("cancelled_on").is_between(
                pl.col("period_start"), pl.col("period_end"), closed="left"
            ),
        )
        .filter(
            pl.col("cancelled_on").is_null() | (pl.col("period_start") <= pl.col("cancelled_on"))
        )
        .with_columns(
            finish=pl.when(pl.col("event"))
            .then(pl.max_horizontal("cancelled_on", "begin") + timedelta(days=1))
            .otherwise("finish")
        )
        .filter(pl.col("begin") < pl.col("finish"))
        .with_columns(
            start=_tenure(pl.col("begin"), pl.col("start_date")),
            stop=_tenure(pl.col("finish"), pl.col("start_date")),
        )
        # A row shorter than half a month rounds to no time at risk: a cancellation there
        # counts at the next whole month; without one, the row is dropped.
        .with_columns(
            stop=pl.when(pl.col("event") & (pl.col("stop") <= pl.col("start")))
            .then(pl.col("start") + 1)
            .otherwise("stop")
        )
        .filter(pl.col("stop") > pl.col("start"))
    )
    return rows.select(
        "contract_id",
        "customer_id",
        "period_start",
        "covariate_quarter",
        "start",
        "stop",
        pl.col("event").fill_null(False),
    ).sort("contract_id", "period_start")


def history_of(
    rows: pl.DataFrame, events: pl.DataFrame | None = None, *, contracts: int | None = None
) -> History:
    """The counts that decide between a model and rules. ``contracts``: how many contracts
    there are (default: those with rows; a store with one quarter of figures has none)."""
    renewals = 0
    if events is not None and events.height:
        kept = events.filter(pl.col("contract_id").is_in(rows["contract_id"].unique().implode()))
        renewals = kept.filter(pl.col("kind").is_in(["renewed", "expanded"])).height
    return History(
        contracts=contracts
        if contracts is not None
        else (rows["contract_id"].n_unique() if rows.height else 0),
        cancellations=int(rows["event"].sum()) if rows.height else 0,
        quarters=rows["period_start"].n_unique() if rows.height else 0,
        renewals=renewals,
    )
