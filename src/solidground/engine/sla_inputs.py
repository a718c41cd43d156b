"""What the SLA engine reads: ticket statuses, the columns of its input frames and their checks.

``sla.evaluate_tickets`` reads tickets and pause intervals, ``sla_history`` reads status
changes; both check their frames here (a missing column or a naive timestamp is a
``ValueError`` naming the frame and column) and turn instants into UTC epoch seconds. Also
the names of the clock states the engine writes (``STATES``), the row look-up of ticket ids
(``_rows_of``) and the nullable result column (``_masked``) that both sides share. The public
names here are importable from ``sla`` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "CHANGE_COLUMNS",
    "PAUSE_COLUMNS",
    "PAUSE_KINDS",
    "RESOLVED_STATUSES",
    "STATES",
    "STATUSES",
    "TICKET_COLUMNS",
]

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STATUSES: Final = (
    "new",
    "open",
    "in_progress",
    "waiting_customer",
    "waiting_third_party",
    "resolved",
    "closed",
)
"""The ticket statuses of the domain model (others are accepted and treated as working)."""

RESOLVED_STATUSES: Final = ("resolved", "closed")
"""Statuses in which a ticket counts as resolved; leaving them is a reopen."""

PAUSE_KINDS: Final = ("pause", "resolved")
STATES: Final = ("met", "breached", "running", "running_breached")

_TIME = pl.Datetime("us", "UTC")
_MICROS: Final = np.int64(1_000_000)
_NO_EVENT: Final = np.iinfo(np.int64).max

TICKET_COLUMNS: Final = {
    "ticket_id": pl.Int64,
    "policy_id": pl.Int64,
    "priority": pl.Int8,
    "created_at": _TIME,
    "first_response_at": _TIME,
    "resolved_at": _TIME,
}
PAUSE_COLUMNS: Final = {"ticket_id": pl.Int64, "start": _TIME, "end": _TIME, "kind": pl.String}
CHANGE_COLUMNS: Final = {"ticket_id": pl.Int64, "changed_at": _TIME, "status": pl.String}


def _masked(
    values: npt.NDArray[np.generic], keep: BoolArray, dtype: pl.DataType | type[pl.DataType]
) -> pl.Series:
    series = pl.Series(values=values, dtype=dtype)
    if keep.all():
        return series
    return pl.select(pl.when(pl.lit(pl.Series(keep))).then(series)).to_series()


def _rows_of(ids: Int64Array, wanted: Int64Array) -> tuple[npt.NDArray[np.intp], BoolArray]:
    """Row of each wanted id in ``ids`` (unique) and whether it was found at all."""
    if len(ids) == 0 or len(wanted) == 0:
        return np.zeros(len(wanted), dtype=np.intp), np.zeros(len(wanted), dtype=bool)
    low, high = int(ids.min()), int(ids.max())
    if high - low <= max(4 * len(ids), 1 << 20):
        # Ticket ids are database keys, mostly dense: a direct lookup table beats any search.
        table = np.full(high - low + 2, -1, dtype=np.intp)  # last slot: out of range
        table[ids - low] = np.arange(len(ids), dtype=np.intp)
        offset = wanted - low
        offset[(offset < 0) | (offset > high - low)] = high - low + 1
        rows = table[offset]
        found = rows >= 0
        return np.where(found, rows, 0).astype(np.intp), found
    if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
        order = None
        ordered = ids
    else:
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
    position = np.searchsorted(ordered, wanted).clip(0, len(ids) - 1)
    found = ordered[position] == wanted
    rows = position if order is None else order[position]
    return rows.astype(np.intp), found


def _require(frame: pl.DataFrame, columns: Mapping[str, object], name: str) -> pl.DataFrame:
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{name}: expected a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; expected {list(columns)}")
    return frame


def _instant_dtype(frame: pl.DataFrame, column: str, name: str) -> None:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Null):
        return
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValueError(f"{name}.{column}: expected Datetime with a time zone (UTC), got {dtype}")


def _instants(frame: pl.DataFrame, column: str, name: str) -> tuple[Int64Array, BoolArray | None]:
    """UTC epoch seconds of a column (floored) and its null mask (None if no nulls)."""
    _instant_dtype(frame, column, name)
    series = frame.get_column(column)
    if isinstance(series.dtype, pl.Null):
        return np.zeros(len(series), dtype=np.int64), np.ones(len(series), dtype=bool)
    seconds = series.dt.epoch("s")
    if seconds.null_count():
        mask = seconds.is_null().to_numpy()
        return seconds.fill_null(0).to_numpy().astype(np.int64), mask
    return seconds.to_numpy().astype(np.int64), None
