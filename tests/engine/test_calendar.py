"""BusinessCalendar behaviour: configuration errors a user can make, input and output kinds,
and the rules for windows, holidays and exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from solidground.engine.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in range(5)}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def office(**kwargs: object) -> BusinessCalendar:
    return BusinessCalendar(timezone="Europe/Berlin", weekly=OFFICE, **kwargs)  # type: ignore[arg-type]


# -- configuration errors name the bad value --------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Berlinn", "CET+1", "", "../etc/passwd"])
def test_unknown_time_zone_is_rejected_by_name(zone: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar(timezone=zone, weekly=OFFICE)


@pytest.mark.parametrize(
    ("windows", "bad"),
    [
        ([("8am", "12:00")], "8am"),
        ([("08:00", "25:00")], "25:00"),
        ([("08:60", "12:00")], "08:60"),
        ([("08:00", "24:30")], "24:30"),
        ([("24:00", "06:00")], "24:00"),
        ([(8, "12:00")], "8"),
        ([("08:00",)], "08:00"),
    ],
)
def test_malformed_times_are_rejected_by_value(windows: list[tuple[str, ...]], bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        BusinessCalendar(timezone="UTC", weekly={0: windows})  # type: ignore[dict-item]


def test_overlapping_windows_of_one_day_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"08:00.*12:00.*11:00.*overlap"):
        BusinessCalendar(timezone="UTC", weekly={2: [("08:00", "12:00"), ("11:00", "17:00")]})


def test_night_shift_running_into_next_mornings_window_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"Monday window.*22:00.*06:00.*overlaps Tuesday"):
        BusinessCalendar(timezone="UTC", weekly={0: [("22:00", "06:00")], 1: [("05:00", "09:00")]})


def test_sunday_night_shift_wraps_into_monday() -> None:
    with pytest.raises(ValueError, match=r"Sunday window.*overlaps Monday"):
        BusinessCalendar(timezone="UTC", weekly={6: [("22:00", "06:00")], 0: [("05:00", "09:00")]})


def test_touching_windows_are_fine_and_count_as_one() -> None:
    # given windows that touch at noon and at midnight
    calendar = BusinessCalendar(
        timezone="UTC",
        weekly={0: [("08:00", "12:00"), ("12:00", "24:00")], 1: [("00:00", "02:00")]},
    )
    # then the span from Monday 08:00 to Tuesday 02:00 counts in full
    start = datetime(2026, 3, 16, 8, tzinfo=UTC)
    assert calendar.business_seconds(start, start + timedelta(hours=18)) == 18 * 3600


def test_empty_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        BusinessCalendar(timezone="UTC", weekly={0: [("00:00", "00:00")]})


def test_unknown_weekday_is_rejected() -> None:
    with pytest.raises(ValueError, match="weekday 7"):
        BusinessCalendar(timezone="UTC", weekly={7: [("08:00", "12:00")]})


def test_unknown_holiday_subdivision_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        office(holidays=("DE", "XX"))


def test_unknown_holiday_country_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="'QQ'"):
        office(holidays="QQ")


def test_unknown_holiday_category_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="pagan"):
        office(holidays=("DE", "BY"), holiday_categories=("public", "pagan"))


def test_partial_day_overlapping_the_previous_night_shift_is_rejected() -> None:
    with pytest.raises(ValueError, match="2026-12-24"):
        BusinessCalendar(
            timezone="UTC",
            weekly={day: [("22:00", "06:00")] for day in range(7)},
            partial_days={date(2026, 12, 24): [("05:00", "12:00")]},
        )


def test_a_day_cannot_be_both_closed_and_partial() -> None:
    with pytest.raises(ValueError, match="2026-12-24"):
        office(closed_days=[date(2026, 12, 24)], partial_days={date(2026, 12, 24): []})


def test_closed_days_must_be_dates_not_datetimes() -> None:
    with pytest.raises(ValueError, match="closed_days"):
        office(closed_days=[datetime(2026, 12, 24, tzinfo=UTC)])


def test_naive_datetimes_are_rejected() -> None:
    calendar = office()
    with pytest.raises(ValueError, match="naive"):
        calendar.business_seconds(datetime(2026, 3, 16, 8), berlin(2026, 3, 16, 9))  # noqa: DTZ001


def test_negative_seconds_are_rejected() -> None:
    with pytest.raises(ValueError, match="-5"):
        office().add_business_seconds(berlin(2026, 3, 16, 8), -5)


def test_calendar_without_any_window_cannot_reach_a_deadline() -> None:
    # given a calendar that is never open
    closed = BusinessCalendar(timezone="UTC", weekly={})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # then it measures nothing, and adding time is an error rather than a hang
    assert closed.business_seconds(start, start + timedelta(days=30)) == 0
    with pytest.raises(ValueError, match="too little business time"):
        closed.add_business_seconds(start, 1)


# -- windows, holidays and exceptions ----------------------------------------------------------


def test_midnight_close_and_overnight_window_agree() -> None:
    # given the same night desk written as one overnight window and as two windows
    overnight = BusinessCalendar(timezone="Europe/Berlin", weekly={4: [("22:00", "06:00")]})
    split = BusinessCalendar(
        timezone="Europe/Berlin", weekly={4: [("22:00", "24:00")], 5: [("00:00", "06:00")]}
    )
    start, end = berlin(2026, 3, 13, 12), berlin(2026, 3, 14, 12)
    # then both count the 8 hours from Friday 22:00 to Saturday 06:00
    assert overnight.business_seconds(start, end) == split.business_seconds(start, end) == 8 * 3600


def test_a_holiday_removes_the_whole_night_shift_that_opens_on_it() -> None:
    # given a night desk and Friday 1 May 2026 as a public holiday
    night = BusinessCalendar(
        timezone="Europe/Berlin", weekly={d: [("22:00", "06:00")] for d in range(7)}, holidays="DE"
    )
    # then the shift opening on Friday evening (running into Saturday) does not count,
    # but Thursday's shift running into Friday morning does
    assert night.business_seconds(berlin(2026, 5, 1, 0), berlin(2026, 5, 2, 12)) == 6 * 3600


def test_holiday_spec_forms_are_equivalent() -> None:
    assert office(holidays="DE-BY") == office(holidays=("DE", "BY"))
    assert office(holidays=("DE",)) == office(holidays="DE")
    assert office(holidays="DE") != office(holidays="DE-BY")


def test_windows_on_reports_the_rules_for_a_day() -> None:
    calendar = office(
        holidays=("DE", "BY"), partial_days={date(2026, 12, 24): [("08:00", "12:00")]}
    )
    assert calendar.windows_on(date(2026, 6, 4)) == []  # Fronleichnam
    assert calendar.windows_on(date(2026, 12, 24)) == [("08:00", "12:00")]
    assert calendar.windows_on(date(2026, 6, 5)) == [("08:00", "12:00"), ("13:00", "17:00")]


def test_partial_day_opens_a_holiday_explicitly() -> None:
    # given Whit Monday as a holiday but declared a partial day by the provider
    calendar = office(holidays="DE", partial_days={date(2026, 5, 25): [("09:00", "11:00")]})
    # then the explicit windows apply
    assert calendar.business_seconds(berlin(2026, 5, 25, 0), berlin(2026, 5, 26, 0)) == 7200


def test_partial_day_with_no_windows_is_closed() -> None:
    calendar = office(partial_days={date(2026, 3, 16): []})
    assert calendar.business_seconds(berlin(2026, 3, 16, 0), berlin(2026, 3, 17, 0)) == 0


def test_times_may_be_given_as_time_objects_with_seconds() -> None:
    calendar = BusinessCalendar(timezone="UTC", weekly={0: [(time(8, 0, 30), "08:01:00")]})
    start = datetime(2026, 3, 16, tzinfo=UTC)
    assert calendar.business_seconds(start, start + timedelta(days=1)) == 30
    assert calendar.weekly[0] == [("08:00:30", "08:01")]


def test_always_open_counts_elapsed_time_even_over_dst() -> None:
    calendar = BusinessCalendar.always_open("Europe/Berlin")
    start, end = berlin(2026, 3, 1), berlin(2026, 11, 1)
    assert calendar.business_seconds(start, end) == (end - start) // timedelta(seconds=1)


def test_business_intervals_lists_the_clipped_windows() -> None:
    intervals = office().business_intervals(berlin(2026, 3, 16, 9), berlin(2026, 3, 16, 14))
    assert intervals == [
        (berlin(2026, 3, 16, 9), berlin(2026, 3, 16, 12)),
        (berlin(2026, 3, 16, 13), berlin(2026, 3, 16, 14)),
    ]


def test_results_do_not_depend_on_the_order_of_questions() -> None:
    # given one calendar asked about 2026, then 2031, then 2019 (the cached span grows)
    calendar = office(holidays=("DE", "BY"))
    spans = [
        (berlin(2026, 3, 1), berlin(2026, 4, 1)),
        (berlin(2031, 3, 1), berlin(2031, 4, 1)),
        (berlin(2019, 3, 1), berlin(2019, 4, 1)),
    ]
    first = [calendar.business_seconds(a, b) for a, b in spans]
    # then a fresh calendar asked in another order answers the same
    fresh = office(holidays=("DE", "BY"))
    assert [fresh.business_seconds(a, b) for a, b in reversed(spans)] == first[::-1]


def test_instants_are_floored_to_the_second() -> None:
    calendar = BusinessCalendar.always_open()
    start = datetime(2026, 1, 1, 0, 0, 0, 900_000, tzinfo=UTC)
    end = datetime(2026, 1, 1, 0, 0, 2, 100_000, tzinfo=UTC)
    assert calendar.business_seconds(start, end) == 2
    assert calendar.add_business_seconds(start, 1) == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_any_fixed_or_named_zone_on_input_gives_utc_output() -> None:
    calendar = office()
    start = datetime(2026, 3, 16, 15, tzinfo=timezone(timedelta(hours=-5)))  # 21:00 in Berlin
    result = calendar.add_business_seconds(start, 3600)
    assert result == berlin(2026, 3, 17, 9)
    assert result.tzinfo == UTC


# -- vectorised inputs and outputs --------------------------------------------------------------


def _starts_and_ends() -> tuple[list[datetime], list[datetime]]:
    starts = [berlin(2026, 3, 13, 16), berlin(2026, 3, 14, 10), berlin(2026, 3, 16, 11)]
    ends = [berlin(2026, 3, 16, 9), berlin(2026, 3, 16, 8, 30), berlin(2026, 3, 16, 14)]
    return starts, ends


def test_numpy_arrays_in_numpy_arrays_out() -> None:
    starts, ends = _starts_and_ends()
    as_numpy = [
        np.array([d.astimezone(UTC).replace(tzinfo=None) for d in ds], dtype="datetime64[us]")
        for ds in (starts, ends)
    ]
    measured = office().business_seconds(as_numpy[0], as_numpy[1])
    assert measured.dtype == np.int64
    assert measured.tolist() == [7200, 1800, 7200]
    reached = office().add_business_seconds(as_numpy[0], np.array([7200, 3600, 3600]))
    assert reached.dtype == np.dtype("datetime64[us]")
    assert reached.tolist() == [
        datetime(2026, 3, 16, 8),  # noqa: DTZ001 - NumPy datetimes are naive UTC
        datetime(2026, 3, 16, 8),  # noqa: DTZ001
        datetime(2026, 3, 16, 11),  # noqa: DTZ001 - lunch closes at 12:00 Berlin time
    ]


def test_polars_columns_in_polars_columns_out_with_nulls() -> None:
    starts, ends = _starts_and_ends()
    start_col = pl.Series("start", [*starts, None], dtype=pl.Datetime("us", "UTC"))
    end_col = pl.Series("end", [*ends, berlin(2026, 3, 16, 9)], dtype=pl.Datetime("us", "UTC"))
    measured = office().business_seconds(start_col, end_col)
    assert measured.dtype == pl.Int64
    assert measured.to_list() == [7200, 1800, 7200, None]
    seconds = pl.Series([7200, None, 3600, 60], dtype=pl.Int32)
    reached = office().add_business_seconds(start_col, seconds)
    assert reached.dtype == pl.Datetime("us", "UTC")
    assert reached.to_list() == [berlin(2026, 3, 16, 9), None, berlin(2026, 3, 16, 12), None]


def test_polars_columns_in_other_zones_are_read_as_instants() -> None:
    starts, ends = _starts_and_ends()
    start_col = pl.Series(starts, dtype=pl.Datetime("ms", "America/New_York"))
    end_col = pl.Series(ends, dtype=pl.Datetime("ns", "Asia/Tokyo"))
    assert office().business_seconds(start_col, end_col).to_list() == [7200, 1800, 7200]


def test_arrow_arrays_in_arrow_arrays_out() -> None:
    starts, ends = _starts_and_ends()
    start_arr = pa.array(starts, type=pa.timestamp("us", tz="UTC"))
    end_arr = pa.chunked_array([pa.array(ends, type=pa.timestamp("us", tz="UTC"))])
    measured = office().business_seconds(start_arr, end_arr)
    assert isinstance(measured, pa.Array)
    assert measured.to_pylist() == [7200, 1800, 7200]
    reached = office().add_business_seconds(start_arr, pa.array([7200, 3600, 3600]))
    assert isinstance(reached, pa.Array)
    assert reached.type == pa.timestamp("us", tz="UTC")


def test_a_single_instant_pairs_with_every_element() -> None:
    _, ends = _starts_and_ends()
    end_col = pl.Series(ends, dtype=pl.Datetime("us", "UTC"))
    measured = office().business_seconds(berlin(2026, 3, 13, 16), end_col)
    assert measured.to_list() == [7200, 5400, 7200 + 3 * 3600 + 3600]
    deadlines = office().add_business_seconds(berlin(2026, 3, 13, 16), np.array([0, 3600, 7200]))
    assert deadlines.tolist()[1:] == [
        datetime(2026, 3, 13, 16),  # noqa: DTZ001 - NumPy datetimes are naive UTC
        datetime(2026, 3, 16, 8),  # noqa: DTZ001
    ]


def test_columns_of_different_lengths_are_rejected() -> None:
    starts, ends = _starts_and_ends()
    with pytest.raises(ValueError, match="equal lengths"):
        office().business_seconds(
            pl.Series(starts, dtype=pl.Datetime("us", "UTC")),
            pl.Series(ends[:2], dtype=pl.Datetime("us", "UTC")),
        )


def test_naive_polars_column_is_rejected() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        office().business_seconds(
            pl.Series([datetime(2026, 1, 1)]),  # noqa: DTZ001 - the mistake under test
            berlin(2026, 1, 2),
        )


def test_numpy_nat_is_rejected() -> None:
    values = np.array(["2026-01-01T00:00", "NaT"], dtype="datetime64[us]")
    with pytest.raises(ValueError, match="NaT"):
        office().business_seconds(values, values)


def test_empty_columns_give_empty_results() -> None:
    empty = np.array([], dtype="datetime64[us]")
    assert office().business_seconds(empty, empty).tolist() == []
    assert office().add_business_seconds(empty, np.array([], dtype=np.int64)).tolist() == []


def test_many_tiny_windows_are_counted_exactly() -> None:
    # given thirty one-second windows a minute after 08:00 every day (too dense for the
    # bucket table, so the look-up falls back to a binary search)
    windows = [(f"08:00:{2 * i:02d}", f"08:00:{2 * i + 1:02d}") for i in range(30)]
    calendar = BusinessCalendar(timezone="UTC", weekly=dict.fromkeys(range(7), windows))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # then ten days hold 300 business seconds, and the 31st second closes on 2 January
    assert calendar.business_seconds(start, start + timedelta(days=10)) == 300
    assert calendar.add_business_seconds(start, 31) == datetime(2026, 1, 2, 8, 0, 1, tzinfo=UTC)
    assert calendar.add_business_seconds(start, 2) == datetime(2026, 1, 1, 8, 0, 3, tzinfo=UTC)
