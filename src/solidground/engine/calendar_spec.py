"""A business calendar's specification, read and checked: zone, windows, holidays, special days.

``BusinessCalendar.__init__`` passes what it is given through these functions: the IANA
zone (``_zone``), the weekly opening windows as "HH:MM" strings or ``datetime.time``
(``_weekly_windows``; overnight windows allowed, overlaps refused), the public holidays by
country and subdivision (``_holiday_source``), extra closed days and partial days (which must
not overlap a neighbour's overnight window). Every mistake is a ``ValueError`` that names the
day and window at fault. Windows come out as seconds after the opening day's local midnight
(``_Window``). ``WindowSpec`` and ``HolidaySpec`` are importable from ``calendar`` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

__all__ = ["HolidaySpec", "WindowSpec"]

WindowSpec = tuple[str | time, str | time]
"""An opening window: (open, close) as "HH:MM" or "HH:MM:SS" strings or ``datetime.time``."""

HolidaySpec = str | tuple[str] | tuple[str, str | None] | None
"""Public holidays: None, "DE", "DE-BY", ("DE",) or ("DE", "BY") (country, subdivision)."""


_DAY: Final = 86_400
_ONE_DAY: Final = timedelta(days=1)
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")

# A window after normalisation: seconds after the opening day's local midnight. ``close`` is
# greater than ``open`` and below 2 * _DAY (overnight windows close on the next day).
_Window = tuple[int, int]


def _zone(timezone: str) -> ZoneInfo:
    if not isinstance(timezone, str) or not timezone:
        raise ValueError(f"unknown time zone {timezone!r}: expected an IANA name such as 'UTC'")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValueError(
            f"unknown time zone {timezone!r}: expected an IANA name such as 'Europe/Berlin'"
        ) from error


def _parse_clock(value: object, where: str, *, closing: bool) -> int:
    """Seconds after midnight of "HH:MM", "HH:MM:SS" or a ``time``; "24:00" only as a close."""
    if isinstance(value, time):
        if value.tzinfo is not None or value.microsecond:
            raise ValueError(f"{where}: time {value!r} must be naive and whole seconds")
        return value.hour * 3600 + value.minute * 60 + value.second
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: malformed time {value!r}, expected 'HH:MM' or 'HH:MM:SS'")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"{where}: malformed time {value!r}, expected 00:00 to 24:00")
    if hours == 24 and not closing:
        raise ValueError(f"{where}: a window cannot open at {value!r}; use '00:00'")
    return hours * 3600 + minutes * 60 + seconds


def _parse_windows(windows: object, where: str) -> tuple[_Window, ...]:
    if isinstance(windows, str) or not isinstance(windows, Sequence):
        raise ValueError(f"{where}: expected a list of (open, close) pairs, got {windows!r}")
    parsed: list[_Window] = []
    for window in windows:
        if isinstance(window, str) or not isinstance(window, Sequence) or len(window) != 2:
            raise ValueError(f"{where}: expected an (open, close) pair, got {window!r}")
        open_s = _parse_clock(window[0], where, closing=False)
        close_s = _parse_clock(window[1], where, closing=True)
        if close_s == open_s:
            raise ValueError(
                f"{where}: window {tuple(window)!r} is empty; a whole day is ('00:00', '24:00')"
            )
        # A close at or before the open means the window runs over midnight.
        if close_s < open_s:
            close_s += _DAY
        parsed.append((open_s, close_s))
    parsed.sort()
    for (o1, c1), (o2, c2) in pairwise(parsed):
        if o2 < c1:
            raise ValueError(
                f"{where}: windows {_format_window((o1, c1))} and "
                f"{_format_window((o2, c2))} overlap"
            )
    return tuple(parsed)


def _weekly_windows(weekly: Mapping[int, Sequence[WindowSpec]]) -> tuple[tuple[_Window, ...], ...]:
    if not isinstance(weekly, Mapping):
        raise ValueError(f"weekly: expected a mapping weekday -> windows, got {weekly!r}")
    days: list[tuple[_Window, ...]] = [() for _ in range(7)]
    for day, windows in weekly.items():
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"weekly: unknown weekday {day!r}, expected 0 (Monday) to 6 (Sunday)")
        days[day] = _parse_windows(windows, f"weekly[{day}] ({_WEEKDAYS[day]})")
    # Overnight windows must not run into the next day's first window (Sunday wraps to Monday).
    for day in range(7):
        nxt = (day + 1) % 7
        if days[day] and days[nxt]:
            spill = days[day][-1]
            first = days[nxt][0]
            if spill[1] > _DAY + first[0]:
                raise ValueError(
                    f"weekly: {_WEEKDAYS[day]} window {_format_window(spill)} overlaps "
                    f"{_WEEKDAYS[nxt]} window {_format_window(first)}"
                )
    return tuple(days)


def _holiday_source(
    spec: HolidaySpec, categories: Sequence[str]
) -> tuple[str | None, str | None, tuple[str, ...]]:
    if isinstance(categories, str) or not all(isinstance(c, str) for c in categories):
        raise ValueError(f"holiday_categories: expected a tuple of names, got {categories!r}")
    category_names = tuple(categories)
    if not category_names:
        raise ValueError("holiday_categories: at least one category is needed, e.g. ('public',)")
    if spec is None:
        return None, None, category_names
    if isinstance(spec, str):
        country, _, subdivision_text = spec.partition("-")
        subdivision: str | None = subdivision_text or None
    elif isinstance(spec, tuple) and len(spec) in (1, 2):
        country = spec[0]
        subdivision = spec[1] if len(spec) == 2 else None
    else:
        raise ValueError(f"holidays: expected 'DE', 'DE-BY' or ('DE', 'BY'), got {spec!r}")
    if not isinstance(country, str) or not (subdivision is None or isinstance(subdivision, str)):
        raise ValueError(f"holidays: expected country and subdivision names, got {spec!r}")
    try:
        holidays_package.country_holidays(country, years=2000)
    except NotImplementedError as error:
        raise ValueError(f"holidays: unknown country {country!r}") from error
    try:
        holidays_package.country_holidays(country, subdiv=subdivision, years=2000)
    except NotImplementedError as error:
        raise ValueError(
            f"holidays: unknown subdivision {subdivision!r} of country {country!r}"
        ) from error
    try:
        holidays_package.country_holidays(
            country, subdiv=subdivision, categories=category_names, years=2000
        )
    except (NotImplementedError, ValueError) as error:
        raise ValueError(
            f"holidays: unsupported holiday category in {category_names!r} for {country}: {error}"
        ) from error
    return country, subdivision, category_names


def _closed_days(days: Iterable[date]) -> frozenset[date]:
    result: set[date] = set()
    for day in days:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"closed_days: expected dates, got {day!r}")
        result.add(day)
    return frozenset(result)


def _partial_days(
    days: Mapping[date, Sequence[WindowSpec]], closed: frozenset[date]
) -> dict[date, tuple[_Window, ...]]:
    result: dict[date, tuple[_Window, ...]] = {}
    for day, windows in days.items():
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"partial_days: expected dates as keys, got {day!r}")
        if day in closed:
            raise ValueError(f"partial_days: {day.isoformat()} is also listed in closed_days")
        result[day] = _parse_windows(windows, f"partial_days[{day.isoformat()}]")
    return result


def _check_partial_neighbours(
    partial: Mapping[date, tuple[_Window, ...]],
    closed: frozenset[date],
    weekly: tuple[tuple[_Window, ...], ...],
) -> None:
    """A partial day must not overlap the overnight window of the day before or after it."""

    def plan(day: date) -> tuple[_Window, ...]:
        if day in closed:
            return ()
        found = partial.get(day)
        return weekly[day.weekday()] if found is None else found

    for day in partial:
        for first_day in (day - _ONE_DAY, day):
            first, second = plan(first_day), plan(first_day + _ONE_DAY)
            if first and second and first[-1][1] > _DAY + second[0][0]:
                raise ValueError(
                    f"partial_days[{day.isoformat()}]: window {_format_window(first[-1])} on "
                    f"{first_day.isoformat()} overlaps {_format_window(second[0])} on "
                    f"{(first_day + _ONE_DAY).isoformat()}"
                )


def _format_clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _format_window(window: _Window) -> tuple[str, str]:
    open_s, close_s = window
    close_text = "24:00" if close_s == _DAY else _format_clock(close_s % _DAY)
    return _format_clock(open_s), close_text
