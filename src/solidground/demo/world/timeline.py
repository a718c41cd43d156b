"""The period's months and the conversions between Berlin wall-clock time and UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from solidground.demo.world.common import TIMEZONE, Arr, choice
from solidground.engine.periods import add_months

_ZONE = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class Timeline:
    start: date
    months: int
    month_starts: list[date]  # months + 1 entries (the last is the month after the period)
    month_local_naive: Arr  # local midnight of each month's first day, as naive seconds
    month_days: Arr
    quarter_of_month: Arr  # calendar-quarter index counted from the first quarter touched
    quarters: int
    period_start_utc: int
    period_end_utc: int
    weekday_days: Arr  # day-of-month offsets of Mon-Fri days, all months concatenated
    weekday_first: Arr
    weekday_count: Arr


def build_timeline(start: date, months: int) -> Timeline:
    month_starts = [add_months(start, index) for index in range(months + 1)]
    month_days = np.array(
        [(month_starts[i + 1] - month_starts[i]).days for i in range(months)], dtype=np.int64
    )
    quarter_keys = np.array([d.year * 4 + (d.month - 1) // 3 for d in month_starts[:months]])
    weekday_days: list[int] = []
    weekday_first: list[int] = []
    weekday_count: list[int] = []
    for index in range(months):
        first = month_starts[index]
        days = [
            offset
            for offset in range(int(month_days[index]))
            if (first + timedelta(days=offset)).weekday() < 5
        ]
        weekday_first.append(len(weekday_days))
        weekday_count.append(len(days))
        weekday_days.extend(days)
    return Timeline(
        start=start,
        months=months,
        month_starts=month_starts,
        month_local_naive=np.array([naive_seconds(d) for d in month_starts], dtype=np.int64),
        month_days=month_days,
        quarter_of_month=(quarter_keys - quarter_keys[0]).astype(np.int64),
        quarters=int(quarter_keys[-1] - quarter_keys[0] + 1),
        period_start_utc=int(_local_midnight_utc(month_starts[0]).timestamp()),
        period_end_utc=int(_local_midnight_utc(month_starts[months]).timestamp()),
        weekday_days=np.array(weekday_days, dtype=np.int64),
        weekday_first=np.array(weekday_first, dtype=np.int64),
        weekday_count=np.array(weekday_count, dtype=np.int64),
    )


def local_to_utc_seconds(local_naive: Arr) -> Arr:
    """Wall-clock seconds in Berlin (as if UTC) to true UTC epoch seconds, DST-aware.

    Callers only produce local times outside 02:00-03:00, so neither the spring gap nor the
    autumn overlap occurs; "earliest" only documents the choice.
    """
    series = (
        pl.from_epoch(pl.Series(local_naive.astype(np.int64)), time_unit="s")
        .dt.replace_time_zone(TIMEZONE, ambiguous="earliest", non_existent="raise")
        .dt.convert_time_zone("UTC")
        .dt.epoch("s")
    )
    return series.to_numpy().astype(np.int64)


def utc_to_local_month(utc_seconds: Arr, start: date) -> Arr:
    """Index of the Berlin-local month of each instant, counted from ``start``."""
    local = (
        pl.from_epoch(pl.Series(utc_seconds.astype(np.int64)), time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(TIMEZONE)
    )
    index = local.dt.year().cast(pl.Int64) * 12 + local.dt.month().cast(pl.Int64) - 1
    return index.to_numpy() - (start.year * 12 + start.month - 1)


def naive_seconds(day: date) -> int:
    """Midnight of ``day`` as seconds since the epoch, read as if the wall clock were UTC."""
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC)).timestamp())


def _local_midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=_ZONE).astimezone(UTC)


def sample_local_times(
    rng: np.random.Generator, timeline: Timeline, month: Arr, after_hours: Arr
) -> Arr:
    """UTC seconds of instants in the given months: Berlin business hours, some after hours."""
    size = month.size
    business_day = timeline.weekday_days[
        timeline.weekday_first[month]
        + np.floor(rng.random(size) * timeline.weekday_count[month]).astype(np.int64)
    ]
    any_day = np.floor(rng.random(size) * timeline.month_days[month]).astype(np.int64)
    # Office requests peak mid-morning and after lunch.
    business_hours = np.array([8, 9, 10, 11, 12, 13, 14, 15, 16])
    business_weights = np.array([0.10, 0.16, 0.15, 0.13, 0.08, 0.11, 0.12, 0.10, 0.05])
    # After hours avoids 02:00-03:00 so DST gaps and overlaps never arise.
    late_hours = np.array([6, 7, 17, 18, 19, 20, 21, 22, 23])
    late_weights = np.array([0.08, 0.17, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.04])
    hour = np.where(
        after_hours,
        late_hours[choice(rng, late_weights, size)],
        business_hours[choice(rng, business_weights, size)],
    )
    day = np.where(after_hours, any_day, business_day)
    local = (
        timeline.month_local_naive[month]
        + day * 86_400
        + hour * 3_600
        + rng.integers(0, 3_600, size)
    )
    return local_to_utc_seconds(local)
