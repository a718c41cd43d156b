"""Stage 2: business calendars, SLA policies and their targets (no random draws).

Premium customers share one 24x7 policy; Standard and Basis get one policy per German state
their customers sit in, on a calendar with that state's public holidays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from solidground.demo.world.common import (
    BASIS,
    LEVELS,
    PREMIUM,
    STANDARD,
    STATE_CODES,
    TIMEZONE,
    Arr,
    ids,
)
from solidground.demo.world.customers import Customers
from solidground.demo.world.timeline import Timeline
from solidground.engine.calendar import BusinessCalendar as EngineCalendar
from solidground.engine.periods import hhmm


@dataclass(frozen=True)
class CalendarSpec:
    """A business calendar as the demo defines it; ``engine()`` builds the SLA engine's twin."""

    id: int
    name: str
    subdivision: str  # "" for the 24x7 calendar, which has no holidays
    window: tuple[int, int] | None  # None = always open
    half_days: tuple[date, ...]

    def engine(self) -> EngineCalendar:
        if self.window is None:
            return EngineCalendar.always_open(TIMEZONE)
        opens, closes = (hhmm(minute) for minute in self.window)
        weekly: dict[int, list[tuple[str, str]]] = {day: [(opens, closes)] for day in range(5)}
        weekly |= {5: [], 6: []}
        return EngineCalendar(
            timezone=TIMEZONE,
            weekly=weekly,
            holidays=("DE", self.subdivision),
            holiday_categories=("public",),
            closed_days=[],
            partial_days={day: [(opens, "12:00")] for day in self.half_days},
        )


@dataclass(frozen=True)
class ServiceLevels:
    """The calendars and SLA policies; policy ids are 1-based (row 0 of the arrays unused)."""

    calendars: tuple[CalendarSpec, ...]
    calendar_of_policy: Arr  # calendar id by policy id
    first_response_target: Arr  # seconds, by policy id and priority index (0..3 = P1..P4)
    resolution_target: Arr  # seconds, by policy id and priority index
    policy_of_customer: Arr  # policy id by customer


@dataclass(frozen=True)
class _Policies:
    calendars: tuple[CalendarSpec, ...]
    names: list[str]
    calendar: list[int]  # calendar id per policy (in policy id order)
    level: list[int]  # index into LEVELS per policy
    of_level_and_state: Arr  # policy id by service level and state


def build_service_levels(
    customers: Customers, timeline: Timeline
) -> tuple[ServiceLevels, dict[str, pl.DataFrame]]:
    policies = _policies(customers, timeline)
    targets = [
        (policy + 1, priority + 1, *LEVELS[policy_level][2][priority])
        for policy, policy_level in enumerate(policies.level)
        for priority in range(4)
    ]
    count = len(policies.names)
    frames = _calendar_frames(policies.calendars)
    frames["contracts.slapolicy"] = pl.DataFrame(
        {
            "id": ids(count),
            "name": policies.names,
            "calendar_id": pl.Series(policies.calendar, dtype=pl.Int64),
            "pausing_statuses": ['["waiting_customer"]'] * count,
            "pause_first_response": [False] * count,
            "near_breach_share": [75] * count,  # hundredths, like every decimal
        }
    )
    frames["contracts.slatarget"] = pl.DataFrame(
        {
            "id": ids(len(targets)),
            "policy_id": pl.Series([row[0] for row in targets], dtype=pl.Int64),
            "priority": [row[1] for row in targets],
            "first_response_minutes": [row[2] for row in targets],
            "resolution_minutes": [row[3] for row in targets],
        }
    )
    first_response_target = np.zeros((count + 1, 4), dtype=np.int64)
    resolution_target = np.zeros((count + 1, 4), dtype=np.int64)
    for policy, priority, first_response, resolution in targets:
        first_response_target[policy, priority - 1] = first_response * 60
        resolution_target[policy, priority - 1] = resolution * 60
    levels = ServiceLevels(
        calendars=policies.calendars,
        calendar_of_policy=np.array([0, *policies.calendar], dtype=np.int64),
        first_response_target=first_response_target,
        resolution_target=resolution_target,
        policy_of_customer=policies.of_level_and_state[customers.service_level, customers.state],
    )
    return levels, frames


def _policies(customers: Customers, timeline: Timeline) -> _Policies:
    years = range(timeline.month_starts[0].year, timeline.month_starts[-1].year + 2)
    used_states = sorted(set(customers.subdivisions))
    specs: list[CalendarSpec] = [CalendarSpec(1, "Mo-So 00-24", "", None, ())]
    names = [LEVELS[PREMIUM][0]]
    calendar = [1]
    level_of_policy = [PREMIUM]
    of_level_and_state = np.zeros((len(LEVELS), len(STATE_CODES)), dtype=np.int64)
    of_level_and_state[PREMIUM, :] = 1
    for level in (STANDARD, BASIS):
        name, window, _ = LEVELS[level]
        assert window is not None
        for state in used_states:
            half_days = tuple(
                day
                for year in years
                for day in (date(year, 12, 24), date(year, 12, 31))
                if day.weekday() < 5
            )
            spec = CalendarSpec(
                id=len(specs) + 1,
                name=f"Mo-Fr {window[0] // 60:02d}-{window[1] // 60:02d} ({state})",
                subdivision=state,
                window=window,
                half_days=half_days,
            )
            specs.append(spec)
            names.append(f"{name} ({state})")
            calendar.append(spec.id)
            level_of_policy.append(level)
            of_level_and_state[level, STATE_CODES.index(state)] = len(names)
    return _Policies(tuple(specs), names, calendar, level_of_policy, of_level_and_state)


def _calendar_frames(specs: tuple[CalendarSpec, ...]) -> dict[str, pl.DataFrame]:
    windows: list[tuple[int, int, int, int]] = []
    special: list[tuple[int, date, str]] = []
    for spec in specs:
        if spec.window is None:
            windows.extend((spec.id, day, 0, 1440) for day in range(7))
            continue
        windows.extend((spec.id, day, spec.window[0], spec.window[1]) for day in range(5))
        special.extend(
            (spec.id, day, "Heiligabend" if day.day == 24 else "Silvester")
            for day in spec.half_days
        )
    opens_of = {spec.id: spec.window[0] if spec.window else 0 for spec in specs}
    return {
        "contracts.businesscalendar": pl.DataFrame(
            {
                "id": [spec.id for spec in specs],
                "name": [spec.name for spec in specs],
                "timezone": [TIMEZONE] * len(specs),
                "holiday_country": ["" if spec.window is None else "DE" for spec in specs],
                "holiday_subdivision": [spec.subdivision for spec in specs],
                "holiday_categories": [
                    "[]" if spec.window is None else '["public"]' for spec in specs
                ],
            },
            schema_overrides={"id": pl.Int64},
        ),
        "contracts.calendarwindow": pl.DataFrame(
            {
                "id": ids(len(windows)),
                "calendar_id": [w[0] for w in windows],
                "weekday": [w[1] for w in windows],
                "start_minute": [w[2] for w in windows],
                "end_minute": [w[3] for w in windows],
            },
            schema_overrides={"calendar_id": pl.Int64},
        ),
        "contracts.calendarspecialday": pl.DataFrame(
            {
                "id": ids(len(special)),
                "calendar_id": pl.Series([s[0] for s in special], dtype=pl.Int64),
                "day": pl.Series([s[1] for s in special], dtype=pl.Date),
                "windows": [json.dumps([[hhmm(opens_of[s[0]]), "12:00"]]) for s in special],
                "note": [s[2] for s in special],
            }
        ),
    }
