"""The demo provider: a deterministic, seeded generator of a plausible German MSP.

Pure generation, no Django: ``generate()`` returns one Polars frame per domain table, with the
database column names, local ids starting at 1 and foreign keys pointing at those local ids
(``load.py`` shifts them past the store's current ids). Everything that grows with the number
of tickets is vectorised with NumPy; Python loops run per customer at most.

Five archetypes are planted with known parameters (``DemoData.ground_truth``):

* solid: reliable service, satisfied, profitable (margin about 40-50%).
* service_trap: enthusiastic, many contacts and special requests, goodwill hours growing every
  quarter (about 5% to 30%+ of hours), margin falling.
* at_risk: SLA breaches well above the others, unhappy answers, complaints, and most of them
  cancel near the end of the period.
* quiet: few tickets and no survey answers.
* unprofitable: an underpriced flat fee (negative margin) without the trap's signals.

Timestamps are UTC. Ticket timings are drawn as business durations relative to the SLA targets
and placed with the SLA engine's own calendar, so the analysis recomputes the same verdicts
from the status history.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from solidground.demo import texts
from solidground.engine.calendar import BusinessCalendar as EngineCalendar
from solidground.engine.periods import add_months, hhmm

Arr = npt.NDArray[Any]

TIMEZONE = "Europe/Berlin"
_ZONE = ZoneInfo(TIMEZONE)
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

# Ticket statuses in the order a ticket's history can run through them (slots below).
NEW, OPEN, IN_PROGRESS, WAITING, RESOLVED, CLOSED = (
    "new",
    "open",
    "in_progress",
    "waiting_customer",
    "resolved",
    "closed",
)
CHANNELS: tuple[str, ...] = ("email", "phone", "portal", "chat", "monitoring", "onsite")

ProgressCallback = Callable[[str], None]


# --------------------------------------------------------------------------------------------
# Results


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


@dataclass
class DemoData:
    """Everything the generator produced, ready for ``load.load_demo``."""

    seed: int
    customers: int
    months: int
    start: date  # first day of the first month
    end: date  # first day of the last month
    period_end: datetime  # first instant after the period (UTC): "now" for the demo store
    # Keyed by model label ("customers.customer"), in an order that satisfies foreign keys.
    frames: dict[str, pl.DataFrame]
    ground_truth: pl.DataFrame
    calendars: tuple[CalendarSpec, ...]
    # Per ticket (aligned with frames["service.ticket"]): planted ground truth for tests.
    ticket_truth: pl.DataFrame = field(repr=False)

    def counts(self) -> dict[str, int]:
        return {label: frame.height for label, frame in self.frames.items()}


# --------------------------------------------------------------------------------------------
# Small helpers


def _local_to_utc_seconds(local_naive: Arr) -> Arr:
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


def _utc_to_local_month(utc_seconds: Arr, start: date) -> Arr:
    """Index of the Berlin-local month of each instant, counted from ``start``."""
    local = (
        pl.from_epoch(pl.Series(utc_seconds.astype(np.int64)), time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(TIMEZONE)
    )
    index = local.dt.year().cast(pl.Int64) * 12 + local.dt.month().cast(pl.Int64) - 1
    return index.to_numpy() - (start.year * 12 + start.month - 1)


def _naive_seconds(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC)).timestamp())


def _local_midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=_ZONE).astimezone(UTC)


def _utc_series(seconds: Arr, valid: Arr | None = None) -> pl.Series:
    series = pl.from_epoch(pl.Series(seconds.astype(np.int64)), time_unit="s").dt.replace_time_zone(
        "UTC"
    )
    return _masked(series, valid)


def _date_series(days: Arr, valid: Arr | None = None) -> pl.Series:
    """Days since 1970-01-01 to a Date series."""
    series = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return _masked(series, valid)


def _masked(series: pl.Series, valid: Arr | None) -> pl.Series:
    if valid is None:
        return series
    return pl.select(pl.when(pl.Series(valid.astype(bool))).then(series)).to_series()


def _external_ids(prefix: str, count: int, width: int) -> pl.Series:
    return pl.select(
        pl.lit(prefix) + pl.int_range(1, count + 1, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    ).to_series()


def _ids(count: int) -> pl.Series:
    return pl.Series("id", np.arange(1, count + 1, dtype=np.int64))


def _choice(rng: np.random.Generator, probabilities: Arr, size: int) -> Arr:
    """Vectorised categorical draw with one probability row per element (or one shared row)."""
    cumulative = np.cumsum(probabilities, axis=-1)
    cumulative /= cumulative[..., -1:]
    draws = rng.random(size)
    if cumulative.ndim == 1:
        return np.searchsorted(cumulative, draws, side="right").clip(0, cumulative.size - 1)
    return (draws[:, None] >= cumulative).sum(axis=1).clip(0, cumulative.shape[1] - 1)


def _round5(minutes: Arr) -> Arr:
    return (np.maximum(5, np.round(minutes / 5.0) * 5)).astype(np.int64)


def _slug(text: str) -> str:
    plain = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40] or "kunde"


def _archetype_counts(customers: int) -> Arr:
    """Largest-remainder split of the archetype shares; every archetype present from 5 up."""
    raw = np.array(ARCHETYPE_SHARES) * customers
    counts = np.floor(raw).astype(np.int64)
    remainder = customers - int(counts.sum())
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:remainder]] += 1
    if customers >= len(ARCHETYPES):
        for archetype in range(1, len(ARCHETYPES)):
            if counts[archetype] == 0:
                counts[archetype] += 1
                counts[SOLID] -= 1
    return counts


# --------------------------------------------------------------------------------------------
# The generator


@dataclass
class _Timeline:
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


def _timeline(start: date, months: int) -> _Timeline:
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
    return _Timeline(
        start=start,
        months=months,
        month_starts=month_starts,
        month_local_naive=np.array([_naive_seconds(d) for d in month_starts], dtype=np.int64),
        month_days=month_days,
        quarter_of_month=(quarter_keys - quarter_keys[0]).astype(np.int64),
        quarters=int(quarter_keys[-1] - quarter_keys[0] + 1),
        period_start_utc=int(_local_midnight_utc(month_starts[0]).timestamp()),
        period_end_utc=int(_local_midnight_utc(month_starts[months]).timestamp()),
        weekday_days=np.array(weekday_days, dtype=np.int64),
        weekday_first=np.array(weekday_first, dtype=np.int64),
        weekday_count=np.array(weekday_count, dtype=np.int64),
    )


def _sample_local_times(
    rng: np.random.Generator, timeline: _Timeline, month: Arr, after_hours: Arr
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
        late_hours[_choice(rng, late_weights, size)],
        business_hours[_choice(rng, business_weights, size)],
    )
    day = np.where(after_hours, any_day, business_day)
    local = (
        timeline.month_local_naive[month]
        + day * 86_400
        + hour * 3_600
        + rng.integers(0, 3_600, size)
    )
    return _local_to_utc_seconds(local)


def generate(
    *,
    customers: int,
    months: int,
    seed: int,
    end: date,
    loaded_cost_per_hour: float = 62.0,
    progress: ProgressCallback | None = None,
    renewal_effects: bool = True,
) -> DemoData:
    """Generate the demo provider: ``customers`` customers over ``months`` months up to ``end``.

    ``end`` is any day of the last month. The same arguments always give identical frames.
    ``loaded_cost_per_hour`` (settings.LOADED_COST_PER_HOUR) prices each customer's flat fee so
    the planted margins come out as intended.
    """
    if customers < 1 or months < 1:
        raise ValueError("The demo needs at least one customer and one month.")
    say = progress or (lambda _stage: None)
    rng = np.random.default_rng(seed)
    end_month = date(end.year, end.month, 1)
    timeline = _timeline(add_months(end_month, -(months - 1)), months)

    say("customers and contracts")
    world = _World(rng, customers, timeline, loaded_cost_per_hour)
    # Without renewal effects, cancellations, expansions and downgrades are as frequent as in
    # the planted world but independent of the customer's service (the thesis test's null).
    world.renewal_effects = renewal_effects
    world.customers_and_contacts()
    world.calendars_and_policies()
    say("tickets")
    world.tickets()
    say("ticket timings (SLA calendar)")
    world.ticket_timings()
    say("status histories")
    world.status_changes()
    say("time entries")
    world.time_entries()
    say("prices, revenue and contract events")
    world.prices_revenue_and_events()
    say("interactions, surveys and highlights")
    world.interactions()
    world.surveys()
    world.highlights()
    return world.result(seed=seed, end_month=end_month)


class _World:
    """The generation state, built stage by stage (one method per stage, in order)."""

    def __init__(
        self,
        rng: np.random.Generator,
        customers: int,
        timeline: _Timeline,
        loaded_cost_per_hour: float,
    ) -> None:
        self.rng = rng
        self.n = customers
        self.t = timeline
        self.loaded_cost_cents_per_minute = loaded_cost_per_hour * 100.0 / 60.0
        self.frames: dict[str, pl.DataFrame] = {}
        self.renewal_effects = True  # see generate()

    # ---------------------------------------------------------------- customers and contracts

    def customers_and_contacts(self) -> None:
        rng, n, t = self.rng, self.n, self.t
        counts = _archetype_counts(n)
        self.arch = rng.permutation(np.repeat(np.arange(len(ARCHETYPES)), counts))
        arch = self.arch
        is_trap, is_risk, is_quiet = arch == TRAP, arch == AT_RISK, arch == QUIET
        is_unprofitable = arch == UNPROFITABLE

        state_codes = [code for code, _, _ in texts.STATES]
        state_weights = np.array([weight for _, weight, _ in texts.STATES])
        self.state = _choice(rng, state_weights, n)
        self.state_codes = state_codes

        seats = np.clip(np.round(rng.lognormal(np.log(20), 0.75, n)), 4, 400).astype(np.int64)
        # The trap needs volume to show a trend; a three-seat practice cannot drown anyone.
        seats = np.where(is_trap, np.maximum(seats, 15), seats)
        self.seats = seats
        self.endpoints = (
            seats
            + np.ceil(seats * rng.uniform(0.1, 0.6, n)).astype(np.int64)
            + rng.integers(1, 5, n)
        )

        # Contract kind: the trap and the underpriced are flat-fee customers by definition.
        kind_probabilities = np.tile([0.65, 0.20, 0.15], (n, 1))
        kind_probabilities[is_trap] = [0.9, 0.1, 0.0]
        kind_probabilities[is_unprofitable] = [1.0, 0.0, 0.0]
        self.kind = _choice(rng, kind_probabilities, n)
        level_probabilities = np.tile([0.2, 0.6, 0.2], (n, 1))
        level_probabilities[self.kind == BLOCK] = [0.0, 0.6, 0.4]
        level_probabilities[self.kind == TIME_MATERIAL] = [0.0, 0.2, 0.8]
        self.level = _choice(rng, level_probabilities, n)
        self.hourly_rate = rng.choice(np.array([95, 105, 110, 115, 120, 125, 135]), n) * 100

        # Most customers are older than the period; a few join in its first half.
        joins_late = (rng.random(n) < 0.08) & ~is_trap & ~is_risk & np.asarray(t.months >= 6)
        self.join = np.where(joins_late, rng.integers(1, max(2, t.months // 2), n), 0)
        months_before = rng.integers(1, 121, n)  # customer for up to ten years
        self.since = [
            t.month_starts[int(self.join[c])]
            if joins_late[c]
            else add_months(t.start, -int(months_before[c]))
            for c in range(n)
        ]

        # Cancellations near the end of the period: seven in ten at-risk customers (exactly,
        # rounded) and a few others give notice.
        possible = t.months >= 6
        risk_ids = np.flatnonzero(is_risk)
        leaving = rng.permutation(risk_ids)[: round(0.7 * risk_ids.size)]
        self.cancels = ((rng.random(n) < 0.04) & ~is_risk) | np.isin(np.arange(n), leaving)
        if not self.renewal_effects:
            self.cancels = rng.random(n) < (leaving.size + 0.04 * (n - risk_ids.size)) / n
        self.cancels &= possible
        low = max(0, t.months - 9)
        notice_month = rng.integers(low, max(low + 1, t.months - 1), n)
        notice_month = np.maximum(notice_month, self.join + 3)
        self.cancels &= notice_month < t.months
        self.notice_month = np.minimum(notice_month, t.months - 1)
        self.notice_on: list[date | None] = []
        self.contract_end: list[date | None] = []
        for c in range(n):
            if not self.cancels[c]:
                self.notice_on.append(None)
                self.contract_end.append(None)
                continue
            first = t.month_starts[int(self.notice_month[c])]
            notice = first + timedelta(days=int(rng.integers(0, 25)))
            self.notice_on.append(notice)
            if self.kind[c] == TIME_MATERIAL:
                self.contract_end.append(notice + timedelta(days=30))
                continue
            # A term contract ends on the day before the first anniversary that still
            # respects the 90-day notice period.
            anniversary = date(notice.year, self.since[c].month, 1)
            while anniversary < notice + timedelta(days=90):
                anniversary = add_months(anniversary, 12)
            self.contract_end.append(anniversary - timedelta(days=1))

        month_index = np.arange(t.months)
        end_month_index = np.array(
            [
                t.months
                if end is None
                else (end.year * 12 + end.month - 1) - (t.start.year * 12 + t.start.month - 1)
                for end in self.contract_end
            ]
        )
        # active[c, m]: the customer had a contract running in month m.
        self.active = (month_index[None, :] >= self.join[:, None]) & (
            month_index[None, :] <= end_month_index[:, None]
        )

        self._planted_parameters(is_trap, is_risk, is_quiet, is_unprofitable)
        self._customer_frames()

    def _planted_parameters(
        self, is_trap: Arr, is_risk: Arr, is_quiet: Arr, is_unprofitable: Arr
    ) -> None:
        rng, n, t = self.rng, self.n, self.t
        # Tickets per seat and month, before the archetype's multiplier.
        rate = rng.lognormal(np.log(0.22), 0.25, n)
        # The trap stands well above the portfolio's median from the start, whatever its draw.
        rate = np.where(is_trap, np.maximum(rate, 0.2), rate)
        multiplier = np.select(
            [is_trap, is_risk, is_quiet, is_unprofitable],
            [
                rng.uniform(1.8, 2.3, n),
                rng.uniform(1.2, 1.4, n),
                rng.uniform(0.1, 0.2, n),
                rng.uniform(1.3, 1.6, n),
            ],
            1.0,
        )
        self.ticket_rate = rate * multiplier
        # Quarter-on-quarter growth of ticket volume: the trap's contact intensity keeps rising.
        self.growth = np.where(is_trap, rng.uniform(0.08, 0.14, n), rng.normal(0.0, 0.01, n))

        # Share of out-of-scope requests, first month and last month (linear in between).
        # The underpriced customer's work is nearly all "included", so extras cannot rescue it.
        self.oos_start = np.select(
            [is_trap, is_unprofitable],
            [rng.uniform(0.25, 0.35, n), rng.uniform(0.04, 0.08, n)],
            rng.uniform(0.10, 0.20, n),
        )
        self.oos_end = np.where(is_trap, rng.uniform(0.55, 0.70, n), self.oos_start)
        # Goodwill hours as a share of all hours, per quarter: flat and low for most, rising
        # every quarter for the trap.
        self.goodwill_start = np.where(
            is_trap, rng.uniform(0.04, 0.07, n), rng.uniform(0.01, 0.05, n)
        )
        self.goodwill_end = np.where(is_trap, rng.uniform(0.30, 0.40, n), self.goodwill_start)
        quarters = max(1, t.quarters - 1)
        share = np.arange(t.quarters) / quarters
        goodwill = self.goodwill_start[:, None] + np.outer(
            self.goodwill_end - self.goodwill_start, share
        )
        # Individual quarters wobble a little for everyone but the trap, whose rise must hold
        # every quarter.
        wobble = rng.normal(0.0, 0.006, (n, t.quarters)) * (~is_trap)[:, None]
        self.goodwill_target = np.clip(goodwill + wobble, 0.0, 0.6)

        self.special_oos = np.where(is_trap, 0.8, 0.2)
        self.special_in_scope = np.where(is_trap, 0.1, 0.01)
        self.breach_first_response = np.where(
            is_risk, rng.uniform(0.18, 0.30, n), rng.uniform(0.02, 0.05, n)
        )
        self.breach_resolution = np.where(
            is_risk, rng.uniform(0.20, 0.35, n), rng.uniform(0.02, 0.06, n)
        )
        self.reopen_rate = np.where(
            is_risk, rng.uniform(0.07, 0.11, n), rng.uniform(0.025, 0.045, n)
        )
        self.first_contact_rate = np.where(
            is_risk, rng.uniform(0.45, 0.55, n), rng.uniform(0.62, 0.72, n)
        )
        self.escalation_rate = np.where(is_risk, rng.uniform(0.06, 0.10, n), 0.01)
        self.complaint_rate = np.where(is_risk, rng.uniform(0.04, 0.08, n), 0.004)
        self.pause_rate = np.where(is_risk, 0.25, 0.18)
        # About 15% of CSAT invitations come back overall; fans answer more often.
        self.response_rate = np.select(
            [is_quiet, is_trap, is_risk],
            [np.zeros(n), rng.uniform(0.16, 0.22, n), rng.uniform(0.15, 0.22, n)],
            rng.uniform(0.10, 0.15, n),
        )
        self.csat_positive = np.select(
            [is_trap, is_risk],
            [rng.uniform(0.97, 1.0, n), rng.uniform(0.60, 0.75, n)],
            rng.uniform(0.95, 0.99, n),
        )
        self.csat_negative = np.select(
            [is_trap, is_risk],
            [np.full(n, 0.003), rng.uniform(0.20, 0.30, n)],
            (1.0 - self.csat_positive) * 0.4,
        )
        self.top_box = np.where(is_trap, 0.9, 0.65)
        # NPS categories (promoter, passive, detractor).
        self.nps_mix = np.tile([0.45, 0.45, 0.10], (n, 1))
        self.nps_mix[is_trap] = [0.85, 0.13, 0.02]
        self.nps_mix[is_risk] = [0.10, 0.35, 0.55]
        self.target_margin = np.select(
            [is_trap, is_risk, is_quiet, is_unprofitable],
            [
                rng.uniform(0.40, 0.48, n),
                rng.uniform(0.28, 0.40, n),
                rng.uniform(0.55, 0.70, n),
                rng.uniform(-0.40, -0.15, n),
            ],
            rng.uniform(0.40, 0.50, n),
        )
        self.interaction_rate = rng.uniform(0.04, 0.08, n) * np.select(
            [is_trap, is_risk, is_quiet], [rng.uniform(3.5, 5.0, n), 1.5, 0.3], 1.0
        )
        # The underpriced customer's old, tangled environment makes every request take longer.
        self.effort_factor = np.where(is_unprofitable, rng.uniform(1.6, 2.2, n), 1.0)
        self.has_licences = rng.random(n) < np.where(self.kind == TIME_MATERIAL, 0.4, 0.8)
        self.price_index = np.where(is_trap, 0.0, rng.uniform(0.0, 0.04, n))

    def _customer_frames(self) -> None:
        rng, n = self.rng, self.n
        names: list[str] = []
        seen: set[str] = set()
        for c in range(n):
            state = self.state_codes[int(self.state[c])]
            cities = texts.CITIES_BY_STATE[state]
            for attempt in range(50):
                pattern = texts.COMPANY_PATTERNS[int(rng.integers(len(texts.COMPANY_PATTERNS)))]
                surname, other = rng.choice(len(texts.SURNAMES), 2, replace=False)
                name = pattern.format(
                    s=texts.SURNAMES[int(surname)],
                    t=texts.SURNAMES[int(other)],
                    trade=texts.TRADES[int(rng.integers(len(texts.TRADES)))],
                    city=cities[int(rng.integers(len(cities)))],
                )
                if attempt >= 10:
                    # Thousands of customers exhaust the combinations; a place name is how
                    # real registers tell namesakes apart.
                    name = f"{name} ({cities[int(rng.integers(len(cities)))]}) {attempt - 9}"
                if name not in seen:
                    break
            seen.add(name)
            names.append(name)
        self.names = names

        status = np.where(self.cancels, "cancelled", "active")
        self.frames["customers.customer"] = pl.DataFrame(
            {
                "id": _ids(n),
                "name": names,
                "country": ["DE"] * n,
                "subdivision": [self.state_codes[int(s)] for s in self.state],
                "timezone": [TIMEZONE] * n,
                "seats": self.seats,
                "endpoints": self.endpoints,
                "status": status,
                "customer_since": pl.Series(self.since, dtype=pl.Date),
            }
        )
        self.customer_external_ids = _external_ids("C", n, 5)
        self.frames["customers.customerreference"] = pl.DataFrame(
            {
                "id": _ids(n),
                "customer_id": _ids(n),
                "source": [SOURCE] * n,
                "external_id": self.customer_external_ids,
            }
        )

        # Contacts: two to seven per customer, the first is the decision maker.
        contact_count = (2 + np.minimum(4, self.seats // 25) + rng.integers(0, 2, n)).astype(
            np.int64
        )
        self.contact_count = contact_count
        self.contact_first = np.concatenate([[0], np.cumsum(contact_count)[:-1]]).astype(np.int64)
        total = int(contact_count.sum())
        contact_customer = np.repeat(np.arange(n), contact_count)
        position = np.arange(total) - self.contact_first[contact_customer]
        first = rng.integers(len(texts.FIRST_NAMES), size=total)
        last = rng.integers(len(texts.SURNAMES), size=total)
        language = np.where(rng.random(total) < 0.12, "en", "de")
        self.contact_language = language
        domains = [_slug(name) + ".de" for name in names]
        contact_names = [
            f"{texts.FIRST_NAMES[int(f)]} {texts.SURNAMES[int(s)]}"
            for f, s in zip(first, last, strict=True)
        ]
        emails = [
            f"{_slug(texts.FIRST_NAMES[int(f)])}.{_slug(texts.SURNAMES[int(s)])}@{domains[int(c)]}"
            for f, s, c in zip(first, last, contact_customer, strict=True)
        ]
        roles = np.where(
            position == 0,
            np.array(texts.DECISION_MAKER_ROLES)[rng.integers(3, size=total)],
            np.array(texts.CONTACT_ROLES)[rng.integers(len(texts.CONTACT_ROLES), size=total)],
        )
        phones = [
            f"+49 {int(a)} {int(b)}"
            for a, b in zip(
                rng.integers(200, 999, total), rng.integers(100000, 9999999, total), strict=True
            )
        ]
        self.frames["customers.contact"] = pl.DataFrame(
            {
                "id": _ids(total),
                "source": [SOURCE] * total,
                "external_id": _external_ids("P", total, 6),
                "customer_id": contact_customer + 1,
                "name": contact_names,
                "email": emails,
                "phone": phones,
                "role": roles,
                "is_decision_maker": position == 0,
                "language": language,
            }
        )

        # Technicians: a pool growing with the portfolio; each customer has a team of three.
        combinations = len(texts.FIRST_NAMES) * len(texts.SURNAMES)
        technician_count = min(max(6, math.ceil(n / 12)), combinations)
        picked = rng.choice(combinations, technician_count, replace=False)
        self.technicians = pl.Series(
            [
                f"{texts.FIRST_NAMES[int(p) // len(texts.SURNAMES)]} "
                f"{texts.SURNAMES[int(p) % len(texts.SURNAMES)]}"
                for p in picked
            ]
        )
        self.teams = rng.integers(technician_count, size=(n, 3))

    # ---------------------------------------------------------------- calendars and policies

    def calendars_and_policies(self) -> None:
        t = self.t
        years = range(t.month_starts[0].year, t.month_starts[-1].year + 2)
        used_states = sorted({self.state_codes[int(s)] for s in self.state})
        specs: list[CalendarSpec] = [CalendarSpec(1, "Mo-So 00-24", "", None, ())]
        policy_names = [LEVELS[PREMIUM][0]]
        policy_calendar = [1]
        policy_level = [PREMIUM]
        # policy_of[level][state] -> policy id (1-based)
        self.policy_of = np.zeros((len(LEVELS), len(self.state_codes)), dtype=np.int64)
        self.policy_of[PREMIUM, :] = 1
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
                policy_names.append(f"{name} ({state})")
                policy_calendar.append(spec.id)
                policy_level.append(level)
                self.policy_of[level, self.state_codes.index(state)] = len(policy_names)
        self.calendar_specs = tuple(specs)
        self.policy_calendar = np.array([0, *policy_calendar], dtype=np.int64)  # by policy id
        policies = len(policy_names)

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
        self.frames["contracts.businesscalendar"] = pl.DataFrame(
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
        )
        self.frames["contracts.calendarwindow"] = pl.DataFrame(
            {
                "id": _ids(len(windows)),
                "calendar_id": [w[0] for w in windows],
                "weekday": [w[1] for w in windows],
                "start_minute": [w[2] for w in windows],
                "end_minute": [w[3] for w in windows],
            },
            schema_overrides={"calendar_id": pl.Int64},
        )
        opens_of = {spec.id: spec.window[0] if spec.window else 0 for spec in specs}
        self.frames["contracts.calendarspecialday"] = pl.DataFrame(
            {
                "id": _ids(len(special)),
                "calendar_id": pl.Series([s[0] for s in special], dtype=pl.Int64),
                "day": pl.Series([s[1] for s in special], dtype=pl.Date),
                "windows": [json.dumps([[hhmm(opens_of[s[0]]), "12:00"]]) for s in special],
                "note": [s[2] for s in special],
            }
        )
        self.frames["contracts.slapolicy"] = pl.DataFrame(
            {
                "id": _ids(policies),
                "name": policy_names,
                "calendar_id": pl.Series(policy_calendar, dtype=pl.Int64),
                "pausing_statuses": ['["waiting_customer"]'] * policies,
                "pause_first_response": [False] * policies,
                "near_breach_share": [75] * policies,  # hundredths, like every decimal
            }
        )
        targets = [
            (policy + 1, priority + 1, *LEVELS[policy_level[policy]][2][priority])
            for policy in range(policies)
            for priority in range(4)
        ]
        self.frames["contracts.slatarget"] = pl.DataFrame(
            {
                "id": _ids(len(targets)),
                "policy_id": pl.Series([row[0] for row in targets], dtype=pl.Int64),
                "priority": [row[1] for row in targets],
                "first_response_minutes": [row[2] for row in targets],
                "resolution_minutes": [row[3] for row in targets],
            }
        )
        # Targets by policy id (row 0 unused) and priority index, in seconds.
        self.target_first_response = np.zeros((policies + 1, 4), dtype=np.int64)
        self.target_resolution = np.zeros((policies + 1, 4), dtype=np.int64)
        for policy, priority, first_response, resolution in targets:
            self.target_first_response[policy, priority - 1] = first_response * 60
            self.target_resolution[policy, priority - 1] = resolution * 60
        self.customer_policy = self.policy_of[self.level, self.state]

    # ---------------------------------------------------------------- tickets

    def tickets(self) -> None:
        rng, n, t = self.rng, self.n, self.t
        month_index = np.arange(t.months)
        calendar_month = np.array([d.month for d in t.month_starts[: t.months]])
        season = np.select(
            [calendar_month == 1, calendar_month == 8, calendar_month == 12], [1.1, 0.85, 0.85], 1.0
        )
        trend = (1.0 + self.growth[:, None]) ** (month_index[None, :] / 3.0)
        noise = rng.gamma(20.0, 1.0 / 20.0, (n, t.months))
        expected = self.seats[:, None] * self.ticket_rate[:, None] * trend * season * noise
        counts = rng.poisson(expected * self.active)
        self.ticket_counts = counts
        cust = np.repeat(np.repeat(np.arange(n), t.months), counts.ravel())
        month = np.repeat(np.tile(month_index, n), counts.ravel())
        size = cust.size
        arch = self.arch[cust]
        is_trap, is_risk = arch == TRAP, arch == AT_RISK

        channel_p = np.tile([0.38, 0.27, 0.18, 0.05, 0.08, 0.04], (size, 1))
        channel_p[is_trap] = [0.30, 0.42, 0.08, 0.12, 0.04, 0.04]
        channel = _choice(rng, channel_p, size)
        after_hours = rng.random(size) < np.where(
            channel == CHANNELS.index("monitoring"), 0.3, 0.07
        )
        created = _sample_local_times(rng, t, month, after_hours)
        # Ticket ids grow with time per customer, as in a helpdesk export.
        order = np.lexsort((created, cust))
        cust, month, channel, created = cust[order], month[order], channel[order], created[order]
        arch = arch[order]
        is_trap, is_risk = arch == TRAP, arch == AT_RISK
        self.tcust, self.tmonth, self.N, self.created = cust, month, size, created

        priority_p = np.tile([0.03, 0.12, 0.55, 0.30], (size, 1))
        priority_p[is_risk] = [0.05, 0.15, 0.52, 0.28]
        self.priority = _choice(rng, priority_p, size)  # 0..3 = P1..P4

        contact = self.contact_first[cust] + np.floor(
            rng.random(size) * self.contact_count[cust]
        ).astype(np.int64)
        self.tcontact = contact
        language = self.contact_language[contact]
        self.tlanguage = language

        # Out of scope or not, then which catalogue item within that group.
        progress_in_period = month / max(1, t.months - 1)
        oos_p = (
            self.oos_start[cust] + (self.oos_end[cust] - self.oos_start[cust]) * progress_in_period
        )
        oos = rng.random(size) < oos_p
        in_scope_items = np.array([i for i, c in enumerate(texts.CATALOGUE) if c.in_scope])
        oos_items = np.array([i for i, c in enumerate(texts.CATALOGUE) if not c.in_scope])
        weights = np.array([c.weight for c in texts.CATALOGUE])
        template = np.where(
            oos,
            oos_items[_choice(rng, weights[oos_items], size)],
            in_scope_items[_choice(rng, weights[in_scope_items], size)],
        )
        self.template, self.oos = template, oos
        minutes = np.array([c.minutes for c in texts.CATALOGUE])[template]
        effort = (
            rng.lognormal(np.log(minutes), 0.5)
            * np.where(self.priority == 0, 1.5, 1.0)
            * self.effort_factor[cust]
        )
        self.special = rng.random(size) < np.where(
            oos, self.special_oos[cust], self.special_in_scope[cust]
        )
        self.effort = _round5(effort * np.where(self.special, 1.3, 1.0))
        self.escalated = rng.random(size) < self.escalation_rate[cust]
        self.complaint = rng.random(size) < self.complaint_rate[cust]
        self.reopened = rng.random(size) < self.reopen_rate[cust]
        first_contact = rng.random(size) < self.first_contact_rate[cust]
        touches = np.where(first_contact, 1, 1 + rng.geometric(0.55, size))
        self.touches = np.where(self.reopened, np.maximum(touches, 2) + 1, touches)
        self.channel = channel
        self._ticket_texts(rng, template, language)

    def _ticket_texts(self, rng: np.random.Generator, template: Arr, language: Arr) -> None:
        size = template.size
        is_en = language == "en"
        subjects: list[str] = []
        descriptions: list[str] = []
        subject_first = np.zeros((len(texts.CATALOGUE), 2), dtype=np.int64)
        subject_count = np.zeros_like(subject_first)
        description_first = np.zeros_like(subject_first)
        description_count = np.zeros_like(subject_first)
        for i, item in enumerate(texts.CATALOGUE):
            for lang, (subject_variants, description_variants) in enumerate(
                ((item.subjects_de, item.descriptions_de), (item.subjects_en, item.descriptions_en))
            ):
                subject_first[i, lang] = len(subjects)
                subject_count[i, lang] = len(subject_variants)
                subjects.extend(subject_variants)
                description_first[i, lang] = len(descriptions)
                description_count[i, lang] = len(description_variants)
                descriptions.extend(description_variants)
        lang_index = is_en.astype(np.int64)
        subject_index = subject_first[template, lang_index] + np.floor(
            rng.random(size) * subject_count[template, lang_index]
        ).astype(np.int64)
        description_index = description_first[template, lang_index] + np.floor(
            rng.random(size) * description_count[template, lang_index]
        ).astype(np.int64)
        department = rng.integers(len(texts.DEPARTMENTS_DE), size=size)
        with_department = rng.random(size) < 0.3
        closing = rng.integers(0, 4, size)
        closings = pl.Series(
            [
                "",
                " Danke!",
                " Viele Grüße",
                " Bitte um Rückruf.",
                "",
                " Thanks!",
                " Best regards",
                " Please call me back.",
            ]
        )
        frame = pl.DataFrame(
            {
                "closing": closings.gather(closing + lang_index * 4),
                "subject": pl.Series(subjects).gather(subject_index),
                "description": pl.Series(descriptions).gather(description_index),
                "dept": pl.Series([*texts.DEPARTMENTS_DE, *texts.DEPARTMENTS_EN]).gather(
                    department + lang_index * len(texts.DEPARTMENTS_DE)
                ),
                "with_dept": with_department,
                "en": is_en,
                "urgent": self.priority <= 1,
            }
        )
        frame = frame.with_columns(
            subject=pl.when(pl.col("with_dept"))
            .then(pl.col("subject") + " (" + pl.col("dept") + ")")
            .otherwise(pl.col("subject")),
            description=pl.col("description")
            + pl.when(pl.col("urgent"))
            .then(
                pl.when(pl.col("en"))
                .then(pl.lit(" Urgent, we cannot work."))
                .otherwise(pl.lit(" Dringend, wir können nicht arbeiten."))
            )
            .otherwise(pl.lit(""))
            + pl.col("closing"),
        )
        self.subject = frame["subject"]
        self.description = frame["description"]

    # ---------------------------------------------------------------- timings

    def ticket_timings(self) -> None:
        """Draw business durations against the SLA targets and place them on the calendar."""
        rng, size = self.rng, self.N
        cust = self.tcust
        policy = self.customer_policy[cust]
        target_fr = self.target_first_response[policy, self.priority]
        target_res = self.target_resolution[policy, self.priority]

        def ratio(breach_probability: Arr) -> tuple[Arr, Arr]:
            late = rng.random(size) < breach_probability
            met = 0.05 + 0.9 * rng.beta(2.0, 2.5, size)
            overrun = 1.03 + rng.exponential(0.7, size)
            return np.where(late, overrun, met), late

        fr_ratio, _ = ratio(self.breach_first_response[cust])
        res_ratio, _ = ratio(self.breach_resolution[cust])
        first_response = np.maximum(60, np.round(fr_ratio * target_fr)).astype(np.int64)
        resolution = np.maximum(
            first_response + 300, np.round(res_ratio * target_res).astype(np.int64)
        )
        work = resolution - first_response
        # Waiting for the customer: measured in business time, so the resolution instant moves
        # out by exactly the paused business seconds.
        pause1 = rng.random(size) < self.pause_rate[cust]
        pause2 = pause1 & (rng.random(size) < 0.25)
        pause_length = np.clip(rng.lognormal(np.log(4 * 3600), 0.9, (2, size)), 900, 45 * 3600)
        pause_length = np.round(pause_length).astype(np.int64)
        p1 = np.where(pause1, pause_length[0], 0)
        p2 = np.where(pause2, pause_length[1], 0)
        a1 = np.floor(rng.random(size) * work * 0.5).astype(np.int64) + 1
        a2 = a1 + np.floor(rng.random(size) * (work - a1) * 0.5).astype(np.int64) + 1
        reopen_gap = rng.integers(2 * 3600, 24 * 3600, size)
        reopen_work = rng.integers(1800, 4 * 3600, size)
        offsets = np.empty((size, 11), dtype=np.int64)
        offsets[:, 0] = first_response
        offsets[:, 1] = first_response + a1  # waiting starts
        offsets[:, 2] = offsets[:, 1] + p1  # work resumes
        offsets[:, 3] = offsets[:, 2] + (a2 - a1)  # second wait starts
        offsets[:, 4] = offsets[:, 3] + p2
        offsets[:, 5] = first_response + work + p1 + p2  # resolved
        offsets[:, 6] = offsets[:, 5] + reopen_gap  # reopened
        offsets[:, 7] = offsets[:, 6] + reopen_work  # resolved again
        # Time entries beyond the first one: spread over the active work.
        for k, share in enumerate((0.35, 0.6, 0.85)):
            offsets[:, 8 + k] = first_response + np.round(work * share).astype(np.int64) + p1

        placed = np.empty_like(offsets)
        calendar_of_ticket = self.policy_calendar[policy]
        for spec in self.calendar_specs:
            rows = np.flatnonzero(calendar_of_ticket == spec.id)
            if rows.size == 0:
                continue
            # The epoch-second form of add_business_seconds: the same placement without
            # converting millions of instants to datetime64 and back.
            starts = np.repeat(self.created[rows], offsets.shape[1])
            placed[rows] = (
                spec.engine()
                .add_business_seconds_epoch(starts, offsets[rows].ravel())
                .reshape(rows.size, -1)
            )
        self.placed = placed
        self.pause1, self.pause2 = pause1, pause2
        # The planted truth, in business seconds of the SLA clock (pauses excluded; a reopen's
        # extra work counts, the time while resolved does not).
        self.first_response_business = first_response
        self.resolution_business = resolution + np.where(self.reopened, reopen_work, 0)
        self.first_response_late = first_response > target_fr
        self.resolution_late = self.resolution_business > target_res
        self.paused_business = p1 + p2

    # ---------------------------------------------------------------- status histories

    def status_changes(self) -> None:
        rng, size, end = self.rng, self.N, self.t.period_end_utc
        p = self.placed
        final_resolution = np.where(self.reopened, p[:, 7], p[:, 5])
        closed = final_resolution + 3 * 86_400 + rng.integers(0, 6 * 3600, size)
        first_status = np.where(rng.random(size) < 0.3, OPEN, IN_PROGRESS)
        slot_times = np.column_stack(
            [
                self.created,
                p[:, 0],
                p[:, 1],
                p[:, 2],
                p[:, 3],
                p[:, 4],
                p[:, 5],
                p[:, 6],
                p[:, 7],
                closed,
            ]
        )
        wanted = np.column_stack(
            [
                np.ones(size, dtype=bool),
                np.ones(size, dtype=bool),
                self.pause1,
                self.pause1,
                self.pause2,
                self.pause2,
                np.ones(size, dtype=bool),
                self.reopened,
                self.reopened,
                np.ones(size, dtype=bool),
            ]
        )
        valid = wanted & (slot_times < end)
        statuses = np.array(
            [
                NEW,
                "?",
                WAITING,
                IN_PROGRESS,
                WAITING,
                IN_PROGRESS,
                RESOLVED,
                OPEN,
                RESOLVED,
                CLOSED,
            ],
            dtype=object,
        )
        status_matrix = np.broadcast_to(statuses, (size, statuses.size)).copy()
        status_matrix[:, 1] = first_status
        rows, slots = np.nonzero(valid)  # row-major: per ticket, in time order
        self.frames_status = pl.DataFrame(
            {
                "id": _ids(rows.size),
                "source": pl.Series([SOURCE]).gather(np.zeros(rows.size, dtype=np.int64)),
                "external_id": _external_ids("S", rows.size, 9),
                "ticket_id": rows.astype(np.int64) + 1,
                "changed_at": _utc_series(slot_times[rows, slots]),
                "status": pl.Series(status_matrix[rows, slots].astype(str)),
            }
        )
        last_slot = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
        self.final_status = status_matrix[np.arange(size), last_slot].astype(str)
        self.first_response_at = p[:, 0]
        self.first_response_valid = valid[:, 1]
        resolved_valid = np.where(self.reopened, valid[:, 8], valid[:, 6] & ~valid[:, 7])
        self.resolved_at = final_resolution
        self.resolved_valid = resolved_valid
        self.closed_at, self.closed_valid = closed, valid[:, 9]
        self.reopen_count = valid[:, 7].astype(np.int64)

    # ---------------------------------------------------------------- time entries

    def time_entries(self) -> None:
        rng, size, t = self.rng, self.N, self.t
        cust = self.tcust
        end = t.period_end_utc
        p = self.placed
        # Entries per ticket: one per agent touch (at most four), plus one after a reopen.
        regular = np.minimum(self.touches - self.reopened.astype(np.int64), 4).clip(1)
        count = regular + self.reopened
        entry_ticket = np.repeat(np.arange(size), count)
        first_of_ticket = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        position = np.arange(entry_ticket.size) - first_of_ticket[entry_ticket]
        is_reopen_entry = self.reopened[entry_ticket] & (position == count[entry_ticket] - 1)
        start_column = np.where(position == 0, 0, 7 + np.minimum(position, 3))
        started = np.where(is_reopen_entry, p[entry_ticket, 6], p[entry_ticket, start_column])
        weights = rng.gamma(2.0, 1.0, entry_ticket.size) * ~is_reopen_entry
        weight_sum = np.bincount(entry_ticket, weights, minlength=size)
        share = weights / np.maximum(weight_sum[entry_ticket], 1e-9)
        minutes = np.where(
            is_reopen_entry,
            _round5(rng.uniform(15, 40, entry_ticket.size)),
            _round5(self.effort[entry_ticket] * share),
        )
        keep = started < end
        entry_ticket, started, minutes = entry_ticket[keep], started[keep], minutes[keep]
        internal = rng.random(entry_ticket.size) < 0.02

        # Monthly maintenance (patching, monitoring review) for flat-fee and block customers.
        maintained = self.active & (self.kind != TIME_MATERIAL)[:, None]
        m_cust, m_month = np.nonzero(maintained)
        m_minutes = _round5(
            np.minimum(480, 15 + self.endpoints[m_cust] * rng.uniform(0.8, 1.5, m_cust.size))
        )
        m_day = t.weekday_days[t.weekday_first[m_month] + rng.integers(1, 5, m_cust.size)]
        m_started = _local_to_utc_seconds(
            t.month_local_naive[m_month] + m_day * 86_400 + 10 * 3_600
        )

        # Base billing before goodwill: in scope is included (not under time and material),
        # out of scope is billed; billed work is what may be waived as goodwill.
        kind = self.kind[cust]
        candidate = self.oos | (kind == TIME_MATERIAL)
        ticket_minutes = np.bincount(entry_ticket, minutes * ~internal, minlength=size)
        quarter = t.quarter_of_month[self.tmonth]
        group = cust * t.quarters + quarter
        group_total = np.bincount(
            group[entry_ticket], minutes, minlength=self.n * t.quarters
        ) + np.bincount(
            m_cust * t.quarters + t.quarter_of_month[m_month],
            m_minutes,
            minlength=self.n * t.quarters,
        )
        goodwill = self._goodwill_quota(
            candidate,
            ticket_minutes,
            group,
            group_total,
            self.goodwill_target[cust, quarter],
            force=self.arch[cust] == TRAP,
        )
        self.goodwill = goodwill
        billing_of_ticket = np.where(
            goodwill, "goodwill", np.where(candidate, "billed", "included")
        )
        billing = np.where(internal, "internal", billing_of_ticket[entry_ticket])
        billed = billing == "billed"
        self.billable = candidate & ~goodwill
        minutes = self._scale_goodwill(
            minutes,
            billing == "goodwill",
            ~internal,
            cust[entry_ticket],
            started,
            m_cust,
            m_month,
            m_minutes,
        )
        rate = self.hourly_rate[cust[entry_ticket]]
        billed_amount = np.round(minutes * rate / 60.0).astype(np.int64)

        language = self.tlanguage[entry_ticket]
        text_index = rng.integers(len(texts.TIME_ENTRY_TEXT_DE), size=entry_ticket.size)
        text = pl.Series([*texts.TIME_ENTRY_TEXT_DE, *texts.TIME_ENTRY_TEXT_EN]).gather(
            text_index + (language == "en") * len(texts.TIME_ENTRY_TEXT_DE)
        )
        text = _masked(text, ~internal).fill_null(texts.INTERNAL_TEXT)
        technician = self.teams[cust[entry_ticket], rng.integers(3, size=entry_ticket.size)]
        m_technician = self.teams[m_cust, rng.integers(3, size=m_cust.size)]

        ticket_entries = pl.DataFrame(
            {
                "ticket_id": pl.Series(entry_ticket.astype(np.int64) + 1, dtype=pl.Int64),
                "customer_id": cust[entry_ticket].astype(np.int64) + 1,
                "technician": self.technicians.gather(technician),
                "started_at": _utc_series(started),
                "minutes": minutes,
                "billing": billing,
                "billed_amount": _masked(pl.Series(billed_amount), billed),
                "description": text,
            }
        )
        maintenance_entries = pl.DataFrame(
            {
                "ticket_id": pl.Series([None] * m_cust.size, dtype=pl.Int64),
                "customer_id": m_cust.astype(np.int64) + 1,
                "technician": self.technicians.gather(m_technician),
                "started_at": _utc_series(m_started),
                "minutes": m_minutes,
                "billing": ["included"] * m_cust.size,
                "billed_amount": pl.Series([None] * m_cust.size, dtype=pl.Int64),
                "description": [texts.MAINTENANCE_TEXT] * m_cust.size,
            }
        )
        entries = pl.concat([ticket_entries, maintenance_entries]).sort(
            "customer_id", "started_at", maintain_order=True
        )
        total = entries.height
        self.frames_time = entries.select(
            _ids(total),
            pl.lit(SOURCE).alias("source"),
            _external_ids("E", total, 9).alias("external_id"),
            pl.all(),
        )
        # Per customer and local month: labour minutes and billed extras (for prices, revenue).
        all_started = np.concatenate([started, m_started])
        all_cust = np.concatenate([cust[entry_ticket], m_cust])
        all_minutes = np.concatenate([minutes, m_minutes])
        all_billed = np.concatenate([np.where(billed, billed_amount, 0), np.zeros(m_cust.size)])
        month = _utc_to_local_month(all_started, t.start)
        inside = (month >= 0) & (month < t.months)
        cell = all_cust[inside] * t.months + month[inside]
        self.labour_minutes = np.bincount(
            cell, all_minutes[inside], minlength=self.n * t.months
        ).reshape(self.n, t.months)
        self.billed_extras = np.bincount(
            cell, all_billed[inside], minlength=self.n * t.months
        ).reshape(self.n, t.months)
        self.goodwill_minutes_truth = np.bincount(
            entry_ticket, minutes * (billing == "goodwill"), minlength=size
        )

    def _scale_goodwill(
        self,
        minutes: Arr,
        is_goodwill: Arr,
        facing: Arr,
        entry_customer: Arr,
        started: Arr,
        m_cust: Arr,
        m_month: Arr,
        m_minutes: Arr,
    ) -> Arr:
        """Stretch or shrink the goodwill entries so each customer-quarter meets its share.

        The quota picks whole tickets, so a quarter lands up to half a ticket off target; one
        long goodwill ticket would otherwise break the trap's quarter-on-quarter rise. Buckets
        are Berlin-local calendar quarters of the entry's start, as the analysis cuts them, and
        the share is of customer-facing hours (internal time excluded), as docs/domain.md
        defines it.
        """
        t, quarters = self.t, self.t.quarters
        month = np.clip(_utc_to_local_month(started, t.start), 0, t.months - 1)
        group = entry_customer * quarters + t.quarter_of_month[month]
        size = self.n * quarters
        goodwill = np.bincount(group, minutes * is_goodwill, minlength=size)
        total = np.bincount(group, minutes * facing, minlength=size) + np.bincount(
            m_cust * quarters + t.quarter_of_month[m_month], m_minutes, minlength=size
        )
        target = self.goodwill_target.ravel()
        # Solve g' / (total - g + g') = target for the new goodwill minutes g'.
        desired = target * (total - goodwill) / (1.0 - target)
        factor = np.where(goodwill > 0, np.clip(desired / np.maximum(goodwill, 1), 0.25, 4.0), 1)
        scaled: Arr = np.where(is_goodwill, _round5(minutes * factor[group]), minutes)
        return scaled

    def _goodwill_quota(
        self,
        candidate: Arr,
        ticket_minutes: Arr,
        group: Arr,
        group_total: Arr,
        target: Arr,
        force: Arr,
    ) -> Arr:
        """Mark billable tickets as goodwill until the group's planted share of hours is reached.

        A quota instead of a coin flip per ticket, so a trap customer's goodwill share rises
        every quarter as planted rather than only on average.
        """
        key = self.rng.random(self.N)
        # Candidates first within each group, in random order.
        order = np.lexsort((key, ~candidate, group))
        sorted_group = group[order]
        sorted_minutes = np.where(candidate[order], ticket_minutes[order], 0).astype(np.float64)
        cumulative = np.cumsum(sorted_minutes)
        group_start = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
        group_offset = np.repeat(
            cumulative[group_start] - sorted_minutes[group_start],
            np.diff(np.r_[group_start, sorted_group.size]),
        )
        before = cumulative - sorted_minutes - group_offset
        quota = target[order] * group_total[sorted_group]
        chosen = candidate[order] & (before + 0.5 * sorted_minutes < quota)
        goodwill = np.zeros(self.N, dtype=bool)
        goodwill[order] = chosen
        # A trap customer's quarter always gets at least one goodwill ticket: when the quota
        # picked none, its smallest candidate, which the scaling afterwards fits to the share.
        groups = int(group.max()) + 1 if group.size else 0
        has_goodwill = np.bincount(group[goodwill], minlength=groups) > 0
        by_size = np.lexsort((ticket_minutes, ~candidate, group))
        first = np.r_[True, group[by_size][1:] != group[by_size][:-1]]
        smallest = by_size[first & candidate[by_size] & (ticket_minutes[by_size] > 0)]
        needed = (
            force[smallest]
            & ~has_goodwill[group[smallest]]
            & (target[smallest] * group_total[group[smallest]] > 0)
        )
        goodwill[smallest[needed]] = True
        return goodwill

    # ---------------------------------------------------------------- prices and revenue

    def prices_revenue_and_events(self) -> None:
        rng, n, t = self.rng, self.n, self.t
        labour = self.labour_minutes * self.loaded_cost_cents_per_minute
        licence_cost = np.where(self.has_licences, self.seats * 1170, 0)
        licence_revenue = np.round(licence_cost * 1.15).astype(np.int64)
        # The trap's fee was priced on its first half year of work: the contract was fair once.
        # Everyone else's fee matches the workload of the whole period, so the planted margin
        # holds throughout and only noise moves it.
        priced_months = np.where(self.arch == TRAP, 6, t.months)
        window = self.active & (np.arange(t.months)[None, :] < (self.join + priced_months)[:, None])
        active_months = np.maximum(window.sum(axis=1), 1)
        cost = (labour * window).sum(axis=1) / active_months
        extras = (self.billed_extras * window).sum(axis=1) / active_months
        fee = (cost + licence_cost) / (1.0 - self.target_margin) - licence_revenue - extras
        # A floor per seat keeps tiny fees from looking absurd; the underpriced have almost none.
        floor = np.where(self.arch == UNPROFITABLE, 300, np.where(self.arch == QUIET, 2500, 1500))
        fee = np.maximum(fee, self.seats * floor)
        included_hours = np.where(
            self.kind == BLOCK, np.maximum(5, np.round(fee / self.hourly_rate)), 0
        ).astype(np.int64)
        fee = np.where(self.kind == BLOCK, included_hours * self.hourly_rate, fee)
        fee = np.where(self.kind == TIME_MATERIAL, 0, np.round(fee / 500) * 500).astype(np.int64)
        self.base_fee = fee

        # Fee per month with renewals (price index), expansions and downgrades as events.
        monthly_fee = np.repeat(fee[:, None], t.months, axis=1).astype(np.float64)
        events: list[tuple[int, str, date, int | None, str]] = []
        for c in range(n):
            since = self.since[c]
            term = self.kind[c] != TIME_MATERIAL
            months_active = np.flatnonzero(self.active[c])
            if months_active.size == 0:
                continue
            for active_month in months_active:
                m = int(active_month)
                day = t.month_starts[m]
                if term and day.month == since.month and day > since and m > 0:
                    before = monthly_fee[c, m]
                    after = round(before * (1.0 + self.price_index[c]) / 1000) * 1000
                    monthly_fee[c, m:] = after
                    change = int(after - before)
                    events.append(
                        (
                            c,
                            "renewed",
                            day,
                            change,
                            "Verlängerung um 12 Monate"
                            + (f", Preisanpassung {self.price_index[c]:.1%}" if change else ""),
                        )
                    )
            planted = self.renewal_effects
            grows = self.arch[c] == SOLID if planted else True
            expand = 0.3 if planted else 0.15
            if term and grows and months_active.size > 12 and rng.random() < expand:
                m = int(rng.choice(months_active[6:]))
                before = monthly_fee[c, m]
                after = round(before * rng.uniform(1.1, 1.2) / 1000) * 1000
                monthly_fee[c, m:] = after
                events.append(
                    (
                        c,
                        "expanded",
                        t.month_starts[m],
                        int(after - before),
                        "Weitere Arbeitsplätze aufgenommen",
                    )
                )
            shrinks = self.arch[c] == AT_RISK if planted else True
            downgrade = 0.35 if planted else 0.05
            if term and shrinks and months_active.size > 6 and rng.random() < downgrade:
                upper = int(self.notice_month[c]) if self.cancels[c] else t.months
                candidates = months_active[(months_active >= 3) & (months_active < upper)]
                if candidates.size:
                    m = int(rng.choice(candidates))
                    before = monthly_fee[c, m]
                    after = round(before * rng.uniform(0.8, 0.9) / 1000) * 1000
                    monthly_fee[c, m:] = after
                    events.append(
                        (
                            c,
                            "downgraded",
                            t.month_starts[m],
                            int(after - before),
                            "Leistungsumfang reduziert",
                        )
                    )
            notice = self.notice_on[c]
            if notice is not None:
                contract_end = self.contract_end[c]
                assert contract_end is not None
                events.append(
                    (c, "cancelled", notice, None, f"Kündigung zum {contract_end:%d.%m.%Y}")
                )
        self.monthly_fee = monthly_fee.astype(np.int64) * self.active
        events.sort(key=lambda event: (event[0], event[2]))
        self.frames["contracts.contractevent"] = pl.DataFrame(
            {
                "id": _ids(len(events)),
                "source": [SOURCE] * len(events),
                "external_id": _external_ids("V", len(events), 6),
                "contract_id": pl.Series([e[0] + 1 for e in events], dtype=pl.Int64),
                "kind": pl.Series([e[1] for e in events], dtype=pl.String),
                "occurred_on": pl.Series([e[2] for e in events], dtype=pl.Date),
                "monthly_fee_change": pl.Series([e[3] for e in events], dtype=pl.Int64),
                "note": pl.Series([e[4] for e in events], dtype=pl.String),
            }
        )
        self._contracts(included_hours)
        self._revenue(licence_cost, licence_revenue)

    def _contracts(self, included_hours: Arr) -> None:
        n, t = self.n, self.t
        level_names = [LEVELS[int(level)][0].split()[0] for level in self.level]
        names = [
            f"Managed Service {level_names[c]}"
            if self.kind[c] == MANAGED
            else f"Stundenkontingent {included_hours[c]} h"
            if self.kind[c] == BLOCK
            else "Service nach Aufwand"
            for c in range(n)
        ]
        last_fee = np.array(
            [
                self.monthly_fee[c, np.flatnonzero(self.active[c])[-1]]
                if self.active[c].any()
                else self.base_fee[c]
                for c in range(n)
            ]
        )
        renewal: list[date | None] = []
        for c in range(n):
            if self.kind[c] == TIME_MATERIAL or self.cancels[c]:
                renewal.append(None)
                continue
            anniversary = date(t.month_starts[t.months].year, self.since[c].month, 1)
            while anniversary < t.month_starts[t.months]:
                anniversary = add_months(anniversary, 12)
            renewal.append(anniversary)
        self.frames["contracts.contract"] = pl.DataFrame(
            {
                "id": _ids(n),
                "source": [SOURCE] * n,
                "external_id": _external_ids("K", n, 5),
                "customer_id": _ids(n),
                "name": names,
                "kind": [CONTRACT_KINDS[int(k)] for k in self.kind],
                "status": np.where(self.cancels, "cancelled", "active"),
                "monthly_fee": last_fee.astype(np.int64),
                "included_hours_per_month": included_hours.astype(np.int64) * 100,
                "hourly_rate": self.hourly_rate.astype(np.int64),
                "start_date": pl.Series(self.since, dtype=pl.Date),
                "end_date": pl.Series(self.contract_end, dtype=pl.Date),
                "renewal_date": pl.Series(renewal, dtype=pl.Date),
                "notice_period_days": np.where(self.kind == TIME_MATERIAL, 30, 90),
                "auto_renew": (self.kind != TIME_MATERIAL) & ~self.cancels,
                "sla_policy_id": self.customer_policy.astype(np.int64),
            }
        )
        items = len(texts.CATALOGUE)
        contract = np.repeat(np.arange(n), items)
        template = np.tile(np.arange(items), n)
        in_scope = np.array([c.in_scope for c in texts.CATALOGUE])[template]
        included = in_scope & (self.kind[contract] != TIME_MATERIAL)
        codes = pl.Series([c.code for c in texts.CATALOGUE]).gather(template)
        self.frames["contracts.catalogueitem"] = pl.DataFrame(
            {
                "id": _ids(n * items),
                "source": [SOURCE] * (n * items),
                "external_id": pl.select(
                    pl.lit("K") + pl.Series(contract + 1).cast(pl.String).str.zfill(5) + "-" + codes
                ).to_series(),
                "contract_id": contract.astype(np.int64) + 1,
                "code": codes,
                "name": pl.Series([c.name for c in texts.CATALOGUE]).gather(template),
                "description": [""] * (n * items),
                "included": included,
                "rate": _masked(pl.Series(self.hourly_rate[contract].astype(np.int64)), ~included),
                "unit": ["hour"] * (n * items),
                "keywords": pl.Series([c.keywords for c in texts.CATALOGUE]).gather(template),
            }
        )

    def _revenue(self, licence_cost: Arr, licence_revenue: Arr) -> None:
        rng, n, t = self.rng, self.n, self.t
        parts: list[pl.DataFrame] = []
        month_epoch_days = np.array(
            [(day - date(1970, 1, 1)).days for day in t.month_starts], dtype=np.int64
        )

        def lines(
            cells: tuple[Arr, ...], kind: str, amount: Arr, cost: Arr, description: pl.Series
        ) -> None:
            cust, month = cells
            parts.append(
                pl.DataFrame(
                    {
                        "customer_id": cust.astype(np.int64) + 1,
                        "contract_id": cust.astype(np.int64) + 1,
                        "period": _date_series(month_epoch_days[month]),
                        "kind": [kind] * cust.size,
                        "amount": amount.astype(np.int64),
                        "direct_cost": cost.astype(np.int64),
                        "description": description,
                    }
                )
            )

        fee_cells = np.nonzero(self.monthly_fee > 0)
        fee_description = pl.Series(
            ["Managed-Service-Pauschale", "Stundenkontingent", "Service nach Aufwand"]
        ).gather(self.kind[fee_cells[0]])
        lines(
            fee_cells,
            "recurring",
            self.monthly_fee[fee_cells],
            np.zeros(fee_cells[0].size),
            fee_description,
        )
        licence_cells = np.nonzero(self.active & self.has_licences[:, None])
        lines(
            licence_cells,
            "recurring",
            licence_revenue[licence_cells[0]],
            licence_cost[licence_cells[0]],
            pl.Series(["Microsoft-365-Lizenzen"] * licence_cells[0].size, dtype=pl.String),
        )
        extra_cells = np.nonzero(np.round(self.billed_extras) > 0)
        lines(
            extra_cells,
            "extra",
            np.round(self.billed_extras[extra_cells]),
            np.zeros(extra_cells[0].size),
            pl.Series(["Zusatzleistungen nach Aufwand"] * extra_cells[0].size, dtype=pl.String),
        )
        # Occasional projects: hardware-heavy, so much of the amount is direct cost.
        project_rate = np.select(
            [self.arch == QUIET, self.arch == AT_RISK, self.arch == UNPROFITABLE],
            [0.05, 0.1, 0.0],
            0.25,
        )
        project_cells = np.nonzero(
            self.active & (rng.random((n, t.months)) < (project_rate / 12.0)[:, None])
        )
        amount = np.round(rng.lognormal(np.log(8000), 0.6, project_cells[0].size)) * 100
        lines(
            project_cells,
            "project",
            amount,
            np.round(amount * rng.uniform(0.45, 0.7, amount.size)),
            pl.Series(texts.PROJECTS).gather(
                rng.integers(len(texts.PROJECTS), size=project_cells[0].size)
            ),
        )
        revenue = pl.concat(parts).sort("customer_id", "period", "kind", maintain_order=True)
        self.frames_revenue = revenue.select(
            _ids(revenue.height),
            pl.lit(SOURCE).alias("source"),
            _external_ids("R", revenue.height, 8).alias("external_id"),
            pl.all(),
        )

    # ---------------------------------------------------------------- interactions

    def interactions(self) -> None:
        rng, n, t = self.rng, self.n, self.t
        month_index = np.arange(t.months)
        trend = (1.0 + np.maximum(self.growth, 0)[:, None]) ** (month_index[None, :] / 3.0)
        expected = (
            0.3 + self.seats[:, None] * self.interaction_rate[:, None] * trend
        ) * self.active
        counts = rng.poisson(expected)
        cust = np.repeat(np.arange(n), counts.sum(axis=1))
        month = np.concatenate([np.repeat(month_index, row) for row in counts])
        size = cust.size
        occurred = _sample_local_times(rng, t, month.astype(np.int64), rng.random(size) < 0.05)
        kind_p = np.tile([0.45, 0.40, 0.05, 0.10], (size, 1))
        kind_p[self.arch[cust] == TRAP] = [0.55, 0.25, 0.08, 0.12]
        kind = _choice(rng, kind_p, size)
        kinds = np.array(["call", "email", "meeting", "chat"])[kind]
        outbound_share = np.where(self.arch[cust] == AT_RISK, 0.5, 0.3)
        direction = np.where(rng.random(size) < outbound_share, "outbound", "inbound")
        duration = np.select(
            [kind == 0, kind == 2, kind == 3],
            [
                np.round(rng.lognormal(np.log(8), 0.6, size)),
                rng.choice([30, 45, 60, 90], size),
                np.round(rng.lognormal(np.log(10), 0.5, size)),
            ],
            5,
        ).astype(np.int64)
        contact = self.contact_first[cust] + np.floor(
            rng.random(size) * self.contact_count[cust]
        ).astype(np.int64)
        order = np.lexsort((occurred, cust))
        self.frames_interactions = pl.DataFrame(
            {
                "id": _ids(size),
                "source": pl.Series([SOURCE]).gather(np.zeros(size, dtype=np.int64)),
                "external_id": _external_ids("I", size, 8),
                "customer_id": cust[order].astype(np.int64) + 1,
                "contact_id": contact[order].astype(np.int64) + 1,
                "kind": kinds[order],
                "direction": direction[order],
                "occurred_at": _utc_series(occurred[order]),
                "duration_minutes": duration[order],
            }
        )

    # ---------------------------------------------------------------- surveys

    def surveys(self) -> None:
        rng, t = self.rng, self.t
        end = t.period_end_utc
        # Ticket CSAT (1-5): sent after about 60% of resolved tickets.
        ticket = np.flatnonzero(self.resolved_valid & (rng.random(self.N) < 0.6))
        sent = self.resolved_at[ticket] + rng.integers(600, 7200, ticket.size)
        ticket = ticket[sent < end]
        sent = sent[sent < end]
        cust = self.tcust[ticket]
        answered = rng.random(ticket.size) < self.response_rate[cust]
        answered_at = sent + np.round(rng.exponential(8 * 3600, ticket.size)).astype(np.int64)
        answered &= answered_at < end
        # Late resolutions, reopens and complaints sour the answer.
        bad = (
            self.resolution_late[ticket].astype(np.float64)
            + 0.8 * self.reopened[ticket]
            + 1.5 * self.complaint[ticket]
        )
        negative = np.clip(self.csat_negative[cust] + 0.15 * bad, 0, 0.9)
        positive = np.clip(self.csat_positive[cust] - 0.25 * bad, 0.05, 1.0)
        positive = np.minimum(positive, 1.0 - negative)
        draw = rng.random(ticket.size)
        score = np.where(
            draw < positive,
            np.where(rng.random(ticket.size) < self.top_box[cust], 5, 4),
            np.where(draw < positive + negative, np.where(rng.random(ticket.size) < 0.4, 1, 2), 3),
        )
        csat = self._survey_frame(
            kind="ticket_csat",
            cust=cust,
            contact=self.tcontact[ticket],
            ticket=ticket,
            sent=sent,
            answered=answered,
            answered_at=answered_at,
            score=score,
            scale=(1, 5),
            sentiment=np.where(
                score >= 4, np.where(self.arch[cust] == TRAP, 2, 0), np.where(score == 3, 1, 3)
            ),
        )

        # Relationship surveys (1-5) in March and September to the two main contacts, NPS
        # (0-10) in May and November to every contact.
        parts = [csat]
        for kind, months_of_year, recipients, rate_factor, scale in (
            ("relationship", (3, 9), 2, 1.6, (1, 5)),
            ("nps", (5, 11), 99, 1.3, (0, 10)),
        ):
            waves = [
                m for m, d in enumerate(t.month_starts[: t.months]) if d.month in months_of_year
            ]
            contact_customer = np.repeat(np.arange(self.n), self.contact_count)
            position = np.arange(contact_customer.size) - self.contact_first[contact_customer]
            chosen = np.flatnonzero(position < recipients)
            wave = np.repeat(np.array(waves, dtype=np.int64), chosen.size)
            contact = np.tile(chosen, len(waves))
            c = contact_customer[contact]
            sent_to = self.active[c, wave] if wave.size else np.zeros(0, dtype=bool)
            wave, contact, c = wave[sent_to], contact[sent_to], c[sent_to]
            sent = _local_to_utc_seconds(
                t.month_local_naive[wave] + 9 * 86_400 + 9 * 3_600 + position[contact] * 60
            )
            answered = rng.random(c.size) < np.minimum(0.6, self.response_rate[c] * rate_factor)
            answered_at = sent + np.round(rng.exponential(2 * 86_400, c.size)).astype(np.int64)
            answered &= answered_at < end
            if kind == "nps":
                category = _choice(rng, self.nps_mix[c], c.size)
                score = np.select(
                    [category == 0, category == 1],
                    [rng.integers(9, 11, c.size), rng.integers(7, 9, c.size)],
                    rng.integers(1, 7, c.size),
                )
                sentiment = np.select([category == 0, category == 1], [0, 1], 3)
                sentiment = np.where((sentiment == 0) & (self.arch[c] == TRAP), 2, sentiment)
            else:
                draw = rng.random(c.size)
                score = np.where(
                    draw < self.csat_positive[c],
                    np.where(rng.random(c.size) < self.top_box[c], 5, 4),
                    np.where(draw < self.csat_positive[c] + self.csat_negative[c], 2, 3),
                )
                sentiment = np.where(
                    score >= 4, np.where(self.arch[c] == TRAP, 2, 0), np.where(score == 3, 1, 3)
                )
            parts.append(
                self._survey_frame(
                    kind=kind,
                    cust=c,
                    contact=contact,
                    ticket=None,
                    sent=sent,
                    answered=answered,
                    answered_at=answered_at,
                    score=score,
                    scale=scale,
                    sentiment=sentiment,
                )
            )
        surveys = pl.concat(parts).sort("customer_id", "sent_at", maintain_order=True)
        self.frames_surveys = surveys.select(
            _ids(surveys.height),
            pl.lit(SOURCE).alias("source"),
            _external_ids("A", surveys.height, 8).alias("external_id"),
            pl.all(),
        )

    def _survey_frame(
        self,
        *,
        kind: str,
        cust: Arr,
        contact: Arr,
        ticket: Arr | None,
        sent: Arr,
        answered: Arr,
        answered_at: Arr,
        score: Arr,
        scale: tuple[int, int],
        sentiment: Arr,
    ) -> pl.DataFrame:
        rng = self.rng
        size = cust.size
        language = self.contact_language[contact]
        # Comments: the unhappy write most often.
        comment_p = np.select(
            [sentiment == 3, sentiment == 2, sentiment == 1], [0.7, 0.5, 0.4], 0.3
        )
        with_comment = answered & (rng.random(size) < comment_p)
        pools = [("positive", "de"), ("neutral", "de"), ("enthusiastic", "de"), ("negative", "de")]
        flat: list[str] = []
        first = np.zeros((4, 2), dtype=np.int64)
        count = np.zeros((4, 2), dtype=np.int64)
        for s, (name, _) in enumerate(pools):
            for lang_index, lang in enumerate(("de", "en")):
                variants = texts.COMMENTS[(name, lang)]
                first[s, lang_index] = len(flat)
                count[s, lang_index] = len(variants)
                flat.extend(variants)
        lang_index = (language == "en").astype(np.int64)
        index = first[sentiment, lang_index] + np.floor(
            rng.random(size) * count[sentiment, lang_index]
        ).astype(np.int64)
        comment = _masked(pl.Series(flat).gather(index), with_comment).fill_null("")
        return pl.DataFrame(
            {
                "kind": [kind] * size,
                "customer_id": cust.astype(np.int64) + 1,
                "contact_id": contact.astype(np.int64) + 1,
                "ticket_id": pl.Series(
                    (ticket.astype(np.int64) + 1) if ticket is not None else [None] * size,
                    dtype=pl.Int64,
                ),
                "sent_at": _utc_series(sent),
                "answered_at": _utc_series(answered_at, answered),
                "score": _masked(pl.Series(score.astype(np.int64)), answered),
                "scale_min": [scale[0]] * size,
                "scale_max": [scale[1]] * size,
                "comment": comment,
                "language": pl.Series(language.astype(str)),
            }
        )

    # ---------------------------------------------------------------- highlights

    def highlights(self) -> None:
        rng, t = self.rng, self.t
        rate = np.select(
            [self.arch == TRAP, self.arch == AT_RISK, self.arch == QUIET], [0.8, 0.15, 0.2], 0.5
        )
        years = self.active.sum(axis=1) / 12.0
        counts = rng.poisson(rate * years)
        rows: list[tuple[int, date, int]] = []
        for c in np.flatnonzero(counts):
            months = np.flatnonzero(self.active[c])
            for _ in range(int(counts[c])):
                m = int(rng.choice(months))
                day = t.month_starts[m] + timedelta(days=int(rng.integers(0, t.month_days[m])))
                rows.append((int(c), day, int(rng.integers(len(texts.HIGHLIGHTS)))))
        self.frames_highlights = pl.DataFrame(
            {
                "id": _ids(len(rows)),
                "source": [SOURCE] * len(rows),
                "external_id": _external_ids("H", len(rows), 6),
                "customer_id": pl.Series([r[0] + 1 for r in rows], dtype=pl.Int64),
                "occurred_on": pl.Series([r[1] for r in rows], dtype=pl.Date),
                "title": pl.Series([texts.HIGHLIGHTS[r[2]][0] for r in rows], dtype=pl.String),
                "description": pl.Series(
                    [texts.HIGHLIGHTS[r[2]][1] for r in rows], dtype=pl.String
                ),
            }
        )

    # ---------------------------------------------------------------- assembly

    def result(self, *, seed: int, end_month: date) -> DemoData:
        size, t = self.N, self.t
        cust = self.tcust
        policy = self.customer_policy[cust]
        item = cust.astype(np.int64) * len(texts.CATALOGUE) + self.template + 1
        tickets = pl.DataFrame(
            {
                "id": _ids(size),
                "source": pl.Series([SOURCE]).gather(np.zeros(size, dtype=np.int64)),
                "external_id": _external_ids("T", size, 8),
                "reference": pl.select(
                    pl.lit("#")
                    + (pl.int_range(1, size + 1, dtype=pl.Int64) + 100_000).cast(pl.String)
                ).to_series(),
                "customer_id": cust.astype(np.int64) + 1,
                "contact_id": self.tcontact.astype(np.int64) + 1,
                "contract_id": cust.astype(np.int64) + 1,
                "subject": self.subject,
                "description": self.description,
                "priority": self.priority.astype(np.int64) + 1,
                "category": pl.Series([c.category for c in texts.CATALOGUE]).gather(self.template),
                "channel": np.array(CHANNELS)[self.channel],
                "status": self.final_status,
                "created_at": _utc_series(self.created),
                "first_response_at": _utc_series(self.first_response_at, self.first_response_valid),
                "resolved_at": _utc_series(self.resolved_at, self.resolved_valid),
                "closed_at": _utc_series(self.closed_at, self.closed_valid),
                "reopen_count": self.reopen_count,
                "agent_touches": self.touches.astype(np.int64),
                "catalogue_item_id": item,
                "billable": self.billable,
                "is_special_request": self.special,
                "is_escalated": self.escalated,
                "is_complaint": self.complaint,
            }
        )
        # What the generator planted per ticket, for tests (the analysis never sees it).
        ticket_truth = pl.DataFrame(
            {
                "ticket_id": _ids(size),
                "archetype": np.array(ARCHETYPES)[self.arch[cust]],
                "policy_id": policy.astype(np.int64),
                "calendar_id": self.policy_calendar[policy],
                "first_response_business_seconds": self.first_response_business,
                "resolution_business_seconds": self.resolution_business,
                "paused_business_seconds": self.paused_business,
                "first_response_late": self.first_response_late,
                "resolution_late": self.resolution_late,
                "out_of_scope": self.oos,
                "goodwill": self.goodwill,
                "goodwill_minutes": self.goodwill_minutes_truth,
            }
        )
        frames = dict(self.frames)
        ordered = {
            label: frames[label]
            for label in (
                "contracts.businesscalendar",
                "contracts.calendarwindow",
                "contracts.calendarspecialday",
                "contracts.slapolicy",
                "contracts.slatarget",
                "customers.customer",
                "customers.customerreference",
                "customers.contact",
                "contracts.contract",
                "contracts.catalogueitem",
                "contracts.contractevent",
            )
        }
        ordered["contracts.revenueline"] = self.frames_revenue
        ordered["service.ticket"] = tickets
        ordered["service.ticketstatuschange"] = self.frames_status
        ordered["service.timeentry"] = self.frames_time
        ordered["service.interaction"] = self.frames_interactions
        ordered["service.highlight"] = self.frames_highlights
        ordered["surveys.surveyanswer"] = self.frames_surveys
        return DemoData(
            seed=seed,
            customers=self.n,
            months=t.months,
            start=t.start,
            end=end_month,
            period_end=datetime.fromtimestamp(t.period_end_utc, tz=UTC),
            frames=ordered,
            ground_truth=self._ground_truth(),
            calendars=self.calendar_specs,
            ticket_truth=ticket_truth,
        )

    def _ground_truth(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "customer_external_id": self.customer_external_ids,
                "name": self.names,
                "archetype": np.array(ARCHETYPES)[self.arch],
                "subdivision": [self.state_codes[int(s)] for s in self.state],
                "contract_kind": [CONTRACT_KINDS[int(k)] for k in self.kind],
                "service_level": [LEVELS[int(level)][0] for level in self.level],
                "seats": self.seats,
                "tickets": self.ticket_counts.sum(axis=1),
                "tickets_per_seat_month": np.round(self.ticket_rate, 4),
                "ticket_growth_per_quarter": np.round(self.growth, 4),
                "out_of_scope_share_start": np.round(self.oos_start, 4),
                "out_of_scope_share_end": np.round(self.oos_end, 4),
                "goodwill_share_start": np.round(self.goodwill_start, 4),
                "goodwill_share_end": np.round(self.goodwill_end, 4),
                "first_response_breach_rate": np.round(self.breach_first_response, 4),
                "resolution_breach_rate": np.round(self.breach_resolution, 4),
                "reopen_rate": np.round(self.reopen_rate, 4),
                "csat_response_rate": np.round(self.response_rate, 4),
                "csat_positive_rate": np.round(self.csat_positive, 4),
                "target_margin": np.round(self.target_margin, 4),
                "cancelled": self.cancels,
                "cancelled_on": pl.Series(self.notice_on, dtype=pl.Date),
                "contract_end": pl.Series(self.contract_end, dtype=pl.Date),
            }
        )
