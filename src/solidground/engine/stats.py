"""Statistics toolbox for the analysis: intervals, shrinkage, rate tests and creep detection.

Every figure the product shows carries its uncertainty (docs/domain.md, "Figures"). The
functions here compute it for whole columns at once: the analysis calls them for about 100,000
customer-months, so they are closed forms in NumPy, each tested against statsmodels or SciPy.

Conventions shared by all functions:

- Counts are scalars or array-likes; they broadcast against each other like NumPy operands.
- Results are float64 arrays, 0-d for scalar input (``float(x)`` gives a Python float).
- ``n == 0`` means "no data" and yields NaN, never 0 or 1; a NaN count also yields NaN.
- Impossible counts (negative, or more successes than answers) raise ``ValueError``.
- No function emits a ``RuntimeWarning``: the test suite runs with warnings as errors.

>>> low, high = wilson_interval([19, 0], [20, 0])
>>> [round(float(x), 3) for x in low], [round(float(x), 3) for x in high]
([0.764, nan], [0.991, nan])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

__all__ = [
    "MIN_CUSTOMERS_FOR_PRIOR",
    "NPS_SMALL_N",
    "RANKING_PRIOR_STRENGTH",
    "WEAK_PRIOR_STRENGTH",
    "BetaPrior",
    "Creep",
    "Difference",
    "Interval",
    "MeanInterval",
    "NpsInterval",
    "NpsResult",
    "RateComparison",
    "consecutive_rises",
    "creep_flags",
    "fit_beta_prior",
    "mean_ci",
    "newcombe_difference",
    "nps",
    "nps_interval",
    "poisson_rate_test",
    "ranking_prior",
    "share",
    "shrunk_rate",
    "wilson_interval",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

NPS_SMALL_N: Final = 30
"""Below this many answers ``nps`` uses the adjusted-Wald interval (Lewis and Sauro).

At n = 30 and above the plain Wald margin is used, which is the variant that reproduces the
example in docs/domain.md (n = 40, 18 promoters, 6 detractors: NPS 30 +/- 22; adjusted-Wald
gives +/- 21).
"""

MIN_CUSTOMERS_FOR_PRIOR: Final = 5
"""Fewer customers with answers than this, and ``fit_beta_prior`` returns the weak prior."""

WEAK_PRIOR_STRENGTH: Final = 2.0
"""Weight of the fallback prior in answers (alpha + beta): enough to keep 0/1 rates off the edges,
too little to override a customer's own answers."""

RANKING_PRIOR_STRENGTH: Final = (20.0, 200.0)
"""Bounds of the ranking prior's strength, in answers (``ranking_prior``).

At least 20: then a perfect sample of up to 10 answers never outranks a sample of 100 or more
answers whose share lies at least halfway between the prior mean and 100% (the guarantee
holds when the strength exceeds n * N / (N - 2n), 12.5 for n = 10 and N = 100; tested as a
property). At most 200: a customer with 200 answers still counts half towards its own rank,
however alike the portfolio's customers are (the unbounded fit runs to all answers then).
"""

# Relative tolerance for "as likely as the observed count" in the two-sided exact binomial test;
# the same value SciPy's binomtest uses, so ties caused by rounding count on both tails.
_PMF_RELATIVE_TOLERANCE: Final = 1 + 1e-7


class Interval(NamedTuple):
    """A confidence interval; unpacks as ``low, high``."""

    low: FloatArray
    high: FloatArray


class Difference(NamedTuple):
    """A difference of two shares with its confidence interval."""

    diff: FloatArray
    low: FloatArray
    high: FloatArray

    @property
    def significant(self) -> BoolArray:
        """True where the interval excludes 0; False where it includes 0 or there is no data."""
        return np.asarray((self.low > 0) | (self.high < 0), dtype=np.bool_)


class NpsResult(NamedTuple):
    """Observed NPS (-100..100) and the half-width of its confidence interval, in NPS points."""

    score: FloatArray
    margin: FloatArray


class NpsInterval(NamedTuple):
    """Observed NPS and the confidence interval, clipped to [-100, 100]."""

    score: FloatArray
    low: FloatArray
    high: FloatArray


class RateComparison(NamedTuple):
    """Ratio of two event rates (first / second) and the two-sided p-value for "equal rates"."""

    ratio: FloatArray
    p_value: FloatArray


class Creep(NamedTuple):
    """Per row of a (customers x periods) array: is the figure creeping up at the end?

    ``rising``: the last ``min_run`` period-on-period changes were all increases.
    ``relative_increase``: (last - first) / |first| over the last ``min_run`` changes; NaN when
    either end is missing, +inf when the figure rose from exactly 0.
    ``run_length``: how many consecutive increases end at the last period.
    """

    rising: BoolArray
    relative_increase: FloatArray
    run_length: IntArray


class MeanInterval(NamedTuple):
    """Mean with its t-interval."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray


@dataclass(frozen=True, slots=True)
class BetaPrior:
    """Beta(alpha, beta) prior for a rate; ``strength`` = alpha + beta is its weight in answers.

    ``method`` says how it was obtained: ``"mle"`` (beta-binomial maximum likelihood),
    ``"homogeneous"`` (the fit found no between-customer variance, so the strength is capped at
    the portfolio's number of answers) or ``"weak"`` (too few customers to fit).

    >>> prior = BetaPrior(alpha=9.0, beta=1.0, method="mle")
    >>> prior.mean, prior.strength
    (0.9, 10.0)
    """

    alpha: float
    beta: float
    method: Literal["mle", "homogeneous", "weak"] = "mle"

    def __post_init__(self) -> None:
        if not (self.alpha > 0 and self.beta > 0 and np.isfinite(self.alpha + self.beta)):
            raise ValueError(
                f"BetaPrior needs finite alpha > 0 and beta > 0; got alpha={self.alpha}, "
                f"beta={self.beta}"
            )

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        return self.alpha + self.beta


# --------------------------------------------------------------------------------------------
# Input handling


def _float_array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


@functools.lru_cache(maxsize=16)
def _critical_value(alpha: float) -> float:
    # Called once per interval computation, often per customer; SciPy's isf costs ~50 us.
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1; got {alpha}")
    return float(stats.norm.isf(alpha / 2))


def _raise_at_first(bad: BoolArray, message: str, **arrays: FloatArray) -> None:
    """Raise ValueError naming the first offending element, so a user can find the row."""
    if not np.any(bad):
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    values = ", ".join(f"{name}={array[index]:g}" for name, array in arrays.items())
    where = f" at index {index}" if index else ""
    raise ValueError(f"{message}; got {values}{where}")


def _counts(successes: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Broadcast successes and n to float arrays and reject impossible combinations.

    NaN passes through: comparisons with NaN are False, so missing counts are not "impossible".
    """
    s, m = np.broadcast_arrays(_float_array(successes), _float_array(n))
    s, m = _float_array(s), _float_array(m)
    _raise_at_first(
        (m < 0) | (s < 0) | (s > m),
        "successes must lie between 0 and n",
        successes=s,
        n=m,
    )
    return s, m


def _share(s: FloatArray, m: FloatArray) -> FloatArray:
    out = np.full(np.shape(s), np.nan)
    np.divide(s, m, out=out, where=m > 0)
    return out


# --------------------------------------------------------------------------------------------
# Shares and their intervals


def share(successes: ArrayLike, n: ArrayLike) -> FloatArray:
    """Share successes / n, NaN where n == 0 (no answers is not a share of 0).

    >>> share([3, 0], [4, 0]).tolist()
    [0.75, nan]
    """
    return _share(*_counts(successes, n))


def wilson_interval(successes: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> Interval:
    """Wilson score interval for a share (95% by default), NaN where n == 0.

    Same result as statsmodels ``proportion_confint(method="wilson")``, in closed form so that
    whole columns are computed at once; bounds are clipped to [0, 1] like statsmodels does,
    because rounding can otherwise push an all-negative sample's lower bound a hair below 0.

    >>> low, high = wilson_interval(3, 3)
    >>> round(float(low), 3), float(high)
    (0.439, 1.0)
    """
    s, m = _counts(successes, n)
    z = _critical_value(alpha)
    z2 = z * z
    has_data = m > 0
    # Dummy n = 1 where there is no data keeps the arithmetic warning-free; masked below.
    safe_n = np.where(has_data, m, 1.0)
    p = s / safe_n
    denominator = 1 + z2 / safe_n
    centre = (p + z2 / (2 * safe_n)) / denominator
    half_width = z * np.sqrt(p * (1 - p) / safe_n + z2 / (4 * safe_n**2)) / denominator
    low = np.where(has_data, np.clip(centre - half_width, 0.0, 1.0), np.nan)
    high = np.where(has_data, np.clip(centre + half_width, 0.0, 1.0), np.nan)
    # At the edges the bounds are exactly 0 and 1: in floating point centre - half_width of an
    # all-negative sample comes out as 2.8e-17, which is stored and read back as "above 0".
    low = np.where(has_data & (s == 0), 0.0, low)
    high = np.where(has_data & (s == m), 1.0, high)
    return Interval(_float_array(low), _float_array(high))


def newcombe_difference(
    successes1: ArrayLike,
    n1: ArrayLike,
    successes2: ArrayLike,
    n2: ArrayLike,
    alpha: float = 0.05,
) -> Difference:
    """Difference of two shares p1 - p2 with Newcombe's hybrid score interval.

    Same result as statsmodels ``confint_proportions_2indep(compare="diff", method="newcomb")``.
    NaN where either n is 0. ``.significant`` tells where the interval excludes 0.

    >>> result = newcombe_difference(90, 100, 70, 100)
    >>> round(float(result.diff), 2), bool(result.significant)
    (0.2, True)
    """
    s1, m1 = _counts(successes1, n1)
    s2, m2 = _counts(successes2, n2)
    p1, p2 = _share(s1, m1), _share(s2, m2)
    low1, high1 = wilson_interval(s1, m1, alpha)
    low2, high2 = wilson_interval(s2, m2, alpha)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = diff + np.sqrt((p2 - low2) ** 2 + (high1 - p1) ** 2)
    return Difference(_float_array(diff), _float_array(low), _float_array(high))


# --------------------------------------------------------------------------------------------
# Net Promoter Score

NpsMethod = Literal["auto", "wald", "adjusted-wald"]


def _nps_parts(
    promoters: ArrayLike,
    detractors: ArrayLike,
    n: ArrayLike,
    alpha: float,
    method: NpsMethod,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed score, interval centre and margin, all in NPS points."""
    if method not in ("auto", "wald", "adjusted-wald"):
        raise ValueError(f"method must be 'auto', 'wald' or 'adjusted-wald'; got {method!r}")
    z = _critical_value(alpha)
    p, d, m = (
        _float_array(a) for a in np.broadcast_arrays(*map(_float_array, (promoters, detractors, n)))
    )
    _raise_at_first(
        (m < 0) | (p < 0) | (d < 0) | (p + d > m),
        "promoters and detractors must be non-negative and add up to at most n",
        promoters=p,
        detractors=d,
        n=m,
    )
    has_data = m > 0
    safe_n = np.where(has_data, m, 1.0)

    score = 100 * (p - d) / safe_n
    wald_p, wald_d = p / safe_n, d / safe_n
    wald_margin = 100 * z * np.sqrt((wald_p + wald_d - (wald_p - wald_d) ** 2) / safe_n)

    # Lewis and Sauro's adjusted Wald: 3/4 of an answer added to promoters and to detractors
    # and 3 to n, which pulls small samples towards NPS 0 and keeps the margin above 0.
    adjusted_n = safe_n + 3
    adj_p, adj_d = (p + 0.75) / adjusted_n, (d + 0.75) / adjusted_n
    adjusted_centre = 100 * (adj_p - adj_d)
    adjusted_margin = 100 * z * np.sqrt((adj_p + adj_d - (adj_p - adj_d) ** 2) / adjusted_n)

    if method == "wald":
        use_adjusted = np.zeros(np.shape(m), dtype=np.bool_)
    elif method == "adjusted-wald":
        use_adjusted = np.ones(np.shape(m), dtype=np.bool_)
    else:
        # Wald's margin is 0 when every answer falls in one category (all promoters, all
        # detractors or all passives): "NPS 100 +/- 0" from 40 answers would claim certainty.
        one_category = (p == m) | (d == m) | (p + d == 0)
        use_adjusted = (m < NPS_SMALL_N) | one_category

    centre = np.where(use_adjusted, adjusted_centre, score)
    margin = np.where(use_adjusted, adjusted_margin, wald_margin)
    nan = np.nan
    return (
        _float_array(np.where(has_data, score, nan)),
        _float_array(np.where(has_data, centre, nan)),
        _float_array(np.where(has_data, margin, nan)),
    )


def nps(
    promoters: ArrayLike,
    detractors: ArrayLike,
    n: ArrayLike,
    *,
    alpha: float = 0.05,
    method: NpsMethod = "auto",
) -> NpsResult:
    """Net Promoter Score 100 * (promoters - detractors) / n and its margin of error.

    ``method="auto"`` uses the Wald margin 1.96 * 100 * sqrt((p + d - (p - d)^2) / n) from
    ``NPS_SMALL_N`` (30) answers on, and the adjusted-Wald margin of Lewis and Sauro below that
    or when every answer falls in one category. The adjusted-Wald interval is centred on the
    adjusted score, not the observed one: use ``nps_interval`` for its bounds. NaN where n == 0.

    >>> result = nps(18, 6, 40)
    >>> round(float(result.score)), round(float(result.margin))
    (30, 22)
    """
    score, _, margin = _nps_parts(promoters, detractors, n, alpha, method)
    return NpsResult(score, margin)


def nps_interval(
    promoters: ArrayLike,
    detractors: ArrayLike,
    n: ArrayLike,
    *,
    alpha: float = 0.05,
    method: NpsMethod = "auto",
) -> NpsInterval:
    """Observed NPS with its confidence interval, clipped to [-100, 100] (see ``nps``).

    The interval always contains the observed score: where the adjusted-Wald interval (centred
    on the adjusted score) misses it, which happens only with a single promoter or detractor,
    it is widened to the observed score.

    >>> score, low, high = nps_interval(5, 0, 5)
    >>> float(score), round(float(low)), float(high)
    (100.0, 17, 100.0)
    """
    score, centre, margin = _nps_parts(promoters, detractors, n, alpha, method)
    # The adjusted-Wald interval is centred on the adjusted score, which a single answer pulls
    # so far towards 0 that the interval misses the score shown (1 promoter: 100, interval
    # -48 to 98). The interval shown always contains the score shown: it is widened to it
    # (docs/analysis.md, "NPS interval", gives the coverage of the result).
    low = np.clip(np.fmin(centre - margin, score), -100.0, 100.0)
    high = np.clip(np.fmax(centre + margin, score), -100.0, 100.0)
    return NpsInterval(score, _float_array(low), _float_array(high))


# --------------------------------------------------------------------------------------------
# Empirical-Bayes shrinkage


def _weak_prior(mean: float) -> BetaPrior:
    return BetaPrior(
        alpha=mean * WEAK_PRIOR_STRENGTH, beta=(1 - mean) * WEAK_PRIOR_STRENGTH, method="weak"
    )


@functools.cache
def _blas_threads() -> Any:
    """The process's BLAS thread pools (threadpoolctl looks them up once, on first use)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def fit_beta_prior(successes: ArrayLike, n: ArrayLike) -> BetaPrior:
    """Fit a Beta prior to the rates of all customers (rows) by beta-binomial maximum likelihood.

    Maximum likelihood weighs each customer by how much their answers say, which a method of
    moments on raw rates does not; rows with n == 0 or NaN are ignored. The fit is bounded:

    - the mean stays within 0.5 / (N + 1) of 0 and 1 (N = all answers), so an all-positive
      portfolio still gives a proper prior;
    - the strength alpha + beta stays between 0.01 and N. When the data show no
      between-customer variance the fit runs to that cap (``method="homogeneous"``): customers
      are then indistinguishable and shrink almost fully to the portfolio mean, which is what
      the data say. A weak prior there would let 3 of 3 outrank 95 of 100 again.

    With fewer than ``MIN_CUSTOMERS_FOR_PRIOR`` customers with answers there is no spread to
    estimate: the weak prior (``WEAK_PRIOR_STRENGTH`` answers at the pooled mean) is returned.

    >>> prior = fit_beta_prior([3, 7, 8, 9, 10, 10], [10, 10, 10, 10, 10, 10])
    >>> prior.method, round(prior.mean, 2)
    ('mle', 0.78)
    """
    s, m = _counts(successes, n)
    keep = (m > 0) & np.isfinite(s) & np.isfinite(m)
    s, m = s[keep], m[keep]
    total_answers = float(m.sum())
    # Jeffreys-style pooled mean: inside (0, 1) even when every answer is positive.
    pooled_mean = (float(s.sum()) + 0.5) / (total_answers + 1)
    if s.size < MIN_CUSTOMERS_FOR_PRIOR:
        return _weak_prior(pooled_mean)

    # Identical (successes, n) rows share a likelihood term; 100k customer-months collapse to a
    # few thousand distinct pairs.
    pairs, weights = np.unique(np.stack([s, m], axis=1), axis=0, return_counts=True)
    ps, pn = pairs[:, 0], pairs[:, 1]
    pf = pn - ps
    w = weights.astype(np.float64)

    edge = 0.5 / (total_answers + 1)
    logit_bounds = (float(special.logit(edge)), float(special.logit(1 - edge)))
    min_strength, max_strength = 1e-2, max(total_answers, 1.0)
    log_strength_bounds = (float(np.log(min_strength)), float(np.log(max_strength)))

    def negative_log_likelihood(theta: FloatArray) -> tuple[float, FloatArray]:
        # Parametrised as (logit mean, log strength) so the optimiser moves on an open plane.
        mean = float(special.expit(theta[0]))
        strength = float(np.exp(theta[1]))
        a, b = mean * strength, (1 - mean) * strength
        log_likelihood = np.sum(w * (special.betaln(ps + a, pf + b) - special.betaln(a, b)))
        common = special.digamma(a + b) - special.digamma(pn + a + b)
        d_a = float(np.sum(w * (special.digamma(ps + a) - special.digamma(a) + common)))
        d_b = float(np.sum(w * (special.digamma(pf + b) - special.digamma(b) + common)))
        d_logit = (d_a - d_b) * strength * mean * (1 - mean)
        d_log_strength = d_a * a + d_b * b
        return -float(log_likelihood), -np.array([d_logit, d_log_strength])

    # Start from the method of moments: observed spread of rates minus binomial noise.
    rates = s / m
    start_mean = min(max(pooled_mean, edge), 1 - edge)
    between_variance = float(np.var(rates) - np.mean(start_mean * (1 - start_mean) / m))
    start_strength = (
        start_mean * (1 - start_mean) / between_variance - 1
        if between_variance > 0
        else max_strength
    )
    start = np.array(
        [
            float(special.logit(start_mean)),
            float(np.clip(np.log(max(start_strength, min_strength)), *log_strength_bounds)),
        ]
    )
    # One BLAS thread: the optimiser's linear algebra is 2 x 2, and waking OpenBLAS's threads
    # for it made the fit several times slower on a busy 2-core machine (same result).
    with _blas_threads().limit(limits=1, user_api="blas"):
        result = optimize.minimize(
            negative_log_likelihood,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[logit_bounds, log_strength_bounds],
        )
    theta = result.x if np.all(np.isfinite(result.x)) else start
    if negative_log_likelihood(theta)[0] > negative_log_likelihood(start)[0]:
        theta = start
    mean = float(special.expit(theta[0]))
    strength = float(np.exp(theta[1]))
    at_cap = theta[1] >= log_strength_bounds[1] - 1e-6
    return BetaPrior(
        alpha=mean * strength,
        beta=(1 - mean) * strength,
        method="homogeneous" if at_cap else "mle",
    )


def ranking_prior(successes: ArrayLike, n: ArrayLike) -> BetaPrior:
    """The prior for ranking customers: ``fit_beta_prior`` with its strength bounded.

    The strength is kept within ``RANKING_PRIOR_STRENGTH`` (20 to 200 answers), so the prior
    neither collapses (a strength near 0 lets 3 of 3 outrank 95 of 100) nor explodes (a
    homogeneous portfolio's fit runs to every answer in it, and every customer ranks the
    same). Too few customers to fit: the lower bound at the pooled mean. Fit it over a pooled
    window (a year of each customer's answers), not one month: see
    ``engine.metrics.portfolio_baseline``.

    >>> prior = ranking_prior([9] * 50, [10] * 50)
    >>> prior.method, prior.strength
    ('homogeneous', 200.0)
    """
    low, high = RANKING_PRIOR_STRENGTH
    fitted = fit_beta_prior(successes, n)
    strength = float(np.clip(fitted.strength, low, high))
    if fitted.method == "weak":
        strength = low
    return BetaPrior(
        alpha=fitted.mean * strength, beta=(1 - fitted.mean) * strength, method=fitted.method
    )


def shrunk_rate(successes: ArrayLike, n: ArrayLike, prior: BetaPrior | None = None) -> FloatArray:
    """Posterior mean (successes + alpha) / (n + alpha + beta) for ranking customers.

    Shrinks rates from few answers towards the portfolio mean (empirical Bayes). Without a
    ``prior`` one is fitted to the same rows with ``fit_beta_prior``; pass one to shrink a
    subset against the whole portfolio. NaN where n == 0: no answers is "no data", even
    though the prior mean (``prior.mean``) would be the estimate.

    >>> prior = BetaPrior(alpha=9.0, beta=1.0)
    >>> [round(float(x), 3) for x in shrunk_rate([3, 95], [3, 100], prior)]
    [0.923, 0.945]
    """
    s, m = _counts(successes, n)
    if prior is None:
        prior = fit_beta_prior(s, m)
    rate = (s + prior.alpha) / (m + prior.strength)
    return _float_array(np.where(m > 0, rate, np.nan))


# --------------------------------------------------------------------------------------------
# Comparing two event rates


def _first_true(
    predicate: Callable[[FloatArray, IntArray], BoolArray], low: FloatArray, high: FloatArray
) -> FloatArray:
    """Smallest integer j in [low, high) where a monotone (False...True) predicate holds, else
    high; a vectorised bisection. Each step calls ``predicate(j, rows)`` once, on the rows
    still searching only (their positions in ``rows``): one slow row must not make every other
    row's pmf be evaluated again at each of its steps."""
    low, high = low.copy(), high.copy()
    rows = np.flatnonzero(low < high)
    while rows.size:
        row_low, row_high = low[rows], high[rows]
        middle = np.floor((row_low + row_high) / 2)
        holds = predicate(middle, rows)
        high[rows] = np.where(holds, middle, row_high)
        low[rows] = np.where(holds, row_low, middle + 1)
        rows = rows[low[rows] < high[rows]]
    return low


def _binomial_two_sided_p(k: FloatArray, n: FloatArray, p: FloatArray) -> FloatArray:
    """Two-sided exact binomial p-value, "minimum likelihood" method like scipy's binomtest:
    the probability of all outcomes no more likely than k. Needs 0 < p < 1 and n > 0."""
    # Flat while searching (the bisection picks rows by position); shaped back at the end.
    shape = np.shape(k)
    k, n, p = (_float_array(np.ravel(a)) for a in np.broadcast_arrays(k, n, p))
    distribution = stats.binom(n, p)
    threshold = distribution.pmf(k) * _PMF_RELATIVE_TOLERANCE
    expected = p * n

    def pmf(j: FloatArray, rows: IntArray) -> FloatArray:
        return _float_array(stats.binom.pmf(j, n[rows], p[rows]))

    # The pmf falls on [ceil(np), n] and rises on [0, floor(np)] (the mode lies in between), so
    # the other tail's boundary is found by bisection.
    upper_start = _first_true(
        lambda j, rows: np.asarray(pmf(j, rows) <= threshold[rows]), np.ceil(expected), n + 1
    )
    p_below_expected = distribution.cdf(k) + distribution.sf(upper_start - 1)
    lower_end = _first_true(
        lambda j, rows: np.asarray(pmf(j, rows) > threshold[rows]),
        np.zeros_like(n),
        np.floor(expected) + 1,
    )
    p_above_expected = distribution.cdf(lower_end - 1) + distribution.sf(k - 1)
    p_value = np.minimum(1.0, np.where(k < expected, p_below_expected, p_above_expected))
    return _float_array(p_value.reshape(shape))


def poisson_rate_test(
    count1: ArrayLike,
    exposure1: ArrayLike,
    count2: ArrayLike,
    exposure2: ArrayLike,
    *,
    method: Literal["cond-midp", "exact-cond"] = "cond-midp",
) -> RateComparison:
    """Compare two Poisson rates, e.g. tickets per endpoint-month this quarter vs last.

    Conditional on the total count, count1 ~ Binomial(total, e1 / (e1 + e2)) under equal rates.
    ``"exact-cond"`` is the exact two-sided binomial test (minimum likelihood); the default
    ``"cond-midp"`` subtracts half the probability of the observed count, which keeps the test
    close to its nominal level without the exact test's conservatism at small counts. Both agree
    with statsmodels ``test_poisson_2indep`` for the same method and run on whole columns.

    ``ratio`` = (count1 / exposure1) / (count2 / exposure2): +inf when count2 is 0 < count1.
    Both ratio and p-value are NaN where an exposure is 0 (no data) or both counts are 0
    (no events: nothing to compare).

    >>> ratio, p_value = poisson_rate_test(30, 100.0, 15, 100.0)
    >>> float(ratio), round(float(p_value), 3)
    (2.0, 0.031)
    """
    if method not in ("cond-midp", "exact-cond"):
        raise ValueError(f"method must be 'cond-midp' or 'exact-cond'; got {method!r}")
    c1, e1, c2, e2 = (
        _float_array(a)
        for a in np.broadcast_arrays(*map(_float_array, (count1, exposure1, count2, exposure2)))
    )
    _raise_at_first(
        (c1 < 0)
        | (c2 < 0)
        | (np.isfinite(c1) & (c1 != np.round(c1)))
        | (np.isfinite(c2) & (c2 != np.round(c2))),
        "counts must be non-negative whole numbers",
        count1=c1,
        count2=c2,
    )
    _raise_at_first(
        (e1 < 0) | (e2 < 0), "exposures must not be negative", exposure1=e1, exposure2=e2
    )

    total = c1 + c2
    valid = (e1 > 0) & (e2 > 0) & (total > 0)  # NaN anywhere makes this False
    with np.errstate(divide="ignore"):
        # count2 == 0 < count1 gives +inf: the rate did rise from nothing.
        ratio = np.where(valid, (c1 * e2) / np.where(valid, c2 * e1, 1.0), np.nan)

    # Harmless placeholders in rows without a test keep SciPy warning-free; masked at the end.
    k = np.where(valid, c1, 0.0)
    trials = np.where(valid, total, 1.0)
    null_share = np.where(valid, e1 / np.where(valid, e1 + e2, 1.0), 0.5)
    p_value = _binomial_two_sided_p(k, trials, null_share)
    if method == "cond-midp":
        p_value = p_value - 0.5 * stats.binom.pmf(k, trials, null_share)
    return RateComparison(_float_array(ratio), _float_array(np.where(valid, p_value, np.nan)))


# --------------------------------------------------------------------------------------------
# Creep: a figure rising period after period


def creep_flags(values_2d: ArrayLike, min_run: int = 2) -> Creep:
    """Flag rows (customers) whose figure rose in each of the last ``min_run`` periods.

    ``values_2d`` is customers x periods, oldest period first, NaN for missing. Only the last
    ``min_run + 1`` periods count, because the question is whether the figure is creeping
    *now*; a missing value among them gives ``rising=False`` (no evidence), and a flat period
    is not a rise.

    >>> goodwill_share = [[0.02, 0.03, 0.05], [0.05, 0.04, 0.06], [0.02, np.nan, 0.05]]
    >>> result = creep_flags(goodwill_share)
    >>> result.rising.tolist(), [round(float(x), 2) for x in result.relative_increase]
    ([True, False, False], [1.5, 0.2, 1.5])
    """
    if min_run < 1:
        raise ValueError(f"min_run must be at least 1; got {min_run}")
    values = _float_array(values_2d)
    if values.ndim != 2:
        raise ValueError(f"values_2d must be 2-D (customers x periods); got shape {values.shape}")
    rows, periods = values.shape
    if periods < min_run + 1:
        return Creep(
            np.zeros(rows, dtype=np.bool_),
            np.full(rows, np.nan),
            np.zeros(rows, dtype=np.int64),
        )
    rises = np.diff(values, axis=1) > 0  # NaN compares False: a gap breaks the run
    rising = np.all(rises[:, -min_run:], axis=1)
    run_length = np.cumprod(rises[:, ::-1], axis=1).sum(axis=1).astype(np.int64)
    start, end = values[:, -(min_run + 1)], values[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        # From exactly 0 a rise is +inf (and 0 -> 0 is 0, not NaN): growth from nothing.
        relative = np.where(start == 0, np.sign(end) * np.inf, (end - start) / np.abs(start))
        relative = np.where((start == 0) & (end == 0), 0.0, relative)
    return Creep(np.asarray(rising, dtype=np.bool_), _float_array(relative), run_length)


def consecutive_rises(values: ArrayLike, min_run: int = 2) -> bool:
    """One series: did it rise in each of its last ``min_run`` periods? (see ``creep_flags``)

    >>> consecutive_rises([0.05, 0.06, 0.08]), consecutive_rises([0.05, 0.08, 0.08])
    (True, False)
    """
    series = _float_array(values)
    if series.ndim != 1:
        raise ValueError(f"values must be 1-D; got shape {series.shape}")
    return bool(creep_flags(series[np.newaxis, :], min_run).rising[0])


# --------------------------------------------------------------------------------------------
# Continuous figures


def mean_ci(values: ArrayLike, alpha: float = 0.05, axis: int = -1) -> MeanInterval:
    """Mean and Student-t interval along ``axis``, ignoring NaN (e.g. hours to resolution).

    No values gives NaN for all three; one value gives its mean with a NaN interval.

    >>> mean, low, high = mean_ci([2.0, 4.0, 6.0])
    >>> float(mean), round(float(low), 2), round(float(high), 2)
    (4.0, -0.97, 8.97)
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1; got {alpha}")
    data = _float_array(values)
    present = ~np.isnan(data)
    count = present.sum(axis=axis).astype(np.float64)
    filled = np.where(present, data, 0.0)
    safe_count = np.where(count > 0, count, 1.0)
    mean = filled.sum(axis=axis) / safe_count
    deviations = np.where(present, data - np.expand_dims(mean, axis), 0.0)
    variance = (deviations**2).sum(axis=axis) / np.where(count > 1, count - 1, 1.0)
    degrees = np.where(count > 1, count - 1, 1.0)
    half_width = stats.t.isf(alpha / 2, degrees) * np.sqrt(variance / safe_count)
    half_width = np.where(count > 1, half_width, np.nan)
    mean = np.where(count > 0, mean, np.nan)
    return MeanInterval(
        _float_array(mean), _float_array(mean - half_width), _float_array(mean + half_width)
    )
