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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from solidground.engine.periods import add_months
from solidground.engine.stats import wilson_interval

if TYPE_CHECKING:
    import pandas as pd
    from lifelines import CoxPHFitter

# lifelines (with pandas and autograd) takes seconds to import: it is imported where a model is
# fitted, so that the web and the command line, which only read stored results, never load it.

DAYS_PER_MONTH = 30.4375
MIN_CONTRACTS = 20
MIN_CANCELLATIONS = 8
MIN_QUARTERS = 4
MIN_AT_RISK = 10
Z95 = 1.959963984540054


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
