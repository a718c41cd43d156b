"""Conversions between the time values callers hand in (datetime, NumPy, Polars, Arrow) and the
int64 UTC epoch seconds the calendar computes with.

Precision is whole seconds (docs/domain.md): instants are floored to the second before any
arithmetic, so sub-second parts never leak into results and every sum stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import polars as pl

Int64Array = npt.NDArray[np.int64]
Flavour = Literal["scalar", "numpy", "polars", "arrow"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
# Polars/Arrow values become nullable int64; NumPy ones cannot hold nulls.
_PER_SECOND: dict[str, int] = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_FLAVOUR_RANK: dict[Flavour, int] = {"scalar": 0, "numpy": 1, "arrow": 2, "polars": 3}


@dataclass(frozen=True, slots=True)
class Column:
    """One argument as int64 values plus a null mask (None when nothing is null)."""

    values: Int64Array
    nulls: npt.NDArray[np.bool_] | None
    flavour: Flavour

    @property
    def is_scalar(self) -> bool:
        return self.flavour == "scalar"


def epoch_seconds(moment: datetime, name: str) -> int:
    """UTC epoch seconds of an aware datetime, floored to the whole second."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name}: naive datetime {moment.isoformat()} has no time zone; "
            "pass an aware datetime (for example with tzinfo=datetime.UTC)"
        )
    return (moment - _EPOCH) // _SECOND


def from_epoch_seconds(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _is_arrow(value: object) -> bool:
    return hasattr(value, "__arrow_c_array__") or hasattr(value, "__arrow_c_stream__")


def times_column(value: object, name: str) -> Column:
    """Read instants: an aware datetime, NumPy datetime64 (UTC by contract), Polars or Arrow."""
    if isinstance(value, datetime):
        return Column(np.array([epoch_seconds(value, name)], dtype=np.int64), None, "scalar")
    if isinstance(value, np.ndarray):
        if value.dtype.kind != "M":
            raise ValueError(f"{name}: expected a datetime64 array, got dtype {value.dtype}")
        unit, count = np.datetime_data(value.dtype)
        raw = value.reshape(-1).view(np.int64)
        # NaT is the smallest int64; one min() finds it without a separate isnat pass.
        if len(raw) and raw.min() == np.iinfo(np.int64).min:
            raise ValueError(
                f"{name}: NumPy array contains NaT; use a Polars or Arrow column for missing values"
            )
        per_second = _PER_SECOND.get(unit)
        if per_second is not None and count == 1:
            # Floor division floors instants before 1970 too (-0.5 s is -1 s).
            epoch = raw // per_second if per_second > 1 else raw
        else:
            epoch = value.reshape(-1).astype("datetime64[s]").view(np.int64)
        return Column(epoch, None, "numpy")
    flavour: Flavour = "polars"
    if isinstance(value, pl.Series):
        series = value
    elif _is_arrow(value):
        series = pl.Series(cast(Any, value))
        flavour = "arrow"
    else:
        raise ValueError(
            f"{name}: expected an aware datetime or a NumPy/Polars/Arrow column of instants, "
            f"got {type(value).__name__}"
        )
    dtype = series.dtype
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(f"{name}: expected a Datetime column, got {dtype}")
    if dtype.time_zone is None:
        raise ValueError(
            f"{name}: Datetime column has no time zone; store instants as Datetime(..., 'UTC')"
        )
    seconds = series.dt.epoch("s")  # epoch is zone-independent and floors to the second
    return _nullable(seconds, flavour)


def seconds_column(value: object, name: str) -> Column:
    """Read durations in whole seconds: an int or a NumPy/Polars/Arrow integer column."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected whole seconds, got {value!r}")
    if isinstance(value, int | np.integer):
        return Column(np.array([int(value)], dtype=np.int64), None, "scalar")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iu":
            raise ValueError(f"{name}: expected an integer array of seconds, got {value.dtype}")
        return Column(value.astype(np.int64).reshape(-1), None, "numpy")
    flavour: Flavour = "polars"
    if isinstance(value, pl.Series):
        series = value
    elif _is_arrow(value):
        series = pl.Series(cast(Any, value))
        flavour = "arrow"
    else:
        raise ValueError(
            f"{name}: expected whole seconds as int or integer column, got {type(value).__name__}"
        )
    if not series.dtype.is_integer():
        raise ValueError(f"{name}: expected an integer column of seconds, got {series.dtype}")
    return _nullable(series.cast(pl.Int64), flavour)


def _nullable(series: pl.Series, flavour: Flavour) -> Column:
    if series.null_count():
        nulls = series.is_null().to_numpy()
        values = series.fill_null(0).to_numpy().astype(np.int64, copy=False)
        return Column(values, nulls, flavour)
    return Column(series.to_numpy().astype(np.int64, copy=False), None, flavour)


def broadcast(first: Column, second: Column, names: tuple[str, str]) -> tuple[Column, Column]:
    """Give both columns one length; a scalar pairs with every element of the other."""
    n1, n2 = len(first.values), len(second.values)
    if first.is_scalar and not second.is_scalar:
        first = Column(np.full(n2, first.values[0], dtype=np.int64), None, first.flavour)
    elif second.is_scalar and not first.is_scalar:
        second = Column(np.full(n1, second.values[0], dtype=np.int64), None, second.flavour)
    elif n1 != n2:
        raise ValueError(f"{names[0]} and {names[1]} must have equal lengths, got {n1} and {n2}")
    return first, second


def result_flavour(*columns: Column) -> Flavour:
    return max((c.flavour for c in columns), key=_FLAVOUR_RANK.__getitem__)


def combined_nulls(*columns: Column) -> npt.NDArray[np.bool_] | None:
    masks = [c.nulls for c in columns if c.nulls is not None]
    if not masks:
        return None
    out = masks[0].copy()
    for mask in masks[1:]:
        out |= mask
    return out


def seconds_result(
    values: Int64Array, nulls: npt.NDArray[np.bool_] | None, flavour: Flavour, name: str
) -> Any:
    """Return business seconds in the caller's flavour (int for two scalars)."""
    if flavour == "scalar":
        return int(values[0])
    if flavour == "numpy":
        return values
    series = pl.Series(name, values, dtype=pl.Int64)
    if nulls is not None:
        series = _apply_nulls(series, nulls)
    return series.to_arrow() if flavour == "arrow" else series


def instants_result(
    values: Int64Array, nulls: npt.NDArray[np.bool_] | None, flavour: Flavour, name: str
) -> Any:
    """Return instants in the caller's flavour: aware UTC datetime, datetime64[us] or
    Datetime("us", "UTC")."""
    if flavour == "scalar":
        return from_epoch_seconds(int(values[0]))
    micros = values * np.int64(1_000_000)
    if flavour == "numpy":
        return micros.view("datetime64[us]")
    series = pl.Series(name, micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    if nulls is not None:
        series = _apply_nulls(series, nulls)
    return series.to_arrow() if flavour == "arrow" else series


def _apply_nulls(series: pl.Series, nulls: npt.NDArray[np.bool_]) -> pl.Series:
    frame = pl.DataFrame({"value": series, "null": nulls})
    kept = frame.select(pl.when(~pl.col("null")).then(pl.col("value")).alias(series.name))
    return kept.to_series()
