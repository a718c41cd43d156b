"""A slow, obvious reference for the SLA clock, used to check the vectorised engine.

Written independently of ``solidground.engine``: it walks the calendar day by day in local time,
turns each wall-clock window edge into an instant by scanning the zone's UTC offsets (only the
unambiguous UTC -> local direction of zoneinfo is used, never ``fold``), and sums overlaps one
interval at a time. Correctness by inspection, not speed.

The edge rule it implements (docs/sla.md): a wall-clock time on a local date is the first
instant at which the local clock reads that time or later.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from solidground.engine.calendar import BusinessCalendar

DAY = 86_400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- time zones ---------------------------------------------------------------------------------


def to_epoch(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(seconds=1)


def from_epoch(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def utc_offset(zone: str, instant: int) -> int:
    """Offset of local time from UTC at an instant, in seconds."""
    offset = datetime.fromtimestamp(instant, ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return offset // timedelta(seconds=1)


@functools.lru_cache(maxsize=1024)
def _year_transitions(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """(instant, offset from then on) of every offset change in a UTC year: the offset is
    sampled every two hours and each change is bisected to the second. (Two changes less than
    two hours apart would be missed; no zone in the tests has them.)"""
    step = 7200
    lo = to_epoch(datetime(year, 1, 1, tzinfo=UTC))
    hi = to_epoch(datetime(year + 1, 1, 1, tzinfo=UTC))
    found: list[tuple[int, int]] = []
    previous_instant, previous_offset = lo - step, utc_offset(zone, lo - step)
    for instant in range(lo, hi, step):
        offset = utc_offset(zone, instant)
        if offset != previous_offset:
            low, high = previous_instant, instant
            while high - low > 1:
                middle = (low + high) // 2
                if utc_offset(zone, middle) == previous_offset:
                    low = middle
                else:
                    high = middle
            found.append((high, offset))
        previous_instant, previous_offset = instant, offset
    return tuple(found)


@functools.lru_cache(maxsize=65_536)
def _transitions_near(zone: str, around: int) -> tuple[tuple[int, int], ...]:
    """The offset in force 2 days before ``around``, then every change up to 2 days after."""
    lo, hi = around - 2 * DAY, around + 2 * DAY
    segments = [(lo, utc_offset(zone, lo))]
    for year in range(from_epoch(lo).year, from_epoch(hi).year + 1):
        segments.extend(t for t in _year_transitions(zone, year) if lo < t[0] <= hi)
    return tuple(segments)


@functools.lru_cache(maxsize=200_000)
def wall_edge(zone: str, day: date, seconds: int) -> int:
    """The first instant at which the local clock reads ``day`` + ``seconds`` or later."""
    wall = (day.toordinal() - date(1970, 1, 1).toordinal()) * DAY + seconds
    # Local time is UTC plus at most 15 hours either way; scan the offset segments around it.
    anchor = (wall // DAY) * DAY
    segments = _transitions_near(zone, anchor)
    for index, (segment_start, offset) in enumerate(segments):
        segment_end = segments[index + 1][0] if index + 1 < len(segments) else None
        if segment_start + offset >= wall and index > 0:
            return segment_start  # the clock jumped over the wall time at this transition
        candidate = wall - offset
        if candidate >= segment_start and (segment_end is None or candidate < segment_end):
            return candidate
    raise AssertionError(f"no instant found for {day} +{seconds}s in {zone}")


# -- calendars ----------------------------------------------------------------------------------


def parse_clock(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


Window = tuple[str, str]


@dataclass(frozen=True)
class CalendarSpec:
    """Everything needed to build a BusinessCalendar, kept as plain data for the reference."""

    timezone: str
    weekly: Mapping[int, Sequence[Window]]
    holidays: tuple[str, str | None] | None = None
    holiday_categories: tuple[str, ...] = ("public",)
    closed_days: tuple[date, ...] = ()
    partial_days: Mapping[date, Sequence[Window]] = field(default_factory=dict)

    def build(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=self.timezone,
            weekly={d: list(ws) for d, ws in self.weekly.items()},
            holidays=self.holidays,
            holiday_categories=self.holiday_categories,
            closed_days=list(self.closed_days),
            partial_days={d: list(ws) for d, ws in self.partial_days.items()},
        )


class ReferenceCalendar:
    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a few calendars per test, freed with them
    def holiday_dates(self, year: int) -> frozenset[date]:
        if self.spec.holidays is None:
            return frozenset()
        country, subdivision = self.spec.holidays
        found = holidays.country_holidays(
            country, subdiv=subdivision, categories=self.spec.holiday_categories, years=year
        )
        return frozenset(found.keys())

    def windows_of(self, day: date) -> Sequence[Window]:
        if day in self.spec.closed_days:
            return ()
        if day in self.spec.partial_days:
            return self.spec.partial_days[day]
        if day in self.holiday_dates(day.year):
            return ()
        return self.spec.weekly.get(day.weekday(), ())

    def intervals_of(self, day: date) -> Iterator[tuple[int, int]]:
        """The day's windows as UTC intervals, in order; a window belongs to its opening day."""
        for open_text, close_text in self.windows_of(day):
            opens, closes = parse_clock(open_text), parse_clock(close_text)
            if closes <= opens:
                closes += DAY  # runs over midnight
            start = wall_edge(self.spec.timezone, day, opens)
            end = wall_edge(self.spec.timezone, day + timedelta(days=closes // DAY), closes % DAY)
            if end > start:
                yield start, end

    def local_date(self, instant: int) -> date:
        return from_epoch(instant).astimezone(ZoneInfo(self.spec.timezone)).date()

    def intervals(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """All business intervals meeting [start, end), walking local days."""
        day = self.local_date(start) - timedelta(days=2)
        last = self.local_date(end) + timedelta(days=1)
        while day <= last:
            for lo, hi in self.intervals_of(day):
                if hi > start and lo < end:
                    yield lo, hi
            day += timedelta(days=1)

    def business_seconds(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        return sum(min(hi, end) - max(lo, start) for lo, hi in self.intervals(start, end))

    def forward(self, start: int, max_days: int = 5000) -> Iterator[tuple[int, int]]:
        """Business intervals from ``start`` onwards, clipped to start at ``start``."""
        day = self.local_date(start) - timedelta(days=2)
        for _ in range(max_days):
            for lo, hi in self.intervals_of(day):
                if hi > start:
                    yield max(lo, start), hi
            day += timedelta(days=1)

    def add_business_seconds(self, start: int, seconds: int) -> int:
        if seconds == 0:
            return start
        remaining = seconds
        for lo, hi in self.forward(start):
            if hi - lo >= remaining:
                return lo + remaining
            remaining -= hi - lo
        raise AssertionError("ran out of calendar")


# -- tickets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferencePolicy:
    calendar: CalendarSpec
    first_response_targets: Mapping[int, int]
    resolution_targets: Mapping[int, int]
    pause_first_response: bool = False
    near_breach_share: float = 0.75


@dataclass(frozen=True)
class ReferenceTicket:
    ticket_id: int
    policy_id: int | None
    priority: int | None
    created_at: int
    first_response_at: int | None
    resolved_at: int | None


@dataclass(frozen=True)
class ReferencePause:
    ticket_id: int
    start: int
    end: int | None
    kind: str


def merge(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def subtract(
    intervals: Iterator[tuple[int, int]], holes: Sequence[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """The parts of each interval outside the (merged, sorted) holes."""
    for lo, hi in intervals:
        cursor = lo
        for hole_lo, hole_hi in holes:
            if hole_hi <= cursor or hole_lo >= hi:
                continue
            if hole_lo > cursor:
                yield cursor, hole_lo
            cursor = max(cursor, hole_hi)
        if cursor < hi:
            yield cursor, hi


def evaluate_clock(
    calendar: ReferenceCalendar,
    created: int,
    stop: int,
    happened: bool,
    pauses: Sequence[tuple[int, int]],
    target: int | None,
    now: int,
    share: float,
) -> dict[str, object]:
    stop = max(stop, created)
    holes = merge([(max(lo, created), min(hi, stop)) for lo, hi in pauses])
    paused = sum(calendar.business_seconds(lo, hi) for lo, hi in holes)
    counted = calendar.business_seconds(created, stop) - paused
    result: dict[str, object] = {"counted": counted, "paused": paused, "target": target}
    if target is None:
        result.update(due=None, state=None, margin=None, near_breach=None)
        return result
    remaining = target
    due = None
    for lo, hi in subtract(calendar.forward(created), holes):
        if hi - lo >= remaining:
            due = lo + remaining
            break
        remaining -= hi - lo
    assert due is not None
    event = stop
    if happened:
        state = "met" if event <= due else "breached"
    else:
        state = "running" if now <= due else "running_breached"
    result.update(
        due=due,
        state=state,
        margin=target - counted,
        near_breach=state == "running" and counted >= share * target,
    )
    return result


def evaluate_ticket(
    ticket: ReferenceTicket,
    pauses: Sequence[ReferencePause],
    policies: Mapping[int, ReferencePolicy],
    now: int,
) -> dict[str, object]:
    """All output columns of ``evaluate_tickets`` for one ticket, the slow way."""
    names = ["target", "counted", "due", "state", "margin", "near_breach"]
    row: dict[str, object] = {"ticket_id": ticket.ticket_id}
    if ticket.policy_id is None:
        for prefix in ("first_response", "resolution"):
            for name in names:
                row[f"{prefix}_{name}"] = None
        row["paused"] = None
        return row
    policy = policies[ticket.policy_id]
    calendar = ReferenceCalendar(policy.calendar)
    mine = [p for p in pauses if p.ticket_id == ticket.ticket_id]
    spans = [(p.start, now if p.end is None else p.end) for p in mine]
    resolved_periods = [p.start for p in mine if p.kind == "resolved"]
    candidates = [
        t
        for t in (ticket.first_response_at, ticket.resolved_at, *resolved_periods)
        if t is not None
    ]
    fr_event = min(candidates) if candidates else None

    def target(targets: Mapping[int, int]) -> int | None:
        return None if ticket.priority is None else targets.get(ticket.priority)

    fr = evaluate_clock(
        calendar,
        ticket.created_at,
        now if fr_event is None else fr_event,
        fr_event is not None,
        spans if policy.pause_first_response else [],
        target(policy.first_response_targets),
        now,
        policy.near_breach_share,
    )
    res = evaluate_clock(
        calendar,
        ticket.created_at,
        now if ticket.resolved_at is None else ticket.resolved_at,
        ticket.resolved_at is not None,
        spans,
        target(policy.resolution_targets),
        now,
        policy.near_breach_share,
    )
    for prefix, clock in (("first_response", fr), ("resolution", res)):
        for name in names:
            row[f"{prefix}_{name}"] = clock[name]
    row["paused"] = res["paused"]
    return row


def all_transitions(zone: str, first_year: int, last_year: int) -> list[int]:
    """Instants of the offset changes of a zone in a range of years."""
    return [
        instant
        for year in range(first_year, last_year + 1)
        for instant, _ in _year_transitions(zone, year)
    ]


def local_datetime(zone: str, instant: int) -> datetime:
    return from_epoch(instant).astimezone(ZoneInfo(zone))


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch seconds of a local wall time (first occurrence; skipped times move forward)."""
    return wall_edge(zone, date(year, month, day), hour * 3600 + minute * 60)


__all__ = [
    "GOLDEN",
    "CalendarSpec",
    "ReferenceCalendar",
    "ReferencePause",
    "ReferencePolicy",
    "ReferenceTicket",
    "all_transitions",
    "at",
    "evaluate_ticket",
    "from_epoch",
    "load_golden_calendars",
    "local_datetime",
    "local_instant",
    "parse_duration",
    "to_epoch",
    "wall_edge",
]


# -- golden tables ------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_duration(text: str) -> int:
    """Seconds of "1d2h30m15s"-style text (each part optional, at least one present)."""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"bad duration {text!r}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _windows(texts: Sequence[str]) -> list[Window]:
    pairs = [text.split("-") for text in texts]
    return [(opening, closing) for opening, closing in pairs]


def load_golden_calendars() -> dict[str, CalendarSpec]:
    """The named calendars of golden/calendars.toml as specs."""
    with (GOLDEN / "calendars.toml").open("rb") as handle:
        table = tomllib.load(handle)
    specs: dict[str, CalendarSpec] = {}
    for name, entry in table.items():
        weekly: dict[int, list[Window]] = {}
        if "every_day" in entry:
            weekly = {day: _windows(entry["every_day"]) for day in range(7)}
        if "weekdays" in entry:
            weekly = {day: _windows(entry["weekdays"]) for day in range(5)}
        for key, day in _WEEKDAYS.items():
            if key in entry:
                weekly[day] = _windows(entry[key])
        holiday_source = entry.get("holidays")
        specs[name] = CalendarSpec(
            timezone=entry["timezone"],
            weekly=weekly,
            holidays=None if holiday_source is None else (holiday_source[0], holiday_source[1]),
            holiday_categories=tuple(entry.get("categories", ("public",))),
            closed_days=tuple(entry.get("closed_days", ())),
            partial_days={
                date.fromisoformat(str(day)): _windows(windows)
                for day, windows in entry.get("partial_days", {}).items()
            },
        )
    return specs


def local_instant(zone: str, text: str) -> datetime:
    """An aware datetime from "YYYY-MM-DD HH:MM[:SS][+HH:MM]" in a zone's wall-clock time.

    Without an offset the wall time must be unambiguous: golden cases spell out the offset of a
    time the clock shows twice, and never name a time the clock skips."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        return parsed
    tz = ZoneInfo(zone)
    earlier = parsed.replace(tzinfo=tz)
    later = parsed.replace(tzinfo=tz, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        raise ValueError(f"{text} is ambiguous or skipped in {zone}; write its UTC offset")
    return earlier


# -- hypothesis: settings and strategies --------------------------------------------------------
#
# Profiles: "sla-ci" (default) keeps each property file within about a minute on two cores;
# "sla-thorough" (SOLIDGROUND_SLA_HYPOTHESIS=thorough) runs twenty times the examples for a
# deliberate search. Both have no deadline: the reference is slow by design.

settings.register_profile(
    "sla-ci",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    print_blob=True,
)
settings.register_profile(
    "sla-thorough",
    parent=settings.get_profile("sla-ci"),
    max_examples=2000,
)
SLA_PROFILE = settings.get_profile(
    "sla-thorough" if os.environ.get("SOLIDGROUND_SLA_HYPOTHESIS") == "thorough" else "sla-ci"
)


def examples(share: float) -> settings:
    """Settings for one property: ``share`` times the profile's number of examples."""
    return settings(SLA_PROFILE, max_examples=max(10, int(SLA_PROFILE.max_examples * share)))


# Zones with the awkward cases: DST at midnight (Havana, Santiago, Beirut, Sao Paulo until 2019),
# half-hour DST (Lord Howe), odd offsets (Kathmandu, St Johns, Chatham), a skipped day (Apia,
# 30 December 2011), offsets that change for Ramadan (Casablanca), negative DST in the tz
# database (Dublin), and DST abolished (Tehran 2022, Sao Paulo 2019).
ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Havana",
    "America/Santiago",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "Asia/Beirut",
    "Asia/Tehran",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Africa/Casablanca",
)
FIRST_YEAR, LAST_YEAR = 2009, 2028
HOLIDAY_SOURCES: tuple[tuple[tuple[str, str | None] | None, tuple[str, ...]], ...] = (
    (None, ("public",)),
    (("DE", "BY"), ("public",)),
    (("DE", "BY"), ("public", "catholic")),
    (("DE", "Augsburg"), ("public",)),
    (("DE", "BE"), ("public",)),
    (("US", None), ("public",)),
    (("GB", "ENG"), ("public",)),
    (("CL", None), ("public",)),
)
# Wall-clock times where DST transitions happen, plus the ends of the day.
_SPECIAL_CLOCKS = [m * 60 for m in (0, 30, 60, 90, 120, 150, 180, 210, 240, 1380, 1410)] + [DAY]
_clock = st.one_of(
    st.sampled_from(_SPECIAL_CLOCKS),
    st.integers(0, 96).map(lambda q: q * 900),
    st.integers(0, DAY),
)


def format_clock(seconds: int) -> str:
    if seconds == DAY:
        return "24:00"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


@st.composite
def _day_windows(draw: st.DrawFn, max_windows: int = 3) -> list[tuple[int, int]]:
    count = draw(st.integers(0, max_windows))
    points = sorted(set(draw(st.lists(_clock, min_size=2 * count, max_size=2 * count))))
    if len(points) % 2:
        points = points[:-1]
    return [(points[i], points[i + 1]) for i in range(0, len(points), 2)]


@st.composite
def weekly_windows(draw: st.DrawFn) -> dict[int, list[Window]]:
    """Random weekly windows: several per day, overnight windows, 24x7 and office hours."""
    style = draw(st.sampled_from(["random", "random", "random", "office", "always", "night"]))
    if style == "always":
        return {day: [("00:00", "24:00")] for day in range(7)}
    if style == "office":
        return {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in range(5)}
    if style == "night":
        opening = draw(st.sampled_from([79200, 82800, 84600, 3600]))
        closing = draw(st.sampled_from([7200, 10800, 21600, 3600 * 2 + 1800]))
        if closing == opening:
            closing += 900
        return {day: [(format_clock(opening), format_clock(closing))] for day in range(7)}
    days = [draw(_day_windows()) for _ in range(7)]
    spill = [0] * 7  # how far the previous day's overnight window reaches into each day
    # Optionally give a day an overnight window that ends before the next day's first opening.
    for day in range(7):
        if not draw(st.booleans()):
            continue
        last_close = max(days[day][-1][1] if days[day] else 0, spill[day])
        nxt = days[(day + 1) % 7]
        next_open = nxt[0][0] if nxt else DAY
        if last_close >= DAY - 1 or next_open < 1:
            continue
        opening = draw(st.integers(last_close, DAY - 1))
        if min(next_open, opening) < 1:
            continue
        closing = draw(st.integers(1, min(next_open, opening)))
        if closing == opening:
            continue
        days[day].append((opening, closing))
        spill[(day + 1) % 7] = closing
    return {
        day: [(format_clock(o), format_clock(c)) for o, c in windows]
        for day, windows in enumerate(days)
        if windows
    }


@st.composite
def anchors(draw: st.DrawFn, zone: str) -> int:
    """An instant to build a case around: usually a DST transition of the zone."""
    transitions = all_transitions(zone, FIRST_YEAR, LAST_YEAR)
    if transitions and draw(st.integers(0, 3)) > 0:
        return draw(st.sampled_from(transitions))
    lo = to_epoch(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC))
    hi = to_epoch(datetime(LAST_YEAR, 12, 31, tzinfo=UTC))
    return draw(st.integers(lo, hi))


@st.composite
def calendar_specs(draw: st.DrawFn, zone: str, anchor: int) -> CalendarSpec:
    """A random calendar whose closed and partial days sit near the anchor."""
    holiday_source, categories = draw(st.sampled_from(HOLIDAY_SOURCES))
    around = local_datetime(zone, anchor).date()
    near_days = st.integers(-4, 4).map(lambda k: around + timedelta(days=k))
    closed = draw(st.lists(near_days, max_size=2, unique=True))
    partial_dates = draw(st.lists(near_days, max_size=2, unique=True).map(set))
    partial = {
        day: [(format_clock(o), format_clock(c)) for o, c in draw(_day_windows(2))]
        for day in sorted(partial_dates - set(closed))
    }
    return CalendarSpec(
        timezone=zone,
        weekly=draw(weekly_windows()),
        holidays=holiday_source,
        holiday_categories=categories,
        closed_days=tuple(closed),
        partial_days=partial,
    )


def window_edges(spec: CalendarSpec) -> list[int]:
    """Every wall-clock edge (seconds after midnight) the calendar uses."""
    edges = {0}
    for windows in (*spec.weekly.values(), *spec.partial_days.values()):
        for opening, closing in windows:
            edges.add(parse_clock(opening))
            edges.add(parse_clock(closing) % DAY)
    return sorted(edges)


@st.composite
def instants_near(draw: st.DrawFn, spec: CalendarSpec, anchor: int) -> int:
    """An instant near the anchor: a few seconds around it, on or next to a window edge of a
    nearby day, or anywhere within a few days."""
    how = draw(st.sampled_from(["edge", "edge", "offset", "spread"]))
    if how == "offset":
        step = draw(st.sampled_from([-86400, -7200, -3600, -1800, -1, 0, 1, 1800, 3600, 7200]))
        return anchor + step
    if how == "spread":
        return anchor + draw(st.integers(-4 * DAY, 4 * DAY))
    day = local_datetime(spec.timezone, anchor).date() + timedelta(days=draw(st.integers(-2, 2)))
    edge = draw(st.sampled_from(window_edges(spec)))
    return wall_edge(spec.timezone, day, edge) + draw(st.sampled_from([-60, -1, 0, 0, 1, 60]))


@st.composite
def calendar_cases(draw: st.DrawFn) -> tuple[CalendarSpec, int]:
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(anchors(zone))
    return draw(calendar_specs(zone, anchor)), anchor


# -- comparing engine frames with the reference ---------------------------------------------------

_CLOCK_COLUMNS = {
    "target": "target_seconds",
    "counted": "business_seconds",
    "due": "due",
    "state": "state",
    "margin": "margin_seconds",
    "near_breach": "near_breach",
}


def _epoch_or_none(value: object) -> object:
    return to_epoch(value) if isinstance(value, datetime) else value


def engine_row_in_reference_terms(row: Mapping[str, object]) -> dict[str, object]:
    """One row of ``evaluate_tickets`` output, keyed and typed like ``evaluate_ticket``."""
    converted: dict[str, object] = {"ticket_id": row["ticket_id"]}
    for prefix in ("first_response", "resolution"):
        for name, column in _CLOCK_COLUMNS.items():
            converted[f"{prefix}_{name}"] = _epoch_or_none(row[f"{prefix}_{column}"])
    converted["paused"] = row["paused_business_seconds"]
    return converted


def reference_tickets(frame: object) -> list[ReferenceTicket]:
    rows = frame.iter_rows(named=True)  # type: ignore[attr-defined]
    return [
        ReferenceTicket(
            ticket_id=row["ticket_id"],
            policy_id=row["policy_id"],
            priority=row["priority"],
            created_at=to_epoch(row["created_at"]),
            first_response_at=_epoch_or_none(row["first_response_at"]),  # type: ignore[arg-type]
            resolved_at=_epoch_or_none(row["resolved_at"]),  # type: ignore[arg-type]
        )
        for row in rows
    ]


def reference_pauses(frame: object) -> list[ReferencePause]:
    rows = frame.iter_rows(named=True)  # type: ignore[attr-defined]
    return [
        ReferencePause(
            ticket_id=row["ticket_id"],
            start=to_epoch(row["start"]),
            end=_epoch_or_none(row["end"]),  # type: ignore[arg-type]
            kind=row["kind"],
        )
        for row in rows
    ]
