"""Business calendars: when the SLA clock runs.

A :class:`BusinessCalendar` is an IANA time zone, weekly opening windows in wall-clock time
(several per day, overnight windows allowed), public holidays from the ``holidays`` package,
extra closed days and partial days. It answers two questions, for one instant or for millions:

* ``business_seconds(start, end)``: business seconds in ``[start, end)``;
* ``add_business_seconds(start, seconds)``: the earliest instant at which ``seconds`` of business
  time have passed since ``start``.

Semantics (docs/domain.md, "SLA clock semantics", and docs/sla.md):

* Windows are half-open ``[open, close)`` in the calendar's local wall-clock time; "24:00" closes
  at the next local midnight and a window whose close is not after its open, such as
  ("22:00", "06:00"), runs over midnight into the next day. A window belongs to the day it opens
  on: a holiday on Friday removes Friday's 22:00-06:00 shift, including its Saturday morning part.
* A wall-clock edge is the *first instant at which the local clock reads that time or later*.
  For an ordinary time that is the one instant showing it. When clocks go back, a repeated time
  means its first occurrence (so 22:00-06:00 over the fall-back night lasts 9 hours). When clocks
  go forward, a skipped time means the transition instant itself (02:30 on the spring-forward day
  in Berlin opens at 03:00 CEST; 22:00-06:00 that night lasts 7 hours). The rule is monotone in
  wall time, so windows that do not overlap on the wall clock never overlap in UTC.
* Precedence for a day: an extra closed day, else a partial day (explicit windows win over a
  public holiday), else a public holiday (closed), else the weekly windows.
* Precision is whole seconds: instants are floored to the second.

Internally the calendar is expanded, per covered span of years, into sorted int64 arrays of
business intervals in UTC epoch seconds with running totals (:class:`BusinessTimeline`); all
array queries are then vectorised look-ups without a Python loop per element.

Where the code lives: the reading and checking of a calendar's specification (zone, windows,
holidays, special days) is in ``calendar_spec``; the array helpers and the expanded timeline
in ``_calendar_arrays`` and ``_calendar_timeline``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, overload

import holidays as holidays_package
import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.engine._calendar_arrays import (
    Column,
    Flavour,
    broadcast,
    combined_nulls,
    epoch_seconds,
    from_epoch_seconds,
    instants_result,
    result_flavour,
    seconds_column,
    seconds_result,
    times_column,
)
from solidground.engine._calendar_timeline import BusinessTimeline
from solidground.engine.calendar_spec import (
    _DAY,
    _ONE_DAY,
    HolidaySpec,
    WindowSpec,
    _check_partial_neighbours,
    _closed_days,
    _format_window,
    _holiday_source,
    _partial_days,
    _weekly_windows,
    _Window,
    _zone,
)

__all__ = ["BusinessCalendar", "BusinessTimeline", "HolidaySpec", "WindowSpec"]

Int64Array = npt.NDArray[np.int64]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# Instants are expanded per whole local year; years 2..9998 keep the neighbouring days inside
# what datetime.date can represent.
_MIN_YEAR: Final = 2
_MAX_YEAR: Final = 9998
# How far beyond the latest start add_business_seconds may look before deciding the calendar
# has no business time left (a calendar with no windows at all, for example).
_MAX_ADD_YEARS: Final = 200


class BusinessCalendar:
    """Opening hours in a time zone, with holidays, closed days and partial days.

    >>> from datetime import UTC, date, datetime
    >>> cal = BusinessCalendar(
    ...     timezone="Europe/Berlin",
    ...     weekly={d: [("08:00", "12:00"), ("13:00", "17:00")] for d in range(5)},
    ...     holidays=("DE", "BY"),
    ... )
    >>> friday_4pm = datetime(2026, 3, 13, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
    >>> cal.add_business_seconds(friday_4pm, 2 * 3600)  # one hour Friday, one hour Monday
    datetime.datetime(2026, 3, 16, 8, 0, tzinfo=datetime.timezone.utc)
    >>> cal.business_seconds(friday_4pm, datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    7200
    """

    __slots__ = (
        "_categories",
        "_closed",
        "_country",
        "_key",
        "_lock",
        "_partial",
        "_subdivision",
        "_timeline",
        "_timeline_years",
        "_timezone",
        "_tz",
        "_weekly",
    )

    def __init__(
        self,
        timezone: str,
        weekly: Mapping[int, Sequence[WindowSpec]],
        holidays: HolidaySpec = None,
        holiday_categories: Sequence[str] = ("public",),
        closed_days: Iterable[date] = (),
        partial_days: Mapping[date, Sequence[WindowSpec]] | None = None,
    ) -> None:
        self._timezone = timezone
        self._tz = _zone(timezone)
        self._weekly = _weekly_windows(weekly)
        self._country, self._subdivision, self._categories = _holiday_source(
            holidays, holiday_categories
        )
        self._closed = _closed_days(closed_days)
        self._partial = _partial_days(partial_days or {}, self._closed)
        _check_partial_neighbours(self._partial, self._closed, self._weekly)
        self._key = (
            self._timezone,
            self._weekly,
            self._country,
            self._subdivision,
            self._categories,
            tuple(sorted(self._closed)),
            tuple(sorted(self._partial.items())),
        )
        self._lock = threading.Lock()
        self._timeline: BusinessTimeline | None = None
        self._timeline_years: tuple[int, int] | None = None

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A 24x7 calendar: every second counts (a 25-hour fall-back day counts 25 hours)."""
        return cls(timezone=timezone, weekly={day: [("00:00", "24:00")] for day in range(7)})

    # -- description ---------------------------------------------------------------------------

    @property
    def timezone(self) -> str:
        return self._timezone

    @property
    def weekly(self) -> dict[int, list[tuple[str, str]]]:
        """The weekly windows, normalised to "HH:MM[:SS]" strings (weekday 0 is Monday)."""
        return {day: [_format_window(w) for w in ws] for day, ws in enumerate(self._weekly)}

    @property
    def holidays(self) -> tuple[str, str | None] | None:
        return None if self._country is None else (self._country, self._subdivision)

    @property
    def holiday_categories(self) -> tuple[str, ...]:
        return self._categories

    @property
    def closed_days(self) -> frozenset[date]:
        return self._closed

    @property
    def partial_days(self) -> dict[date, list[tuple[str, str]]]:
        return {day: [_format_window(w) for w in ws] for day, ws in self._partial.items()}

    def windows_on(self, day: date) -> list[tuple[str, str]]:
        """The opening windows that apply to a local date, after holidays and exceptions."""
        holiday_dates = self._holiday_dates(day.year, day.year)
        return [_format_window(w) for w in self._windows(day, holiday_dates)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={self._timezone!r}, weekly={self.weekly!r}, "
            f"holidays={self.holidays!r}, holiday_categories={self._categories!r}, "
            f"closed_days={sorted(self._closed)!r}, partial_days={self.partial_days!r})"
        )

    # -- measuring -----------------------------------------------------------------------------

    @overload
    def business_seconds(self, start: datetime, end: datetime) -> int: ...
    @overload
    def business_seconds(self, start: pl.Series, end: pl.Series | datetime) -> pl.Series: ...
    @overload
    def business_seconds(self, start: datetime, end: pl.Series) -> pl.Series: ...
    @overload
    def business_seconds(
        self,
        start: npt.NDArray[np.datetime64],
        end: npt.NDArray[np.datetime64] | datetime,
    ) -> Int64Array: ...
    @overload
    def business_seconds(self, start: datetime, end: npt.NDArray[np.datetime64]) -> Int64Array: ...
    @overload
    def business_seconds(self, start: object, end: object) -> Any: ...

    def business_seconds(self, start: object, end: object) -> Any:
        """Business seconds in ``[start, end)``; 0 when ``end <= start``.

        Takes aware datetimes (returns an int) or equal-length columns: NumPy ``datetime64``
        (UTC), Polars ``Datetime`` with a time zone, or Arrow timestamps (returns int64 of the
        same kind; Polars and Arrow nulls give nulls). A datetime paired with a column is used
        for every element.
        """
        first, second = broadcast(
            times_column(start, "start"), times_column(end, "end"), ("start", "end")
        )
        nulls = combined_nulls(first, second)
        values = self.business_seconds_epoch(_filled(first), _filled(second))
        return seconds_result(values, nulls, _flavour(first, second), "business_seconds")

    @overload
    def add_business_seconds(self, start: datetime, seconds: int) -> datetime: ...
    @overload
    def add_business_seconds(self, start: pl.Series, seconds: pl.Series | int) -> pl.Series: ...
    @overload
    def add_business_seconds(self, start: datetime, seconds: pl.Series) -> pl.Series: ...
    @overload
    def add_business_seconds(
        self, start: npt.NDArray[np.datetime64], seconds: npt.NDArray[np.integer[Any]] | int
    ) -> npt.NDArray[np.datetime64]: ...
    @overload
    def add_business_seconds(self, start: object, seconds: object) -> Any: ...

    def add_business_seconds(self, start: object, seconds: object) -> Any:
        """The earliest instant at which ``seconds`` of business time have passed since ``start``.

        A clock that starts outside business time starts at the next opening; a result that
        lands on a closing time is that closing instant (Friday 16:00 + 1 h with closing at
        17:00 is Friday 17:00, not Monday's opening). ``seconds == 0`` returns ``start``.
        Negative seconds raise ``ValueError``. Takes and returns the same kinds as
        :meth:`business_seconds`; instants come back in UTC.
        """
        first, second = broadcast(
            times_column(start, "start"), seconds_column(seconds, "seconds"), ("start", "seconds")
        )
        nulls = combined_nulls(first, second)
        values = self.add_business_seconds_epoch(_filled(first), _filled(second, fill=0))
        return instants_result(values, nulls, _flavour(first, second), "instant")

    def business_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The business intervals within ``[start, end)``, clipped, as aware UTC datetimes."""
        lo, hi = epoch_seconds(start, "start"), epoch_seconds(end, "end")
        if hi <= lo:
            return []
        starts, ends = self.timeline(lo, hi).intervals
        inside = (ends > lo) & (starts < hi)
        return [
            (from_epoch_seconds(max(int(s), lo)), from_epoch_seconds(min(int(e), hi)))
            for s, e in zip(starts[inside], ends[inside], strict=True)
        ]

    # -- epoch-second interface used by solidground.engine.sla --------------------------------

    def business_seconds_epoch(self, start: Int64Array, end: Int64Array) -> Int64Array:
        """:meth:`business_seconds` on int64 UTC epoch seconds (no nulls)."""
        if len(start) == 0:
            return np.zeros(0, dtype=np.int64)
        lo = int(min(start.min(), end.min()))
        hi = int(max(start.max(), end.max()))
        return self.timeline(lo, hi).business_seconds(start, end)

    def add_business_seconds_epoch(self, start: Int64Array, seconds: Int64Array) -> Int64Array:
        """:meth:`add_business_seconds` on int64 UTC epoch seconds (no nulls)."""
        if len(start) == 0:
            return np.zeros(0, dtype=np.int64)
        if (seconds < 0).any():
            bad = int(seconds[np.argmax(seconds < 0)])
            raise ValueError(f"seconds must not be negative, got {bad}")
        timeline, target = self.timeline_reaching(start, seconds)
        np.maximum(target, 1, out=target)  # a count of 0 is answered by the start itself
        reached = timeline.instant_at(target)
        np.copyto(reached, start, where=seconds == 0)
        return reached

    def timeline(self, lo: int, hi: int) -> BusinessTimeline:
        """A timeline whose covered span includes ``[lo, hi]`` (UTC epoch seconds).

        Timelines are built per whole local year and cached; a request outside the cached span
        rebuilds it for the union of both spans.
        """
        current = self._timeline
        if current is not None and current.covers(lo, hi):
            return current
        y_lo = _utc_year(lo - 2 * _DAY)
        y_hi = _utc_year(hi + 2 * _DAY)
        return self._timeline_for_years(y_lo, y_hi)

    def timeline_reaching(
        self, start: Int64Array, seconds: Int64Array
    ) -> tuple[BusinessTimeline, Int64Array]:
        """A timeline covering ``start`` on which every ``B(start) + seconds`` is reachable, and
        those targets."""
        lo, hi = int(start.min()), int(start.max())
        timeline = self.timeline(lo, hi)
        last_start_year = _utc_year(hi)
        while True:
            target = timeline.elapsed(start)
            target += seconds
            needed = int(target.max())
            if needed <= timeline.capacity:
                return timeline, target
            years = self._timeline_years
            assert years is not None  # set by self.timeline()
            span_years = years[1] - years[0] + 1
            per_year = timeline.capacity / span_years
            # With no business time at all in the span, look ten years further.
            extra = int((needed - timeline.capacity) / per_year) + 1 if per_year > 0 else 10
            new_last = min(years[1] + max(extra, 1), _MAX_YEAR)
            if new_last - last_start_year > _MAX_ADD_YEARS or years[1] >= _MAX_YEAR:
                raise ValueError(
                    f"calendar has too little business time: {int(seconds.max())} business "
                    f"seconds are not reached within {_MAX_ADD_YEARS} years "
                    f"(time zone {self._timezone})"
                )
            timeline = self._timeline_for_years(years[0], new_last)

    # -- expansion into UTC intervals ----------------------------------------------------------

    def _timeline_for_years(self, y_lo: int, y_hi: int) -> BusinessTimeline:
        with self._lock:
            if self._timeline_years is not None:
                y_lo = min(y_lo, self._timeline_years[0])
                y_hi = max(y_hi, self._timeline_years[1])
                if (y_lo, y_hi) == self._timeline_years and self._timeline is not None:
                    return self._timeline
            timeline = self._build(y_lo, y_hi)
            # Publish the finished timeline in one assignment: readers holding the old one keep
            # a consistent object.
            self._timeline, self._timeline_years = timeline, (y_lo, y_hi)
            return timeline

    def _build(self, y_lo: int, y_hi: int) -> BusinessTimeline:
        holiday_dates = self._holiday_dates(y_lo - 1, y_hi)
        starts: list[int] = []
        ends: list[int] = []
        # The day before the span contributes its overnight window to the span's first night.
        day = date(y_lo, 1, 1) - _ONE_DAY
        last = date(y_hi, 12, 31)
        while day <= last:
            for open_s, close_s in self._windows(day, holiday_dates):
                opens = self._edge(day, open_s)
                closes = self._edge(day, close_s)
                # On a spring-forward day a window inside the skipped hour has no length.
                if closes > opens:
                    starts.append(opens)
                    ends.append(closes)
            day += _ONE_DAY
        lo = self._edge(date(y_lo, 1, 1), 0)
        hi = self._edge(date(y_hi, 12, 31), _DAY)
        return BusinessTimeline(
            np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), lo, hi
        )

    def _windows(self, day: date, holiday_dates: frozenset[date]) -> tuple[_Window, ...]:
        if day in self._closed:
            return ()
        partial = self._partial.get(day)
        if partial is not None:
            return partial
        if day in holiday_dates:
            return ()
        return self._weekly[day.weekday()]

    def _holiday_dates(self, y_lo: int, y_hi: int) -> frozenset[date]:
        if self._country is None:
            return frozenset()
        found = holidays_package.country_holidays(
            self._country,
            subdiv=self._subdivision,
            categories=self._categories,
            years=range(y_lo, y_hi + 1),
        )
        return frozenset(found.keys())

    def _edge(self, day: date, seconds: int) -> int:
        """UTC epoch second of a wall-clock time ``seconds`` after local midnight of ``day``:
        the first instant at which the local clock reads that time or later."""
        days, rest = divmod(seconds, _DAY)
        if days:
            day += timedelta(days=days)
        clock = time(rest // 3600, rest // 60 % 60, rest % 60)
        earlier = datetime.combine(day, clock, tzinfo=self._tz)
        later = datetime.combine(day, clock.replace(fold=1), tzinfo=self._tz)
        offset_before = earlier.utcoffset() or timedelta(0)
        offset_after = later.utcoffset() or timedelta(0)
        local_seconds = (day.toordinal() - _EPOCH_ORDINAL) * _DAY + rest
        # PEP 495: fold=0 reads a wall time with the offset in force before a transition and
        # fold=1 with the one after. For a repeated (fall-back) time fold=0 is the earlier of
        # the two instants, the first one at which the clock shows it; for an ordinary time both
        # agree. Only in a skipped (spring-forward) gap is the offset before smaller than after.
        if offset_before >= offset_after:
            return local_seconds - offset_before // _SECOND
        # The wall time was skipped. The first instant whose wall clock reads it or later is the
        # transition itself; it lies between the two readings of the skipped time.
        local = datetime.combine(day, clock)  # a wall-clock reading, deliberately naive
        low = local_seconds - offset_after // _SECOND
        high = local_seconds - offset_before // _SECOND
        while high - low > 1:
            middle = (low + high) // 2
            if self._wall(middle) >= local:
                high = middle
            else:
                low = middle
        return high

    def _wall(self, instant: int) -> datetime:
        return _utc(instant).astimezone(self._tz).replace(tzinfo=None)


# -- validation helpers ------------------------------------------------------------------------


def _utc(instant: int) -> datetime:
    return _EPOCH + timedelta(seconds=instant)


def _utc_year(instant: int) -> int:
    try:
        year = _utc(instant).year
    except OverflowError:
        year = _MAX_YEAR + 1 if instant > 0 else _MIN_YEAR - 1
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError(
            f"instant {instant} (UTC epoch seconds) is outside the supported years "
            f"{_MIN_YEAR}..{_MAX_YEAR}"
        )
    return year


def _filled(column: Column, fill: int | None = None) -> Int64Array:
    """Values with nulls replaced by a harmless value (results at null positions are dropped);
    instants take a value from the same column so the expanded span does not grow."""
    if column.nulls is None:
        return column.values
    present = column.values[~column.nulls]
    if fill is None:
        fill = int(present[0]) if len(present) else 0
    return np.where(column.nulls, np.int64(fill), column.values)


def _flavour(first: Column, second: Column) -> Flavour:
    return result_flavour(first, second)
