"""Empirical-Bayes shrinkage of rates: the CSAT used for ranking customers.

A customer with 3 of 3 positive answers must not outrank one with 95 of 100. The portfolio's
rates are fitted with a Beta prior (beta-binomial maximum likelihood, ``fit_beta_prior``; its
strength bounded for ranking, ``ranking_prior``), and each customer's rate is shrunk towards
the portfolio mean by as much as its few answers leave open (``shrunk_rate``). Same conventions
as ``stats`` (column-wise, NaN for n = 0); everything here is also importable from ``stats``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from solidground.engine._stats_inputs import FloatArray, _counts, _float_array

__all__ = [
    "MIN_CUSTOMERS_FOR_PRIOR",
    "RANKING_PRIOR_STRENGTH",
    "WEAK_PRIOR_STRENGTH",
    "BetaPrior",
    "fit_beta_prior",
    "ranking_prior",
    "shrunk_rate",
]

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

    edge = 0.5 / (total_answers + 1)
    logit_bounds = (float(special.logit(edge)), float(special.logit(1 - edge)))
    min_strength, max_strength = 1e-2, max(total_answers, 1.0)
    log_strength_bounds = (float(np.log(min_strength)), float(np.log(max_strength)))

    negative_log_likelihood = _negative_log_likelihood(s, m)

    start = _moments_start(s, m, pooled_mean, edge, (min_strength, max_strength))
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


def _negative_log_likelihood(
    s: FloatArray, m: FloatArray
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """The beta-binomial negative log-likelihood of the rows and its gradient, as a function
    of (logit mean, log strength): the objective of ``fit_beta_prior``."""
    # Identical (successes, n) rows share a likelihood term; 100k customer-months collapse to a
    # few thousand distinct pairs.
    pairs, weights = np.unique(np.stack([s, m], axis=1), axis=0, return_counts=True)
    ps, pn = pairs[:, 0], pairs[:, 1]
    pf = pn - ps
    w = weights.astype(np.float64)

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

    return negative_log_likelihood


def _moments_start(
    s: FloatArray,
    m: FloatArray,
    pooled_mean: float,
    edge: float,
    strength_bounds: tuple[float, float],
) -> FloatArray:
    """Where ``fit_beta_prior``'s optimiser starts: (logit mean, log strength) by the method
    of moments, kept inside the fit's bounds."""
    min_strength, max_strength = strength_bounds
    log_strength_bounds = (float(np.log(min_strength)), float(np.log(max_strength)))
    # Start from the method of moments: observed spread of rates minus binomial noise.
    rates = s / m
    start_mean = min(max(pooled_mean, edge), 1 - edge)
    between_variance = float(np.var(rates) - np.mean(start_mean * (1 - start_mean) / m))
    start_strength = (
        start_mean * (1 - start_mean) / between_variance - 1
        if between_variance > 0
        else max_strength
    )
    return np.array(
        [
            float(special.logit(start_mean)),
            float(np.clip(np.log(max(start_strength, min_strength)), *log_strength_bounds)),
        ]
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
