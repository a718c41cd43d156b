"""Input handling shared by the statistics modules (``stats``, ``stats_shrinkage``,
``stats_trends``): counts broadcast to float arrays, impossible counts rejected with the first
offending element named, the normal critical value cached, shares with NaN where n is 0. Not
for use outside the engine's statistics; the public functions are in ``stats``.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


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
