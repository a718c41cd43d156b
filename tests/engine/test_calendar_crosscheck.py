"""Cross-checks against businesstimedelta and pandas' CustomBusinessHour.

On calendars both can express (weekday office hours, a lunch break, Bavarian holidays) and away
from DST edges, they must agree with the engine to the second. Where they differ, the difference
is one of their documented behaviours, asserted here so that docs/sla.md stays true:

* pandas rolls a deadline that lands on a closing time to the next opening (Friday 15:00 + 2 h
  is Monday 08:00; docs/domain.md says Friday 17:00), and does wall-clock arithmetic on tz-aware
  timestamps, so a night shift over a DST change is an hour off.
* businesstimedelta misses the after-midnight part of an overnight window when the clock starts
  inside it, and localises window edges with ``is_dst=False``: a window opening in the skipped
  hour opens an hour late, one opening in the repeated hour opens at its second occurrence.

Random samples use fixed seeds, named in the assertion messages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import businesstimedelta
import holidays
import numpy as np
import pandas as pd
import pytz

from solidground.engine.calendar import BusinessCalendar

BERLIN = pytz.timezone("Europe/Berlin")
WEEKDAYS = [0, 1, 2, 3, 4]
SEED = 20260313
YEARS = [2025, 2026, 2027]
BAVARIA = holidays.country_holidays("DE", subdiv="BY", years=YEARS)

ENGINE = BusinessCalendar(
    timezone="Europe/Berlin",
    weekly={day: [("08:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS},
    holidays=("DE", "BY"),
)
RULES = businesstimedelta.Rules(
    [
        businesstimedelta.WorkDayRule(
            start_time=time(8), end_time=time(17), working_days=WEEKDAYS, tz=BERLIN
        ),
        businesstimedelta.LunchTimeRule(
            start_time=time(12), end_time=time(13), working_days=WEEKDAYS, tz=BERLIN
        ),
        businesstimedelta.HolidayRule(BAVARIA, tz=BERLIN),
    ]
)
PANDAS_HOUR = pd.offsets.CustomBusinessHour(
    start=["08:00", "13:00"], end=["12:00", "17:00"], holidays=sorted(BAVARIA)
)


def berlin(*args: int) -> datetime:
    # pytz attaches the zone to a naive wall time; that is how businesstimedelta wants it
    return BERLIN.localize(datetime(*args))  # type: ignore[arg-type]  # noqa: DTZ001


def _random_instants(rng: np.random.Generator, size: int) -> list[datetime]:
    """Instants in 2026 on whole minutes, half of them on a window edge."""
    start = berlin(2026, 1, 1).timestamp()
    seconds = rng.integers(0, 364 * 86400 // 60, size) * 60 + int(start)
    instants = [datetime.fromtimestamp(int(s), BERLIN) for s in seconds]
    edges = [time(8), time(12), time(13), time(17)]
    return [
        BERLIN.localize(datetime.combine(i.date(), edges[k % 4])) if k % 2 else i
        for k, i in enumerate(instants)
    ]


def test_business_seconds_agree_with_businesstimedelta() -> None:
    # given random intervals of up to three weeks in 2026
    rng = np.random.default_rng(SEED)
    starts = _random_instants(rng, 150)
    lengths = rng.integers(0, 21 * 86400, 150)
    ends = [s + timedelta(seconds=int(n)) for s, n in zip(starts, lengths, strict=True)]

    # when both measure them
    ours = ENGINE.business_seconds(
        pd.Series(starts).dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]"),
        pd.Series(ends).dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]"),
    )
    theirs = [
        RULES.difference(s, e).timedelta // timedelta(seconds=1)
        for s, e in zip(starts, ends, strict=True)
    ]

    # then they agree on every one
    assert ours.tolist() == theirs, f"seed {SEED}"


def test_deadlines_agree_with_businesstimedelta() -> None:
    # given random starts and amounts of business time
    rng = np.random.default_rng(SEED + 1)
    starts = _random_instants(rng, 100)
    amounts = [int(a) for a in rng.integers(1, 40 * 3600, 100)]

    # when both add them
    ours = [ENGINE.add_business_seconds(s, a) for s, a in zip(starts, amounts, strict=True)]
    theirs = [
        businesstimedelta.BusinessTimeDelta(RULES, seconds=a) + s
        for s, a in zip(starts, amounts, strict=True)
    ]

    # then the deadlines are the same instants
    assert ours == theirs, f"seed {SEED + 1}"


def test_deadlines_agree_with_pandas_except_at_closing_time() -> None:
    # given random naive local starts and whole hours (all CustomBusinessHour can add)
    rng = np.random.default_rng(SEED + 2)
    starts = [s.replace(tzinfo=None) for s in _random_instants(rng, 300)]
    hours = [int(h) for h in rng.integers(1, 30, 300)]
    rolled = 0
    for start, n in zip(starts, hours, strict=True):
        # when both add the hours
        ours = ENGINE.add_business_seconds(BERLIN.localize(start), n * 3600)
        theirs = BERLIN.localize((pd.Timestamp(start) + n * PANDAS_HOUR).to_pydatetime())
        # then they agree, unless ours lands on a closing time and pandas rolls on to the
        # next opening; no business time lies between the two
        if ours != theirs:
            rolled += 1
            assert ours.astimezone(BERLIN).time() in (time(12), time(17)), (start, n, SEED + 2)
            assert ENGINE.business_seconds(ours, theirs) == 0
            assert theirs.time() in (time(8), time(13))
    assert rolled > 0, "the sample should include deadlines at closing time"


def test_pandas_rolls_a_deadline_at_closing_time_to_the_next_opening() -> None:
    friday = datetime(2026, 3, 13, 15)  # noqa: DTZ001 - pandas business hours are naive
    assert pd.Timestamp(friday) + 2 * PANDAS_HOUR == pd.Timestamp(2026, 3, 16, 8)
    assert ENGINE.add_business_seconds(BERLIN.localize(friday), 7200) == berlin(2026, 3, 13, 17)


def test_pandas_does_wall_clock_arithmetic_over_dst() -> None:
    # given a 22:00-06:00 night desk every day
    night_hour = pd.offsets.CustomBusinessHour(
        start="22:00", end="06:00", weekmask="Mon Tue Wed Thu Fri Sat Sun"
    )
    night = BusinessCalendar(
        timezone="Europe/Berlin", weekly={day: [("22:00", "06:00")] for day in range(7)}
    )
    spring = pd.Timestamp("2026-03-28 22:00", tz="Europe/Berlin")
    autumn = pd.Timestamp("2026-10-24 22:00", tz="Europe/Berlin")
    # then the spring-forward night (7 real hours) ends at 06:00 for us, 05:00 for pandas
    assert night.add_business_seconds(spring.to_pydatetime(), 7 * 3600) == berlin(2026, 3, 29, 6)
    assert spring + 7 * night_hour == pd.Timestamp("2026-03-29 05:00", tz="Europe/Berlin")
    # and the fall-back night (9 real hours) ends at 06:00 for us; pandas needs another night
    assert night.add_business_seconds(autumn.to_pydatetime(), 9 * 3600) == berlin(2026, 10, 25, 6)
    assert autumn + 9 * night_hour == pd.Timestamp("2026-10-25 23:00", tz="Europe/Berlin")


def test_businesstimedelta_misses_the_morning_part_of_a_night_shift() -> None:
    # given a 22:00-06:00 desk and a clock starting at 03:00, inside Monday night's shift
    night = BusinessCalendar(
        timezone="Europe/Berlin", weekly={day: [("22:00", "06:00")] for day in range(7)}
    )
    rule = businesstimedelta.WorkDayRule(
        start_time=time(22), end_time=time(6), working_days=list(range(7)), tz=BERLIN
    )
    start, end = berlin(2026, 3, 10, 3), berlin(2026, 3, 10, 12)
    # then we count 03:00-06:00; businesstimedelta counts nothing
    assert night.business_seconds(start, end) == 3 * 3600
    assert rule.difference(start, end).timedelta == timedelta(0)


def test_businesstimedelta_opens_windows_late_in_dst_hours() -> None:
    # given a window 02:30-04:00 every day, which DST changes run through
    ours = BusinessCalendar(
        timezone="Europe/Berlin", weekly={day: [("02:30", "04:00")] for day in range(7)}
    )
    rule = businesstimedelta.WorkDayRule(
        start_time=time(2, 30), end_time=time(4), working_days=list(range(7)), tz=BERLIN
    )

    def both(day: date) -> tuple[int, int]:
        start, end = berlin(day.year, day.month, day.day), berlin(day.year, day.month, day.day, 6)
        theirs = rule.difference(start, end).timedelta // timedelta(seconds=1)
        return ours.business_seconds(start, end), theirs

    # then on the spring-forward day we open at 03:00 (when the clock first reads 02:30 or
    # later) and count an hour; businesstimedelta opens at 03:30 and counts half an hour
    assert both(date(2026, 3, 29)) == (3600, 1800)
    # and on the fall-back day we open at the first 02:30 (2.5 h); it opens at the second
    assert both(date(2026, 10, 25)) == (9000, 5400)
