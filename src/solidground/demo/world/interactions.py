"""Stage 8: the contact log (calls, emails, meetings, chats) and the customers' highlights."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.common import (
    AT_RISK,
    QUIET,
    SOURCE,
    TRAP,
    choice,
    external_ids,
    ids,
    utc_series,
)
from solidground.demo.world.customers import Customers, People
from solidground.demo.world.planted import Planted
from solidground.demo.world.timeline import Timeline, sample_local_times

_KINDS = np.array(["call", "email", "meeting", "chat"])
CALL, EMAIL, MEETING, CHAT = range(4)


def interactions(
    rng: np.random.Generator,
    customers: Customers,
    people: People,
    planted: Planted,
    timeline: Timeline,
) -> pl.DataFrame:
    """Interactions per customer and month grow with seats, the planted rate and its trend."""
    month_index = np.arange(timeline.months)
    trend = (1.0 + np.maximum(planted.ticket_growth, 0)[:, None]) ** (month_index[None, :] / 3.0)
    expected = (
        0.3 + customers.seats[:, None] * planted.interaction_rate[:, None] * trend
    ) * customers.active
    counts = rng.poisson(expected)
    customer = np.repeat(np.arange(customers.count), counts.sum(axis=1))
    month = np.concatenate([np.repeat(month_index, row) for row in counts])
    size = customer.size
    occurred = sample_local_times(rng, timeline, month.astype(np.int64), rng.random(size) < 0.05)
    archetype = customers.archetype[customer]
    kind_p = np.tile([0.45, 0.40, 0.05, 0.10], (size, 1))
    kind_p[archetype == TRAP] = [0.55, 0.25, 0.08, 0.12]
    kind = choice(rng, kind_p, size)
    outbound_share = np.where(archetype == AT_RISK, 0.5, 0.3)
    direction = np.where(rng.random(size) < outbound_share, "outbound", "inbound")
    duration = np.select(
        [kind == CALL, kind == MEETING, kind == CHAT],
        [
            np.round(rng.lognormal(np.log(8), 0.6, size)),
            rng.choice([30, 45, 60, 90], size),
            np.round(rng.lognormal(np.log(10), 0.5, size)),
        ],
        5,
    ).astype(np.int64)
    contact = people.first_contact[customer] + np.floor(
        rng.random(size) * people.contacts_per_customer[customer]
    ).astype(np.int64)
    order = np.lexsort((occurred, customer))
    return pl.DataFrame(
        {
            "id": ids(size),
            "source": pl.Series([SOURCE]).gather(np.zeros(size, dtype=np.int64)),
            "external_id": external_ids("I", size, 8),
            "customer_id": customer[order].astype(np.int64) + 1,
            "contact_id": contact[order].astype(np.int64) + 1,
            "kind": _KINDS[kind][order],
            "direction": direction[order],
            "occurred_at": utc_series(occurred[order]),
            "duration_minutes": duration[order],
        }
    )


def highlights(rng: np.random.Generator, customers: Customers, timeline: Timeline) -> pl.DataFrame:
    """The MSP's saves worth telling (a stopped attack, a quick recovery), a few a year."""
    archetype = customers.archetype
    rate = np.select(
        [archetype == TRAP, archetype == AT_RISK, archetype == QUIET], [0.8, 0.15, 0.2], 0.5
    )
    years = customers.active.sum(axis=1) / 12.0
    counts = rng.poisson(rate * years)
    rows: list[tuple[int, date, int]] = []
    for c in np.flatnonzero(counts):
        months = np.flatnonzero(customers.active[c])
        for _ in range(int(counts[c])):
            m = int(rng.choice(months))
            day = timeline.month_starts[m] + timedelta(
                days=int(rng.integers(0, timeline.month_days[m]))
            )
            rows.append((int(c), day, int(rng.integers(len(texts.HIGHLIGHTS)))))
    return pl.DataFrame(
        {
            "id": ids(len(rows)),
            "source": [SOURCE] * len(rows),
            "external_id": external_ids("H", len(rows), 6),
            "customer_id": pl.Series([r[0] + 1 for r in rows], dtype=pl.Int64),
            "occurred_on": pl.Series([r[1] for r in rows], dtype=pl.Date),
            "title": pl.Series([texts.HIGHLIGHTS[r[2]][0] for r in rows], dtype=pl.String),
            "description": pl.Series([texts.HIGHLIGHTS[r[2]][1] for r in rows], dtype=pl.String),
        }
    )
