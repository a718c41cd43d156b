"""Benchmark of the SLA clock engine: calendar arithmetic and whole-ticket evaluation.

    .venv/bin/python bench/bench_sla.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_sla.py   # a quick run

At scale 1.0, on one CPU core (the process is pinned to one core while it measures):

* ``business_seconds`` and ``add_business_seconds`` on 1,000,000 and 10,000,000 random
  intervals spread over 5 years (2021-2025), on a Munich office calendar (08:00-12:00 and
  13:00-17:00 on weekdays, Bavarian holidays), from NumPy datetime64 columns, and on 1,000,000
  from Polars columns; the one-off expansion of the calendar into UTC intervals is timed apart;
* businesstimedelta and pandas (CustomBusinessHour) on a sample of the same inputs, timed and
  extrapolated to 1,000,000, and the ratio to the engine;
* peak memory per interval (tracemalloc: NumPy and Python allocations);
* 1,000,000 tickets with status histories (about 4.6 million status changes; waits for the
  customer, reopens, still-open tickets) under three policies with different calendars:
  ``pauses_from_status_changes``, ``reopen_counts`` and ``evaluate_tickets`` from frames to
  results, with peak memory per ticket.

Best of three runs for the engine figures; inputs use a fixed seed.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from datetime import time as clock
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.engine.calendar import BusinessCalendar
from solidground.engine.sla import (
    SlaPolicy,
    evaluate_tickets,
    pauses_from_status_changes,
    reopen_counts,
)

SEED = 20260313
HOUR = 3600
DAY = 86_400
SPAN_START = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
SPAN_END = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
OFFICE = {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in range(5)}
T = TypeVar("T")


def _scale() -> float:
    return float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))


def _sized(n: int) -> int:
    return max(1000, int(n * _scale()))


@contextmanager
def _one_core() -> Iterator[str]:
    """Pin the process to one CPU while measuring (thread pools then share that core)."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned (no sched_setaffinity on this platform)"
        return
    before = os.sched_getaffinity(0)
    core = min(before)
    os.sched_setaffinity(0, {core})
    try:
        yield f"pinned to CPU {core}"
    finally:
        os.sched_setaffinity(0, before)


def _best_of(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def _peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _calendar() -> BusinessCalendar:
    return BusinessCalendar(timezone="Europe/Berlin", weekly=OFFICE, holidays=("DE", "BY"))


def _intervals(
    rng: np.random.Generator, n: int
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.datetime64], npt.NDArray[np.int64]]:
    """Random intervals over 5 years: starts anywhere, lengths up to about a month (most a few
    days), in microseconds as a database would hand them; and amounts of business seconds."""
    starts = rng.integers(SPAN_START, SPAN_END, n, dtype=np.int64) * 1_000_000
    starts += rng.integers(0, 1_000_000, n, dtype=np.int64)
    lengths = (rng.exponential(3 * DAY, n).astype(np.int64) % (31 * DAY)) * 1_000_000
    amounts = rng.integers(0, 40 * HOUR, n, dtype=np.int64)
    return (
        starts.view("datetime64[us]"),
        (starts + lengths).view("datetime64[us]"),
        amounts,
    )


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds / 1e6:8.2f} M/s"


def _report(label: str, count: int, seconds: float, extra: str = "") -> None:
    print(f"  {label:<58} {count:>11,}  {seconds * 1000:9.1f} ms  {_rate(count, seconds)}{extra}")


def bench_calendar(rng: np.random.Generator) -> dict[str, float]:
    figures: dict[str, float] = {}
    calendar = _calendar()
    started = time.perf_counter()
    calendar.timeline(SPAN_START, SPAN_END + 40 * DAY)
    build = time.perf_counter() - started
    print(f"  calendar expanded to UTC intervals for 2020-2026 in {build * 1000:.0f} ms (once)")

    for n in (_sized(1_000_000), _sized(10_000_000)):
        starts, ends, amounts = _intervals(rng, n)
        seconds, _ = _best_of(3, lambda s=starts, e=ends: calendar.business_seconds(s, e))
        _report("business_seconds (NumPy datetime64[us])", n, seconds)
        figures[f"business_seconds_{n}"] = n / seconds
        seconds, _ = _best_of(3, lambda s=starts, a=amounts: calendar.add_business_seconds(s, a))
        _report("add_business_seconds (NumPy)", n, seconds)
        figures[f"add_business_seconds_{n}"] = n / seconds
        if n == _sized(1_000_000):
            peak = _peak_bytes(lambda s=starts, e=ends: calendar.business_seconds(s, e))
            _memory("peak memory of business_seconds per interval", peak / n)
            peak = _peak_bytes(lambda s=starts, a=amounts: calendar.add_business_seconds(s, a))
            _memory("peak memory of add_business_seconds per interval", peak / n)
            _bench_polars(calendar, starts, ends, amounts)
        del starts, ends, amounts
    return figures


def _memory(label: str, per_item: float) -> None:
    print(f"  {label:<58} {per_item:11.1f} bytes")


def _bench_polars(
    calendar: BusinessCalendar,
    starts: npt.NDArray[np.datetime64],
    ends: npt.NDArray[np.datetime64],
    amounts: npt.NDArray[np.int64],
) -> None:
    n = len(starts)
    start_col = pl.Series(starts).dt.replace_time_zone("UTC")
    end_col = pl.Series(ends).dt.replace_time_zone("UTC")
    seconds, _ = _best_of(3, lambda: calendar.business_seconds(start_col, end_col))
    _report("business_seconds (Polars Datetime UTC)", n, seconds)
    amount_col = pl.Series(amounts)
    seconds, _ = _best_of(3, lambda: calendar.add_business_seconds(start_col, amount_col))
    _report("add_business_seconds (Polars)", n, seconds)


def bench_others(rng: np.random.Generator, figures: dict[str, float]) -> None:
    """businesstimedelta and pandas on a sample of the same kind of inputs, extrapolated."""
    try:
        import businesstimedelta
        import holidays
        import pandas as pd
        import pytz
    except ImportError as missing:  # dev dependencies; the engine figures stand without them
        print(f"  (skipping the comparison: {missing})")
        return
    n = max(200, int(2000 * min(_scale(), 1.0)))
    starts, ends, amounts = _intervals(rng, n)
    berlin = pytz.timezone("Europe/Berlin")
    to_local = [datetime.fromtimestamp(int(s) // 1_000_000, berlin) for s in starts.view(np.int64)]
    to_local_end = [
        datetime.fromtimestamp(int(e) // 1_000_000, berlin) for e in ends.view(np.int64)
    ]
    bavaria = holidays.country_holidays("DE", subdiv="BY", years=range(2020, 2027))
    weekdays = [0, 1, 2, 3, 4]
    rules = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=clock(8), end_time=clock(17), working_days=weekdays, tz=berlin
            ),
            businesstimedelta.LunchTimeRule(
                start_time=clock(12), end_time=clock(13), working_days=weekdays, tz=berlin
            ),
            businesstimedelta.HolidayRule(bavaria, tz=berlin),
        ]
    )
    ours_measure = figures[f"business_seconds_{_sized(1_000_000)}"]
    ours_add = figures[f"add_business_seconds_{_sized(1_000_000)}"]

    started = time.perf_counter()
    for s, e in zip(to_local, to_local_end, strict=True):
        rules.difference(s, e)
    per = (time.perf_counter() - started) / n
    print(
        f"  {'businesstimedelta difference()':<58} {n:>11,}  {per * 1e6:9.1f} us each"
        f"  -> {per * 1e6:9,.0f} s per 1M; engine is {per * ours_measure:,.0f}x faster"
    )
    sample = max(50, n // 4)
    started = time.perf_counter()
    for s, a in zip(to_local[:sample], amounts[:sample], strict=True):
        businesstimedelta.BusinessTimeDelta(rules, seconds=int(a)) + s
    per = (time.perf_counter() - started) / sample
    print(
        f"  {'businesstimedelta BusinessTimeDelta + datetime':<58} {sample:>11,}  "
        f"{per * 1e6:9.1f} us each  -> {per * 1e6:9,.0f} s per 1M; "
        f"engine is {per * ours_add:,.0f}x faster"
    )

    hour = pd.offsets.CustomBusinessHour(
        start=["08:00", "13:00"], end=["12:00", "17:00"], holidays=sorted(bavaria)
    )
    naive = [d.replace(tzinfo=None) for d in to_local[:sample]]
    whole_hours = [int(a) // HOUR for a in amounts[:sample]]
    started = time.perf_counter()
    for d, h in zip(naive, whole_hours, strict=True):
        pd.Timestamp(d) + h * hour
    per = (time.perf_counter() - started) / sample
    print(
        f"  {'pandas Timestamp + n * CustomBusinessHour (whole hours)':<58} {sample:>11,}  "
        f"{per * 1e6:9.1f} us each  -> {per * 1e6:9,.0f} s per 1M; "
        f"engine is {per * ours_add:,.0f}x faster"
    )
    # pandas has no business-duration function; the usual recipe counts business hours with
    # date_range (whole hours only).
    short = max(20, sample // 5)
    started = time.perf_counter()
    for s, e in zip(naive[:short], to_local_end[:short], strict=True):
        len(pd.date_range(s, e.replace(tzinfo=None), freq=hour))
    per = (time.perf_counter() - started) / short
    print(
        f"  {'pandas len(date_range(freq=CustomBusinessHour)) (hours)':<58} {short:>11,}  "
        f"{per * 1e6:9.1f} us each  -> {per * 1e6:9,.0f} s per 1M; "
        f"engine is {per * ours_measure:,.0f}x faster"
    )


def _histories(
    rng: np.random.Generator, n: int
) -> tuple[pl.DataFrame, pl.DataFrame, dict[int, SlaPolicy], dict[int, list[str]]]:
    """1M-style tickets and status histories: new -> in_progress, sometimes a wait for the
    customer, resolved (or still open), and for some a reopen after a few days closed."""
    ids = np.arange(1, n + 1, dtype=np.int64)
    created = rng.integers(SPAN_START, SPAN_END, n, dtype=np.int64)
    responded = created + rng.exponential(2 * HOUR, n).astype(np.int64) + 60
    waits = rng.random(n) < 0.4
    wait_start = responded + rng.exponential(4 * HOUR, n).astype(np.int64)
    wait_end = wait_start + rng.exponential(DAY, n).astype(np.int64) + 60
    work_end = np.where(waits, wait_end, responded)
    resolved = work_end + rng.exponential(DAY, n).astype(np.int64) + 60
    reopened = rng.random(n) < 0.05
    closed = resolved + 2 * DAY
    reopen_at = resolved + rng.exponential(5 * DAY, n).astype(np.int64) + 3 * DAY
    reopen_at = np.where(reopen_at <= closed, closed + HOUR, reopen_at)
    final = np.where(reopened, reopen_at + rng.exponential(DAY, n).astype(np.int64) + 60, resolved)
    still_open = rng.random(n) < 0.05
    events: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], str]] = [
        (ids, created, "new"),
        (ids, responded, "in_progress"),
        (ids[waits], wait_start[waits], "waiting_customer"),
        (ids[waits], wait_end[waits], "in_progress"),
        (ids[~still_open], resolved[~still_open], "resolved"),
        (ids[reopened & ~still_open], closed[reopened & ~still_open], "closed"),
        (ids[reopened & ~still_open], reopen_at[reopened & ~still_open], "open"),
        (ids[reopened & ~still_open], final[reopened & ~still_open], "resolved"),
    ]
    changes = pl.concat(
        [
            pl.DataFrame(
                {
                    "ticket_id": who,
                    "changed_at": pl.Series(when * 1_000_000).cast(pl.Datetime("us", "UTC")),
                    "status": pl.repeat(status, len(who), eager=True),
                }
            )
            for who, when, status in events
        ]
    ).sort("ticket_id", "changed_at")
    time_col = pl.Datetime("us", "UTC")
    tickets = pl.DataFrame(
        {
            "ticket_id": ids,
            "policy_id": rng.choice(np.array([1, 1, 1, 2, 3]), n),
            "priority": rng.integers(1, 5, n).astype(np.int8),
            "created_at": pl.Series(created * 1_000_000).cast(time_col),
            "first_response_at": pl.Series(responded * 1_000_000).cast(time_col),
            "resolved_at": pl.Series(np.where(still_open, 0, final) * 1_000_000)
            .cast(time_col)
            .set(pl.Series(still_open), None),
        }
    )
    targets = {1: HOUR // 2, 2: HOUR, 3: 4 * HOUR, 4: 8 * HOUR}
    resolution = {1: 4 * HOUR, 2: 8 * HOUR, 3: 16 * HOUR, 4: 40 * HOUR}
    policies = {
        1: SlaPolicy(_calendar(), targets, resolution),
        2: SlaPolicy(BusinessCalendar.always_open("Europe/Berlin"), targets, resolution),
        3: SlaPolicy(
            BusinessCalendar(timezone="America/New_York", weekly=OFFICE, holidays="US"),
            targets,
            resolution,
            pause_first_response=True,
        ),
    }
    pausing = {1: ["waiting_customer", "waiting_third_party"], 2: ["waiting_customer"], 3: []}
    return tickets, changes, policies, pausing


def bench_tickets(rng: np.random.Generator) -> None:
    n = _sized(1_000_000)
    tickets, changes, policies, pausing = _histories(rng, n)
    print(f"  {n:,} tickets, {changes.height:,} status changes, 3 policies / calendars")
    # Expand the calendars once, as a long-running analysis process would have them.
    evaluate_tickets(tickets.head(1000), pl.DataFrame(schema=_PAUSES), policies, now=NOW)

    def pauses() -> pl.DataFrame:
        return pauses_from_status_changes(changes, pausing, tickets=tickets)

    seconds_pauses, derived = _best_of(3, pauses)
    _report("pauses_from_status_changes", n, seconds_pauses, f"  ({derived.height:,} pauses)")
    seconds_reopens, _ = _best_of(3, lambda: reopen_counts(changes))
    _report("reopen_counts", n, seconds_reopens)
    seconds_eval, result = _best_of(
        3, lambda: evaluate_tickets(tickets, derived, policies, now=NOW)
    )
    _report("evaluate_tickets", n, seconds_eval)
    total = seconds_pauses + seconds_eval
    _report("end to end: status changes -> pauses -> SLA results", n, total)
    peak = _peak_bytes(lambda: evaluate_tickets(tickets, pauses(), policies, now=NOW))
    _memory("peak memory of pauses + evaluate_tickets per ticket", peak / n)
    states = result.group_by("resolution_state").len().sort("resolution_state")
    print("  resolution states:", dict(states.iter_rows()))


_PAUSES: dict[str, Any] = {
    "ticket_id": pl.Int64,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "kind": pl.String,
}


def main() -> None:
    rng = np.random.default_rng(SEED)
    with _one_core() as pinned:
        print(f"SLA clock engine ({pinned}; scale {_scale()}; seed {SEED})")
        print("calendar arithmetic:")
        figures = bench_calendar(rng)
        print("other libraries on a sample (extrapolated):")
        bench_others(rng, figures)
        print("tickets with status histories:")
        bench_tickets(rng)


if __name__ == "__main__":
    main()
