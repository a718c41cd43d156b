"""Constants and small helpers shared by the demo world's stages."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.demo import texts

Arr = npt.NDArray[Any]

TIMEZONE = "Europe/Berlin"
SOURCE = "demo"

ARCHETYPES: tuple[str, ...] = ("solid", "service_trap", "at_risk", "quiet", "unprofitable")
ARCHETYPE_SHARES: tuple[float, ...] = (0.50, 0.15, 0.15, 0.12, 0.08)
SOLID, TRAP, AT_RISK, QUIET, UNPROFITABLE = range(5)

CONTRACT_KINDS: tuple[str, ...] = ("managed", "block_hours", "time_material")
MANAGED, BLOCK, TIME_MATERIAL = range(3)

# Service levels: (policy name, opening window in minutes or None for 24x7, SLA targets in
# business minutes per priority P1..P4 as (first response, resolution)). The figures follow
# the field figures in docs/domain.md; a business day is the calendar's opening hours.
LEVELS: tuple[tuple[str, tuple[int, int] | None, tuple[tuple[int, int], ...]], ...] = (
    ("Premium 24x7", None, ((15, 240), (30, 480), (120, 1440), (480, 4320))),
    ("Standard 8x5", (8 * 60, 17 * 60), ((30, 240), (60, 480), (240, 1620), (540, 2700))),
    ("Basis", (9 * 60, 17 * 60), ((60, 480), (120, 960), (480, 2400), (960, 4800))),
)
PREMIUM, STANDARD, BASIS = range(3)

# German states the customers sit in (index = a customer's ``state``).
STATE_CODES: tuple[str, ...] = tuple(code for code, _, _ in texts.STATES)

# Ticket statuses in the order a ticket's history can run through them.
NEW, OPEN, IN_PROGRESS, WAITING, RESOLVED, CLOSED = (
    "new",
    "open",
    "in_progress",
    "waiting_customer",
    "resolved",
    "closed",
)
CHANNELS: tuple[str, ...] = ("email", "phone", "portal", "chat", "monitoring", "onsite")


def ids(count: int) -> pl.Series:
    """The local ids 1..count of a generated table."""
    return pl.Series("id", np.arange(1, count + 1, dtype=np.int64))


def external_ids(prefix: str, count: int, width: int) -> pl.Series:
    return pl.select(
        pl.lit(prefix) + pl.int_range(1, count + 1, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    ).to_series()


def masked(series: pl.Series, valid: Arr | None) -> pl.Series:
    """The series with null where ``valid`` is false."""
    if valid is None:
        return series
    return pl.select(pl.when(pl.Series(valid.astype(bool))).then(series)).to_series()


def utc_series(seconds: Arr, valid: Arr | None = None) -> pl.Series:
    """UTC epoch seconds to a UTC datetime series."""
    series = pl.from_epoch(pl.Series(seconds.astype(np.int64)), time_unit="s").dt.replace_time_zone(
        "UTC"
    )
    return masked(series, valid)


def date_series(days: Arr, valid: Arr | None = None) -> pl.Series:
    """Days since 1970-01-01 to a Date series."""
    series = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return masked(series, valid)


def choice(rng: np.random.Generator, probabilities: Arr, size: int) -> Arr:
    """Vectorised categorical draw with one probability row per element (or one shared row)."""
    cumulative = np.cumsum(probabilities, axis=-1)
    cumulative /= cumulative[..., -1:]
    draws = rng.random(size)
    if cumulative.ndim == 1:
        return np.searchsorted(cumulative, draws, side="right").clip(0, cumulative.size - 1)
    return (draws[:, None] >= cumulative).sum(axis=1).clip(0, cumulative.shape[1] - 1)


def round5(minutes: Arr) -> Arr:
    """Minutes rounded to the nearest five, at least five."""
    return (np.maximum(5, np.round(minutes / 5.0) * 5)).astype(np.int64)


def slug(text: str) -> str:
    plain = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40] or "kunde"
