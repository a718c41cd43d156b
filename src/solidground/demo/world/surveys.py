"""Stage 8 (continued): survey answers: ticket CSAT, relationship surveys and NPS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.common import (
    SOURCE,
    TRAP,
    Arr,
    choice,
    external_ids,
    ids,
    masked,
    utc_series,
)
from solidground.demo.world.customers import Customers, People
from solidground.demo.world.planted import Planted
from solidground.demo.world.statuses import StatusHistory
from solidground.demo.world.tickets import Tickets
from solidground.demo.world.timeline import Timeline, local_to_utc_seconds
from solidground.demo.world.timings import Timings

# The sentiment of an answer picks its comment pool.
POSITIVE, NEUTRAL, ENTHUSIASTIC, NEGATIVE = range(4)
_POOLS = ("positive", "neutral", "enthusiastic", "negative")


@dataclass(frozen=True)
class _Wave:
    """A survey sent to customers' first contacts in some months of every year."""

    kind: str
    months_of_year: tuple[int, ...]
    recipients: int  # the first this many contacts of each customer
    rate_factor: float  # response rate relative to the customer's CSAT response rate
    scale: tuple[int, int]


# Relationship surveys (1-5) in March and September to the two main contacts, NPS (0-10) in
# May and November to every contact.
WAVES: tuple[_Wave, ...] = (
    _Wave("relationship", (3, 9), 2, 1.6, (1, 5)),
    _Wave("nps", (5, 11), 99, 1.3, (0, 10)),
)


@dataclass(frozen=True)
class _Invitations:
    """Survey invitations of one kind (arrays indexed by invitation)."""

    kind: str
    customer: Arr
    contact: Arr
    ticket: Arr | None
    sent: Arr  # UTC epoch seconds
    answered: Arr
    answered_at: Arr
    scale: tuple[int, int]


def surveys(
    rng: np.random.Generator,
    customers: Customers,
    people: People,
    planted: Planted,
    tickets: Tickets,
    timings: Timings,
    history: StatusHistory,
    timeline: Timeline,
) -> pl.DataFrame:
    parts = [_ticket_csat(rng, customers, people, planted, tickets, timings, history, timeline)]
    parts.extend(_wave(rng, wave, customers, people, planted, timeline) for wave in WAVES)
    answers = pl.concat(parts).sort("customer_id", "sent_at", maintain_order=True)
    return answers.select(
        ids(answers.height),
        pl.lit(SOURCE).alias("source"),
        external_ids("A", answers.height, 8).alias("external_id"),
        pl.all(),
    )


def _ticket_csat(
    rng: np.random.Generator,
    customers: Customers,
    people: People,
    planted: Planted,
    tickets: Tickets,
    timings: Timings,
    history: StatusHistory,
    timeline: Timeline,
) -> pl.DataFrame:
    """Ticket CSAT (1-5): sent after about 60% of resolved tickets."""
    end = timeline.period_end_utc
    ticket = np.flatnonzero(history.resolved_valid & (rng.random(tickets.count) < 0.6))
    sent = history.resolved_at[ticket] + rng.integers(600, 7200, ticket.size)
    ticket = ticket[sent < end]
    sent = sent[sent < end]
    customer = tickets.customer[ticket]
    answered = rng.random(ticket.size) < planted.csat_response_rate[customer]
    answered_at = sent + np.round(rng.exponential(8 * 3600, ticket.size)).astype(np.int64)
    answered &= answered_at < end
    # Late resolutions, reopens and complaints sour the answer.
    bad = (
        timings.resolution_late[ticket].astype(np.float64)
        + 0.8 * tickets.reopened[ticket]
        + 1.5 * tickets.complaint[ticket]
    )
    negative = np.clip(planted.csat_negative[customer] + 0.15 * bad, 0, 0.9)
    positive = np.clip(planted.csat_positive[customer] - 0.25 * bad, 0.05, 1.0)
    positive = np.minimum(positive, 1.0 - negative)
    draw = rng.random(ticket.size)
    score = np.where(
        draw < positive,
        np.where(rng.random(ticket.size) < planted.top_box[customer], 5, 4),
        np.where(draw < positive + negative, np.where(rng.random(ticket.size) < 0.4, 1, 2), 3),
    )
    invitations = _Invitations(
        "ticket_csat",
        customer,
        tickets.contact[ticket],
        ticket,
        sent,
        answered,
        answered_at,
        (1, 5),
    )
    sentiment = _sentiment_of_score(score, customers.archetype[customer])
    return _survey_frame(rng, people, invitations, score, sentiment)


def _wave(
    rng: np.random.Generator,
    wave: _Wave,
    customers: Customers,
    people: People,
    planted: Planted,
    timeline: Timeline,
) -> pl.DataFrame:
    """One kind of survey wave: sent on the tenth of its months, 09:00 Berlin time."""
    end = timeline.period_end_utc
    months = [
        m
        for m, d in enumerate(timeline.month_starts[: timeline.months])
        if d.month in wave.months_of_year
    ]
    contact_customer = np.repeat(np.arange(customers.count), people.contacts_per_customer)
    position = np.arange(contact_customer.size) - people.first_contact[contact_customer]
    chosen = np.flatnonzero(position < wave.recipients)
    month = np.repeat(np.array(months, dtype=np.int64), chosen.size)
    contact = np.tile(chosen, len(months))
    customer = contact_customer[contact]
    sent_to = customers.active[customer, month] if month.size else np.zeros(0, dtype=bool)
    month, contact, customer = month[sent_to], contact[sent_to], customer[sent_to]
    size = customer.size
    sent = local_to_utc_seconds(
        timeline.month_local_naive[month] + 9 * 86_400 + 9 * 3_600 + position[contact] * 60
    )
    answered = rng.random(size) < np.minimum(
        0.6, planted.csat_response_rate[customer] * wave.rate_factor
    )
    answered_at = sent + np.round(rng.exponential(2 * 86_400, size)).astype(np.int64)
    answered &= answered_at < end
    is_trap = customers.archetype[customer] == TRAP
    if wave.kind == "nps":
        category = choice(rng, planted.nps_mix[customer], size)  # promoter, passive, detractor
        score = np.select(
            [category == 0, category == 1],
            [rng.integers(9, 11, size), rng.integers(7, 9, size)],
            rng.integers(1, 7, size),
        )
        sentiment = np.select([category == 0, category == 1], [POSITIVE, NEUTRAL], NEGATIVE)
        sentiment = np.where((sentiment == POSITIVE) & is_trap, ENTHUSIASTIC, sentiment)
    else:
        positive, negative = planted.csat_positive[customer], planted.csat_negative[customer]
        draw = rng.random(size)
        score = np.where(
            draw < positive,
            np.where(rng.random(size) < planted.top_box[customer], 5, 4),
            np.where(draw < positive + negative, 2, 3),
        )
        sentiment = _sentiment_of_score(score, customers.archetype[customer])
    invitations = _Invitations(
        wave.kind, customer, contact, None, sent, answered, answered_at, wave.scale
    )
    return _survey_frame(rng, people, invitations, score, sentiment)


def _sentiment_of_score(score: Arr, archetype: Arr) -> Arr:
    """4-5 positive (enthusiastic for the trap's fans), 3 neutral, below negative."""
    sentiment: Arr = np.where(
        score >= 4,
        np.where(archetype == TRAP, ENTHUSIASTIC, POSITIVE),
        np.where(score == 3, NEUTRAL, NEGATIVE),
    )
    return sentiment


def _survey_frame(
    rng: np.random.Generator, people: People, invitations: _Invitations, score: Arr, sentiment: Arr
) -> pl.DataFrame:
    size, answered = invitations.customer.size, invitations.answered
    language = people.contact_language[invitations.contact]
    # Comments: the unhappy write most often.
    comment_p = np.select(
        [sentiment == NEGATIVE, sentiment == ENTHUSIASTIC, sentiment == NEUTRAL],
        [0.7, 0.5, 0.4],
        0.3,
    )
    with_comment = answered & (rng.random(size) < comment_p)
    flat: list[str] = []
    first = np.zeros((4, 2), dtype=np.int64)
    count = np.zeros((4, 2), dtype=np.int64)
    for pool, name in enumerate(_POOLS):
        for lang_index, lang in enumerate(("de", "en")):
            variants = texts.COMMENTS[(name, lang)]
            first[pool, lang_index] = len(flat)
            count[pool, lang_index] = len(variants)
            flat.extend(variants)
    lang_index = (language == "en").astype(np.int64)
    index = first[sentiment, lang_index] + np.floor(
        rng.random(size) * count[sentiment, lang_index]
    ).astype(np.int64)
    comment = masked(pl.Series(flat).gather(index), with_comment).fill_null("")
    ticket = invitations.ticket
    return pl.DataFrame(
        {
            "kind": [invitations.kind] * size,
            "customer_id": invitations.customer.astype(np.int64) + 1,
            "contact_id": invitations.contact.astype(np.int64) + 1,
            "ticket_id": pl.Series(
                (ticket.astype(np.int64) + 1) if ticket is not None else [None] * size,
                dtype=pl.Int64,
            ),
            "sent_at": utc_series(invitations.sent),
            "answered_at": utc_series(invitations.answered_at, answered),
            "score": masked(pl.Series(score.astype(np.int64)), answered),
            "scale_min": [invitations.scale[0]] * size,
            "scale_max": [invitations.scale[1]] * size,
            "comment": comment,
            "language": pl.Series(language.astype(str)),
        }
    )
