"""Stage 1: the customers, their contracts' shape and cancellations; names, contacts, staff."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.common import (
    ARCHETYPE_SHARES,
    ARCHETYPES,
    AT_RISK,
    BLOCK,
    SOLID,
    SOURCE,
    STATE_CODES,
    TIME_MATERIAL,
    TIMEZONE,
    TRAP,
    UNPROFITABLE,
    Arr,
    choice,
    external_ids,
    ids,
    slug,
)
from solidground.demo.world.timeline import Timeline
from solidground.engine.periods import add_months


@dataclass(frozen=True)
class Customers:
    """Who the customers are and how their contracts run (arrays indexed by customer)."""

    archetype: Arr  # index into ARCHETYPES
    state: Arr  # index into STATE_CODES
    seats: Arr
    endpoints: Arr
    contract_kind: Arr  # index into CONTRACT_KINDS
    service_level: Arr  # index into LEVELS
    hourly_rate: Arr  # cents
    join_month: Arr  # month of the period the customer joined in (0: before the period)
    since: list[date]  # customer (and contract start) since
    cancels: Arr
    notice_month: Arr  # month of the notice (only meaningful where cancels)
    notice_on: list[date | None]
    contract_end: list[date | None]
    active: Arr  # (customers, months): a contract was running in the month

    @property
    def count(self) -> int:
        return int(self.archetype.size)

    @property
    def subdivisions(self) -> list[str]:
        return [STATE_CODES[int(state)] for state in self.state]


@dataclass(frozen=True)
class People:
    """Names of the customers, their contacts and the technicians who serve them."""

    names: list[str]
    external_ids: pl.Series  # the customers' ids at the demo source ("C00001")
    contacts_per_customer: Arr
    first_contact: Arr  # index of each customer's first contact (the decision maker)
    contact_language: Arr  # "de" or "en" per contact
    technicians: pl.Series  # names
    teams: Arr  # (customers, 3): the technicians who work for the customer


def archetype_counts(customers: int) -> Arr:
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


def draw_customers(
    rng: np.random.Generator, count: int, timeline: Timeline, *, renewal_effects: bool
) -> Customers:
    """Archetype, size, contract and service level, joins and cancellations per customer.

    Without renewal effects, cancellations are as frequent as in the planted world but
    independent of the customer's service (the thesis test's null).
    """
    archetype = rng.permutation(np.repeat(np.arange(len(ARCHETYPES)), archetype_counts(count)))
    is_trap = archetype == TRAP
    state = choice(rng, np.array([weight for _, weight, _ in texts.STATES]), count)
    seats = np.clip(np.round(rng.lognormal(np.log(20), 0.75, count)), 4, 400).astype(np.int64)
    # The trap needs volume to show a trend; a three-seat practice cannot drown anyone.
    seats = np.where(is_trap, np.maximum(seats, 15), seats)
    endpoints = (
        seats
        + np.ceil(seats * rng.uniform(0.1, 0.6, count)).astype(np.int64)
        + rng.integers(1, 5, count)
    )
    # Contract kind: the trap and the underpriced are flat-fee customers by definition.
    kind_probabilities = np.tile([0.65, 0.20, 0.15], (count, 1))
    kind_probabilities[is_trap] = [0.9, 0.1, 0.0]
    kind_probabilities[archetype == UNPROFITABLE] = [1.0, 0.0, 0.0]
    kind = choice(rng, kind_probabilities, count)
    level_probabilities = np.tile([0.2, 0.6, 0.2], (count, 1))
    level_probabilities[kind == BLOCK] = [0.0, 0.6, 0.4]
    level_probabilities[kind == TIME_MATERIAL] = [0.0, 0.2, 0.8]
    level = choice(rng, level_probabilities, count)
    hourly_rate = rng.choice(np.array([95, 105, 110, 115, 120, 125, 135]), count) * 100
    join_month, since = _joins(rng, archetype, timeline)
    cancels, notice_month = _cancellations(
        rng, archetype, join_month, timeline, renewal_effects=renewal_effects
    )
    notice_on, contract_end = _notices(rng, cancels, notice_month, kind, since, timeline)
    return Customers(
        archetype=archetype,
        state=state,
        seats=seats,
        endpoints=endpoints,
        contract_kind=kind,
        service_level=level,
        hourly_rate=hourly_rate,
        join_month=join_month,
        since=since,
        cancels=cancels,
        notice_month=notice_month,
        notice_on=notice_on,
        contract_end=contract_end,
        active=_active(join_month, contract_end, timeline),
    )


def _joins(rng: np.random.Generator, archetype: Arr, timeline: Timeline) -> tuple[Arr, list[date]]:
    """Most customers are older than the period; a few join in its first half."""
    count, months = archetype.size, timeline.months
    joins_late = (
        (rng.random(count) < 0.08)
        & (archetype != TRAP)
        & (archetype != AT_RISK)
        & np.asarray(months >= 6)
    )
    join_month = np.where(joins_late, rng.integers(1, max(2, months // 2), count), 0)
    months_before = rng.integers(1, 121, count)  # customer for up to ten years
    since = [
        timeline.month_starts[int(join_month[c])]
        if joins_late[c]
        else add_months(timeline.start, -int(months_before[c]))
        for c in range(count)
    ]
    return join_month, since


def _cancellations(
    rng: np.random.Generator,
    archetype: Arr,
    join_month: Arr,
    timeline: Timeline,
    *,
    renewal_effects: bool,
) -> tuple[Arr, Arr]:
    """Who gives notice near the end of the period, and in which month.

    Seven in ten at-risk customers (exactly, rounded) and a few others give notice.
    """
    count, months = archetype.size, timeline.months
    is_risk = archetype == AT_RISK
    risk_ids = np.flatnonzero(is_risk)
    leaving = rng.permutation(risk_ids)[: round(0.7 * risk_ids.size)]
    cancels = ((rng.random(count) < 0.04) & ~is_risk) | np.isin(np.arange(count), leaving)
    if not renewal_effects:
        cancels = rng.random(count) < (leaving.size + 0.04 * (count - risk_ids.size)) / count
    cancels &= months >= 6
    low = max(0, months - 9)
    notice_month = rng.integers(low, max(low + 1, months - 1), count)
    notice_month = np.maximum(notice_month, join_month + 3)
    cancels &= notice_month < months
    return cancels, np.minimum(notice_month, months - 1)


def _notices(
    rng: np.random.Generator,
    cancels: Arr,
    notice_month: Arr,
    kind: Arr,
    since: list[date],
    timeline: Timeline,
) -> tuple[list[date | None], list[date | None]]:
    """The day each cancelling customer gives notice, and the day its contract ends."""
    notice_on: list[date | None] = []
    contract_end: list[date | None] = []
    for c in range(cancels.size):
        if not cancels[c]:
            notice_on.append(None)
            contract_end.append(None)
            continue
        first = timeline.month_starts[int(notice_month[c])]
        notice = first + timedelta(days=int(rng.integers(0, 25)))
        notice_on.append(notice)
        if kind[c] == TIME_MATERIAL:
            contract_end.append(notice + timedelta(days=30))
            continue
        # A term contract ends on the day before the first anniversary that still respects
        # the 90-day notice period.
        anniversary = date(notice.year, since[c].month, 1)
        while anniversary < notice + timedelta(days=90):
            anniversary = add_months(anniversary, 12)
        contract_end.append(anniversary - timedelta(days=1))
    return notice_on, contract_end


def _active(join_month: Arr, contract_end: list[date | None], timeline: Timeline) -> Arr:
    """active[c, m]: the customer had a contract running in month m."""
    start = timeline.start
    month_index = np.arange(timeline.months)
    end_month_index = np.array(
        [
            timeline.months
            if end is None
            else (end.year * 12 + end.month - 1) - (start.year * 12 + start.month - 1)
            for end in contract_end
        ]
    )
    active: Arr = (month_index[None, :] >= join_month[:, None]) & (
        month_index[None, :] <= end_month_index[:, None]
    )
    return active


def draw_people(
    rng: np.random.Generator, customers: Customers
) -> tuple[People, dict[str, pl.DataFrame]]:
    """Company names, contacts and technicians, with the customer and contact frames."""
    count = customers.count
    names = _company_names(rng, customers)
    frames = {
        "customers.customer": pl.DataFrame(
            {
                "id": ids(count),
                "name": names,
                "country": ["DE"] * count,
                "subdivision": customers.subdivisions,
                "timezone": [TIMEZONE] * count,
                "seats": customers.seats,
                "endpoints": customers.endpoints,
                "status": np.where(customers.cancels, "cancelled", "active"),
                "customer_since": pl.Series(customers.since, dtype=pl.Date),
            }
        )
    }
    customer_external_ids = external_ids("C", count, 5)
    frames["customers.customerreference"] = pl.DataFrame(
        {
            "id": ids(count),
            "customer_id": ids(count),
            "source": [SOURCE] * count,
            "external_id": customer_external_ids,
        }
    )
    contacts_per_customer, contact_language, frames["customers.contact"] = _contacts(
        rng, customers.seats, names
    )
    technicians, teams = _technicians(rng, count)
    people = People(
        names=names,
        external_ids=customer_external_ids,
        contacts_per_customer=contacts_per_customer,
        first_contact=_first_of_each(contacts_per_customer),
        contact_language=contact_language,
        technicians=technicians,
        teams=teams,
    )
    return people, frames


def _first_of_each(per_customer: Arr) -> Arr:
    first: Arr = np.concatenate([[0], np.cumsum(per_customer)[:-1]]).astype(np.int64)
    return first


def _company_names(rng: np.random.Generator, customers: Customers) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for subdivision in customers.subdivisions:
        cities = texts.CITIES_BY_STATE[subdivision]
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
                # Thousands of customers exhaust the combinations; a place name is how real
                # registers tell namesakes apart.
                name = f"{name} ({cities[int(rng.integers(len(cities)))]}) {attempt - 9}"
            if name not in seen:
                break
        seen.add(name)
        names.append(name)
    return names


def _contacts(
    rng: np.random.Generator, seats: Arr, names: list[str]
) -> tuple[Arr, Arr, pl.DataFrame]:
    """Two to seven contacts per customer, the first is the decision maker."""
    count = seats.size
    per_customer = (2 + np.minimum(4, seats // 25) + rng.integers(0, 2, count)).astype(np.int64)
    total = int(per_customer.sum())
    contact_customer = np.repeat(np.arange(count), per_customer)
    position = np.arange(total) - _first_of_each(per_customer)[contact_customer]
    first = rng.integers(len(texts.FIRST_NAMES), size=total)
    last = rng.integers(len(texts.SURNAMES), size=total)
    language = np.where(rng.random(total) < 0.12, "en", "de")
    domains = [slug(name) + ".de" for name in names]
    contact_names = [
        f"{texts.FIRST_NAMES[int(f)]} {texts.SURNAMES[int(s)]}"
        for f, s in zip(first, last, strict=True)
    ]
    emails = [
        f"{slug(texts.FIRST_NAMES[int(f)])}.{slug(texts.SURNAMES[int(s)])}@{domains[int(c)]}"
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
    frame = pl.DataFrame(
        {
            "id": ids(total),
            "source": [SOURCE] * total,
            "external_id": external_ids("P", total, 6),
            "customer_id": contact_customer + 1,
            "name": contact_names,
            "email": emails,
            "phone": phones,
            "role": roles,
            "is_decision_maker": position == 0,
            "language": language,
        }
    )
    return per_customer, language, frame


def _technicians(rng: np.random.Generator, customers: int) -> tuple[pl.Series, Arr]:
    """A pool growing with the portfolio; each customer has a team of three."""
    combinations = len(texts.FIRST_NAMES) * len(texts.SURNAMES)
    technician_count = min(max(6, math.ceil(customers / 12)), combinations)
    picked = rng.choice(combinations, technician_count, replace=False)
    technicians = pl.Series(
        [
            f"{texts.FIRST_NAMES[int(p) // len(texts.SURNAMES)]} "
            f"{texts.SURNAMES[int(p) % len(texts.SURNAMES)]}"
            for p in picked
        ]
    )
    return technicians, rng.integers(technician_count, size=(customers, 3))
