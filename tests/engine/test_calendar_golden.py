"""Golden cases for the business calendar: small tables in golden/calendar_cases.toml.

Each case states in words what a service manager expects (Friday evening plus two hours lands on
Monday morning, a holiday is skipped, the spring-forward night is an hour short) and is checked
against the engine and the slow reference implementation alike.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from solidground.engine.calendar import BusinessCalendar
from tests.engine.sla_reference import (
    GOLDEN,
    ReferenceCalendar,
    load_golden_calendars,
    local_instant,
    parse_duration,
    to_epoch,
)

CALENDARS = load_golden_calendars()
with (GOLDEN / "calendar_cases.toml").open("rb") as _handle:
    CASES: dict[str, list[dict[str, Any]]] = tomllib.load(_handle)

_BUILT: dict[str, BusinessCalendar] = {}


def _calendar(name: str) -> BusinessCalendar:
    if name not in _BUILT:
        _BUILT[name] = CALENDARS[name].build()
    return _BUILT[name]


def _case_id(case: dict[str, Any]) -> str:
    return str(case["case"])


@pytest.mark.parametrize("case", CASES["business_seconds"], ids=_case_id)
def test_business_seconds_golden(case: dict[str, Any]) -> None:
    # given a calendar and two local instants
    spec = CALENDARS[case["calendar"]]
    start = local_instant(spec.timezone, case["start"])
    end = local_instant(spec.timezone, case["end"])

    # when the business time between them is measured
    measured = _calendar(case["calendar"]).business_seconds(start, end)

    # then it is the documented answer, and the slow reference agrees
    assert measured == parse_duration(case["expected"])
    reference = ReferenceCalendar(spec).business_seconds(to_epoch(start), to_epoch(end))
    assert reference == measured


@pytest.mark.parametrize("case", CASES["add_business_seconds"], ids=_case_id)
def test_add_business_seconds_golden(case: dict[str, Any]) -> None:
    # given a calendar, a local start and an amount of business time
    spec = CALENDARS[case["calendar"]]
    start = local_instant(spec.timezone, case["start"])
    seconds = parse_duration(case["add"])
    calendar = _calendar(case["calendar"])

    # when the amount is added
    reached = calendar.add_business_seconds(start, seconds)

    # then the deadline is the documented local instant, the reference agrees, and measuring
    # back from the start gives the amount again
    expected = local_instant(spec.timezone, case["expected"])
    assert reached == expected
    assert ReferenceCalendar(spec).add_business_seconds(to_epoch(start), seconds) == to_epoch(
        expected
    )
    assert calendar.business_seconds(start, reached) == seconds


def test_golden_tables_cover_every_named_calendar() -> None:
    # given the golden tables
    used = {case["calendar"] for cases in CASES.values() for case in cases}

    # then every calendar defined is exercised (a typo in a name would fail loudly elsewhere)
    assert used == set(CALENDARS)
