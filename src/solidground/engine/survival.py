"""Renewal survival analysis: contract histories as survival data, fitted with lifelines.

Pure Python, Polars and lifelines; never imports Django. The time scale is a contract's
**tenure** in whole months (days / 30.4375 since its start, rounded). A contract is observed
from the second quarter of the stored figures on (its covariates come from the quarters
before), one row per quarter: ``(start, stop]`` in tenure months, ``event`` True when a
cancellation was given in that quarter. A contract that started before the figures begin
enters late (left truncation), which the risk sets respect. After a cancellation the contract
leaves the risk set.

- ``kaplan_meier``: survival curves per group by months observed, with their 95% bands, cut
  where fewer than ``MIN_AT_RISK`` contracts are still observed.
- ``fit_cox``: Cox proportional hazards on the quarter rows. Each row enters the risk set at
  its start (lifelines' ``entry_col``): the counting-process form of time-varying covariates,
  whose partial likelihood is the one ``CoxTimeVaryingFitter`` maximises (tested to 1e-6),
  and about twice as fast.
- ``proportional_hazards_check``: each covariate's interaction with log(tenure) in one more
  fit; a significant interaction (p < 0.05) means that covariate's effect changes with tenure.
- ``held_out_calibration``: fit on the quarters before a cutoff, score the contracts at risk
  at the cutoff, compare with the cancellations that followed (concordance, calibration table).
- ``enough_history``: whether a model may be fitted at all; below it, transparent rules only.

Risk over a horizon uses a constant baseline hazard (cancellations per month of exposure,
weighted by the fitted relative risks): ``1 - exp(-rate * months * exp(x·b))``.

Where the code lives: the survival data (quarters at risk, ``History``) in ``survival_data``,
the Cox model with its checks and held-out calibration in ``survival_cox``, the Kaplan-Meier
curves and Welch's difference of means here. Every name is importable from this module.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from solidground.engine.survival_cox import (
    RUNAWAY,
    Z95,
    Calibration,
    CalibrationBin,
    Coefficient,
    Comparison,
    CoxResult,
    FitFailed,
    PhCheck,
    calibration_cutoff,
    compare_strength,
    fit_cox,
    held_out_calibration,
    proportional_hazards_check,
)
from solidground.engine.survival_data import (
    DAYS_PER_MONTH,
    MIN_AT_RISK,
    MIN_CANCELLATIONS,
    MIN_CONTRACTS,
    MIN_QUARTERS,
    History,
    cancellation_dates,
    contract_quarters,
    enough_history,
    history_of,
)

__all__ = [
    "DAYS_PER_MONTH",
    "MIN_AT_RISK",
    "MIN_CANCELLATIONS",
    "MIN_CONTRACTS",
    "MIN_QUARTERS",
    "RUNAWAY",
    "Z95",
    "Calibration",
    "CalibrationBin",
    "Coefficient",
    "Comparison",
    "CoxResult",
    "Curve",
    "FitFailed",
    "History",
    "PhCheck",
    "calibration_cutoff",
    "cancellation_dates",
    "compare_strength",
    "contract_quarters",
    "enough_history",
    "fit_cox",
    "held_out_calibration",
    "history_of",
    "kaplan_meier",
    "proportional_hazards_check",
    "welch_difference",
]

# lifelines (with pandas and autograd) takes seconds to import: it is imported where a model is
# fitted, so that the web and the command line, which only read stored results, never load it.


# --------------------------------------------------------------------------------------------
# Kaplan-Meier


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier curve on a monthly grid of months observed, with its 95% band."""

    group: str
    contracts: int
    cancellations: int
    months: list[float]
    survival: list[float]
    low: list[float]
    high: list[float]
    at_risk: list[int]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _at_risk(entry: np.ndarray, duration: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Contracts observed at each time: entered before it and not yet left."""
    entered = np.searchsorted(np.sort(entry), times, side="right")
    left = np.searchsorted(np.sort(duration), times, side="left")
    return np.asarray(entered - left, dtype=np.int64)


def kaplan_meier(rows: pl.DataFrame, groups: pl.DataFrame, *, step: float = 1.0) -> list[Curve]:
    """Per group, the share of contracts not yet cancelled by months of observation (from
    the contract's first observed quarter, or its start if later).

    ``rows`` from ``contract_quarters``; ``groups``: contract_id, group. Points where fewer
    than ``MIN_AT_RISK`` contracts are observed are left out: the curve is not shown where a
    handful of contracts would move it.
    """
    spells = (
        rows.group_by("contract_id")
        .agg(
            pl.col("start").min().alias("entry"),
            pl.col("stop").max().alias("duration"),
            pl.col("event").any().alias("event"),
        )
        .join(groups, on="contract_id", how="inner")
    )
    curves = []
    for (name,), part in sorted(spells.group_by("group"), key=lambda item: str(item[0][0])):
        duration = (part["duration"] - part["entry"]).to_numpy()
        entry = np.zeros(len(duration))
        grid = np.arange(0.0, math.floor(float(duration.max()) / step) * step + step, step)
        at_risk = _at_risk(entry, duration, grid)
        keep = at_risk >= MIN_AT_RISK
        if not keep.any():
            continue
        from lifelines import KaplanMeierFitter

        fitter = KaplanMeierFitter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(duration, part["event"].to_numpy())
        survival = fitter.survival_function_at_times(grid).to_numpy()
        band = fitter.confidence_interval_survival_function_
        index = np.searchsorted(band.index.to_numpy(), grid, side="right") - 1
        low = np.where(index >= 0, band.iloc[np.maximum(index, 0), 0].to_numpy(), 1.0)
        high = np.where(index >= 0, band.iloc[np.maximum(index, 0), 1].to_numpy(), 1.0)
        # Before the first observed time the band is that of "no event yet".
        first = int(np.argmax(keep))
        last = len(keep) - int(np.argmax(keep[::-1]))
        span = slice(first, last)
        curves.append(
            Curve(
                group=str(name),
                contracts=part.height,
                cancellations=int(part["event"].sum()),
                months=[round(float(x), 2) for x in grid[span]],
                survival=[round(float(x), 4) for x in survival[span]],
                low=[round(float(x), 4) for x in low[span]],
                high=[round(float(x), 4) for x in high[span]],
                at_risk=[int(x) for x in at_risk[span]],
            )
        )
    return curves


# --------------------------------------------------------------------------------------------
# Comparing two groups


def welch_difference(first: np.ndarray, second: np.ndarray) -> tuple[float, float, float] | None:
    """Mean of ``first`` minus mean of ``second`` with Welch's 95% interval; None below two
    values in either group."""
    a = first[np.isfinite(first)]
    b = second[np.isfinite(second)]
    if len(a) < 2 or len(b) < 2:
        return None
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return None  # no spread in either group: no interval to give
    with warnings.catch_warnings():
        # SciPy warns of precision loss when one group's values are nearly identical; the
        # interval is still the right one for the other group's spread.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(a, b, equal_var=False)
        interval = result.confidence_interval(0.95)
    low, high = float(interval.low), float(interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return float(a.mean() - b.mean()), low, high
