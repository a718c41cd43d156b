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

This module holds shares, their intervals, NPS and means. Empirical-Bayes shrinkage (the CSAT
for ranking) is in ``stats_shrinkage`` and the comparison of two rates and creep detection in
``stats_trends``; every name of theirs is importable from here too.

>>> low, high = wilson_interval([19, 0], [20, 0])
>>> [round(float(x), 3) for x in low], [round(float(x), 3) for x in high]
([0.764, nan], [0.991, nan])
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from solidground.engine._stats_inputs import (
    BoolArray,
    FloatArray,
    _counts,
    _critical_value,
    _float_array,
    _raise_at_first,
    _share,
)
from solidground.engine.stats_shrinkage import (
    MIN_CUSTOMERS_FOR_PRIOR,
    RANKING_PRIOR_STRENGTH,
    WEAK_PRIOR_STRENGTH,
    BetaPrior,
    fit_beta_prior,
    ranking_prior,
    shrunk_rate,
)
from solidground.engine.stats_trends import (
    Creep,
    RateComparison,
    consecutive_rises,
    creep_flags,
    poisson_rate_test,
)

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

NPS_SMALL_N: Final = 30
"""Below this many answers ``nps`` uses the adjusted-Wald interval (Lewis and Sauro).

At n = 30 and above the plain Wald margin is used, which is the variant that reproduces the
example in docs/domain.md (n = 40, 18 promoters, 6 detractors: NPS 30 +/- 22; adjusted-Wald
gives +/- 21).
"""


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


class MeanInterval(NamedTuple):
    """Mean with its t-interval."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray


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
