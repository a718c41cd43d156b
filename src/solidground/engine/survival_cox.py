"""The Cox model of renewal risk, its checks and its calibration on held-out time.

``fit_cox`` fits Cox proportional hazards (lifelines) on the rows of
``survival_data.contract_quarters``, leaving out covariates that do not vary or run off to
infinity and keeping lifelines' warnings; ``CoxResult.risk`` gives the probability of a
cancellation within a horizon. ``proportional_hazards_check`` tests each covariate's
interaction with log(tenure), ``held_out_calibration`` scores a model fitted before a cutoff
on the cancellations after it, and ``compare_strength`` compares two coefficients. lifelines
is imported inside the functions that fit. Every name here is importable from ``survival``
too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from solidground.engine.stats import wilson_interval
from solidground.engine.survival_data import DAYS_PER_MONTH, MIN_CANCELLATIONS

if TYPE_CHECKING:
    import pandas as pd
    from lifelines import CoxPHFitter

__all__ = [
    "RUNAWAY",
    "Z95",
    "Calibration",
    "CalibrationBin",
    "Coefficient",
    "Comparison",
    "CoxResult",
    "FitFailed",
    "PhCheck",
    "calibration_cutoff",
    "compare_strength",
    "fit_cox",
    "held_out_calibration",
    "proportional_hazards_check",
]

Z95 = 1.959963984540054


# --------------------------------------------------------------------------------------------
# Cox proportional hazards


@dataclass(frozen=True)
class Coefficient:
    name: str
    log_hr: float
    se: float
    p: float

    @property
    def hr(self) -> float:
        return math.exp(self.log_hr)

    @property
    def low(self) -> float:
        return _safe_exp(self.log_hr - Z95 * self.se)

    @property
    def high(self) -> float:
        return _safe_exp(self.log_hr + Z95 * self.se)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "log_hr": self.log_hr,
            "se": self.se,
            "p": self.p,
            "hr": _finite(self.hr),
            "low": _finite(self.low),
            "high": _finite(self.high),
        }


def _safe_exp(value: float) -> float:
    return math.exp(value) if value < 700 else math.inf


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass
class CoxResult:
    """A fitted Cox model: coefficients, their covariance and what the fit warned about."""

    coefficients: list[Coefficient]
    covariance: np.ndarray
    rows: int
    contracts: int
    cancellations: int
    baseline_rate: float  # cancellations per month at x = 0
    dropped: list[str] = field(default_factory=list)  # covariates without variation
    separated: list[str] = field(default_factory=list)  # indicators without cancellations
    warnings: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.coefficients]

    @property
    def beta(self) -> np.ndarray:
        return np.array([c.log_hr for c in self.coefficients])

    def coefficient(self, name: str) -> Coefficient | None:
        return next((c for c in self.coefficients if c.name == name), None)

    def risk(self, covariates: pl.DataFrame, months: float) -> pl.DataFrame:
        """Probability of a cancellation within ``months``, with a 95% interval from the
        coefficients' uncertainty (the baseline rate taken as known)."""
        x = covariates.select(self.names).to_numpy().astype(np.float64)
        linear = x @ self.beta
        spread = np.sqrt(np.einsum("ij,jk,ik->i", x, self.covariance, x))
        cumulative = self.baseline_rate * months

        def probability(eta: np.ndarray) -> np.ndarray:
            return np.asarray(-np.expm1(-cumulative * np.exp(np.clip(eta, -50, 50))))

        return pl.DataFrame(
            {
                "risk": probability(linear),
                "risk_low": probability(linear - Z95 * spread),
                "risk_high": probability(linear + Z95 * spread),
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "coefficients": [c.as_dict() for c in self.coefficients],
            "rows": self.rows,
            "contracts": self.contracts,
            "cancellations": self.cancellations,
            "baseline_rate": self.baseline_rate,
            "dropped": self.dropped,
            "separated": self.separated,
            "warnings": self.warnings,
        }


def _separated(rows: pl.DataFrame, name: str) -> bool:
    values = rows[name].cast(pl.Float64)
    if not values.is_in([0.0, 1.0]).all():
        return False
    flagged = rows.filter(values == 1)["event"]
    others = rows.filter(values == 0)["event"]
    return not flagged.any() or not others.any()


class FitFailed(Exception):
    """The model could not be fitted (no convergence, singular data); the message says why."""


def _frame(rows: pl.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    return rows.select(
        *[pl.col(c).cast(pl.Float64) for c in covariates],
        pl.col("start").cast(pl.Float64),
        pl.col("stop").cast(pl.Float64),
        pl.col("event").cast(pl.Int64),
    ).to_pandas()


def _fit_once(
    data: pd.DataFrame, penalizer: float, initial: np.ndarray | None
) -> tuple[CoxPHFitter, list[str]]:
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    fitter = CoxPHFitter(penalizer=penalizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Strong effects can throw Newton's first full steps off (NaN); shorter steps reach
        # the same maximum of the partial likelihood.
        for step_size in (None, 0.2, 0.05):
            options = {} if step_size is None else {"step_size": step_size}
            try:
                fitter.fit(
                    data,
                    duration_col="stop",
                    event_col="event",
                    entry_col="start",
                    fit_options=options,
                    initial_point=initial,
                )
                break
            except (ConvergenceError, np.linalg.LinAlgError, ValueError) as exc:
                if step_size == 0.05:
                    raise FitFailed(str(exc).splitlines()[0]) from exc
                caught.clear()  # the warnings of a failed attempt say nothing of the fit
    noted = sorted(
        {
            str(w.message).splitlines()[0]
            for w in caught
            if not issubclass(w.category, DeprecationWarning)
        }
    )
    return fitter, noted


# A log hazard ratio this far out, or this uncertain, is the likelihood running off to
# infinity (monotone likelihood: the covariate's rows hold nearly all or none of the
# cancellations at the times they happen). Such a covariate carries no finite estimate.
RUNAWAY = 10.0


def fit_cox(
    rows: pl.DataFrame,
    covariates: Sequence[str],
    *,
    penalizer: float = 0.0,
    start_from: dict[str, float] | None = None,
) -> CoxResult:
    """Cox proportional hazards on counting-process rows (start, stop, event, covariates).

    Covariates that do not vary are dropped (``dropped``); indicators without a cancellation
    on one side, and covariates whose estimate runs off to infinity, are left out and the
    model fitted again without them (``separated``). lifelines' warnings are kept in
    ``warnings`` rather than raised, so that a page can state them. ``start_from``: log
    hazard ratios to start Newton's method from (a related fit's), 0 for the others; the
    maximum is the same, it is only reached in fewer steps.
    """
    varying = [c for c in covariates if rows[c].n_unique() > 1]
    dropped = [c for c in covariates if c not in varying]
    separated = [c for c in varying if _separated(rows, c)]
    varying = [c for c in varying if c not in separated]
    while True:
        if not varying:
            raise FitFailed("no covariate varies between contracts")
        data = _frame(rows, varying)
        initial = np.array([start_from.get(name, 0.0) for name in varying]) if start_from else None
        fitter, noted = _fit_once(data, penalizer, initial)
        table = fitter.summary
        runaway = [
            name
            for name in varying
            if abs(float(table.loc[name, "coef"])) > RUNAWAY
            or not float(table.loc[name, "se(coef)"]) < RUNAWAY
        ]
        if not runaway:
            break
        separated += runaway
        varying = [c for c in varying if c not in runaway]
    summary = fitter.summary
    coefficients = [
        Coefficient(
            name=name,
            log_hr=float(summary.loc[name, "coef"]),
            se=float(summary.loc[name, "se(coef)"]),
            p=float(summary.loc[name, "p"]),
        )
        for name in varying
    ]
    beta = np.array([c.log_hr for c in coefficients])
    x = data[varying].to_numpy()
    exposure = (data["stop"] - data["start"]).to_numpy()
    weighted = float((np.exp(np.clip(x @ beta, -50, 50)) * exposure).sum())
    events = int(data["event"].sum())
    return CoxResult(
        coefficients=coefficients,
        covariance=fitter.variance_matrix_.loc[varying, varying].to_numpy(),
        rows=len(data),
        contracts=rows["contract_id"].n_unique() if "contract_id" in rows.columns else len(data),
        cancellations=events,
        baseline_rate=events / weighted if weighted > 0 else 0.0,
        dropped=dropped,
        separated=separated,
        warnings=noted,
    )


@dataclass(frozen=True)
class PhCheck:
    """The proportional-hazards check of one covariate."""

    name: str
    interaction: float  # change of the log hazard ratio per unit of log(tenure)
    p: float

    @property
    def holds(self) -> bool:
        return not self.p < 0.05

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "interaction": self.interaction,
            "p": self.p,
            "holds": self.holds,
        }


def proportional_hazards_check(rows: pl.DataFrame, result: CoxResult) -> list[PhCheck]:
    """Each covariate's interaction with log(tenure at the end of the row), fitted together
    with the model's covariates; p < 0.05 means its effect changes with tenure."""
    names = result.names
    log_time = np.log(np.maximum(rows["stop"].to_numpy(), 1.0 / DAYS_PER_MONTH))
    extended = rows.with_columns(
        *[(pl.col(name) * pl.Series(log_time)).alias(f"{name}__log_t") for name in names]
    )
    interactions = [f"{name}__log_t" for name in names]
    fitted = fit_cox(
        extended, [*names, *interactions], start_from=dict(zip(names, result.beta, strict=True))
    )
    checks = []
    for name in names:
        term = fitted.coefficient(f"{name}__log_t")
        if term is not None:
            checks.append(PhCheck(name=name, interaction=term.log_hr, p=term.p))
    return checks


# --------------------------------------------------------------------------------------------
# Calibration on held-out time


@dataclass(frozen=True)
class CalibrationBin:
    contracts: int
    predicted: float
    cancelled: int
    observed: float
    low: float
    high: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Calibration:
    """Fit on the quarters before ``cutoff``, scored on the cancellations from it on."""

    cutoff: date
    months: float
    contracts: int
    cancellations: int
    training_cancellations: int
    concordance: float | None
    bins: list[CalibrationBin]

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "months": self.months,
            "contracts": self.contracts,
            "cancellations": self.cancellations,
            "training_cancellations": self.training_cancellations,
            "concordance": self.concordance,
            "bins": [b.as_dict() for b in self.bins],
        }


def calibration_cutoff(rows: pl.DataFrame) -> date | None:
    """The quarter that splits the cancellations about in half, leaving at least
    ``MIN_CANCELLATIONS`` to fit on and one quarter with cancellations to score."""
    quarters = sorted(rows["period_start"].unique().to_list())
    per_quarter = rows.group_by("period_start").agg(pl.col("event").sum()).sort("period_start")
    total = int(per_quarter["event"].sum())
    before = 0
    for quarter, count in zip(per_quarter["period_start"], per_quarter["event"], strict=True):
        if before >= max(MIN_CANCELLATIONS, total / 2) and quarter != quarters[0]:
            return quarter  # type: ignore[no-any-return]
        before += int(count)
    return None


def held_out_calibration(
    rows: pl.DataFrame,
    covariates: Sequence[str],
    *,
    until: date,
    start_from: dict[str, float] | None = None,
) -> Calibration | None:
    """Concordance and a calibration table on the cancellations after a cutoff, from a model
    fitted only on the quarters before it. None when the history cannot be split."""
    from lifelines.utils import concordance_index

    cutoff = calibration_cutoff(rows)
    if cutoff is None:
        return None
    training = rows.filter(pl.col("period_start") < cutoff)
    held = rows.filter(pl.col("period_start") >= cutoff)
    if held.height == 0 or int(held["event"].sum()) == 0:
        return None
    try:
        model = fit_cox(training, covariates, start_from=start_from)
    except FitFailed:
        return None
    months = (until - cutoff).days / DAYS_PER_MONTH
    at_cutoff = held.filter(pl.col("period_start") == cutoff)
    outcome = held.group_by("contract_id").agg(
        pl.col("event").any().alias("cancelled"),
        pl.col("stop").max().alias("_stop"),
    )
    scored = at_cutoff.join(outcome, on="contract_id", how="inner")
    predicted = model.risk(scored, months)["risk"].to_numpy()
    cancelled = scored["cancelled"].to_numpy()
    waited = (scored["_stop"] - scored["start"]).to_numpy()
    concordance = (
        float(concordance_index(waited, -predicted, cancelled))
        if 0 < cancelled.sum() < len(cancelled)
        else None
    )
    count = max(1, min(5, len(predicted) // 20))
    order = np.argsort(predicted, kind="stable")
    bins = []
    for part in np.array_split(order, count):
        hits = int(cancelled[part].sum())
        low, high = wilson_interval(hits, len(part))
        bins.append(
            CalibrationBin(
                contracts=len(part),
                predicted=float(predicted[part].mean()),
                cancelled=hits,
                observed=hits / len(part),
                low=float(low),
                high=float(high),
            )
        )
    return Calibration(
        cutoff=cutoff,
        months=round(months, 2),
        contracts=len(predicted),
        cancellations=int(cancelled.sum()),
        training_cancellations=int(training["event"].sum()),
        concordance=concordance,
        bins=bins,
    )


# --------------------------------------------------------------------------------------------
# Comparing two coefficients


@dataclass(frozen=True)
class Comparison:
    """|b1| - |b2| of two log hazard ratios, with a 95% interval (delta method, the signs
    taken as estimated)."""

    first: str
    second: str
    difference: float
    low: float
    high: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def compare_strength(result: CoxResult, first: str, second: str) -> Comparison | None:
    names = result.names
    if first not in names or second not in names:
        return None
    i, j = names.index(first), names.index(second)
    b = result.beta
    si, sj = np.sign(b[i]) or 1.0, np.sign(b[j]) or 1.0
    diff = si * b[i] - sj * b[j]
    cov = result.covariance
    variance = cov[i, i] + cov[j, j] - 2 * si * sj * cov[i, j]
    spread = Z95 * math.sqrt(max(float(variance), 0.0))
    return Comparison(first, second, float(diff), float(diff - spread), float(diff + spread))
