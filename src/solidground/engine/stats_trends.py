"""Statistics of change over time: comparing two event rates, and creep.

``poisson_rate_test`` compares a count per exposure in two periods (tickets per endpoint-month
this quarter against last) with the conditional Poisson test; ``creep_flags`` and
``consecutive_rises`` flag a figure that rose in each of the last periods. Both work on whole
columns, with the conventions of ``stats`` (NaN for no data, ``ValueError`` for impossible
input); ``engine.trends`` and ``engine.segments`` build on them. Everything here is also
importable from ``stats``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from solidground.engine._stats_inputs import (
    BoolArray,
    FloatArray,
    IntArray,
    _float_array,
    _raise_at_first,
)

__all__ = ["Creep", "RateComparison", "consecutive_rises", "creep_flags", "poisson_rate_test"]

# Relative tolerance for "as likely as the observed count" in the two-sided exact binomial test;
# the same value SciPy's binomtest uses, so ties caused by rounding count on both tails.
_PMF_RELATIVE_TOLERANCE: Final = 1 + 1e-7


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
