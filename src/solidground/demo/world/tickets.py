"""Stage 3: the tickets: volume per customer and month, arrival, nature and texts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from solidground.demo import texts
from solidground.demo.world.common import AT_RISK, CHANNELS, TRAP, Arr, choice, round5
from solidground.demo.world.customers import Customers, People
from solidground.demo.world.planted import Planted
from solidground.demo.world.timeline import Timeline, sample_local_times


@dataclass(frozen=True)
class Tickets:
    """Every ticket (arrays indexed by ticket, in id order: per customer, by creation)."""

    per_customer_month: Arr  # (customers, months): tickets created
    customer: Arr
    month: Arr  # month of the period the ticket was drawn for
    created: Arr  # UTC epoch seconds
    channel: Arr  # index into CHANNELS
    priority: Arr  # 0..3 = P1..P4
    contact: Arr
    language: Arr  # the contact's: "de" or "en"
    catalogue_item: Arr  # index into texts.CATALOGUE
    out_of_scope: Arr
    special: Arr  # a special request
    effort: Arr  # minutes of work, before any goodwill scaling
    escalated: Arr
    complaint: Arr
    reopened: Arr
    touches: Arr  # agent touches
    subject: pl.Series
    description: pl.Series

    @property
    def count(self) -> int:
        return int(self.customer.size)


@dataclass(frozen=True)
class _Arrivals:
    customer: Arr
    month: Arr
    channel: Arr
    created: Arr
    archetype: Arr


def draw_tickets(
    rng: np.random.Generator,
    customers: Customers,
    people: People,
    planted: Planted,
    timeline: Timeline,
) -> Tickets:
    per_customer_month = _volume(rng, customers, planted, timeline)
    arrivals = _arrivals(rng, customers, per_customer_month, timeline)
    customer, size = arrivals.customer, arrivals.customer.size
    priority_p = np.tile([0.03, 0.12, 0.55, 0.30], (size, 1))
    priority_p[arrivals.archetype == AT_RISK] = [0.05, 0.15, 0.52, 0.28]
    priority = choice(rng, priority_p, size)
    contact = people.first_contact[customer] + np.floor(
        rng.random(size) * people.contacts_per_customer[customer]
    ).astype(np.int64)
    language = people.contact_language[contact]
    out_of_scope, item = _catalogue_items(rng, arrivals, planted, timeline)
    minutes = np.array([c.minutes for c in texts.CATALOGUE])[item]
    effort = (
        rng.lognormal(np.log(minutes), 0.5)
        * np.where(priority == 0, 1.5, 1.0)
        * planted.effort_factor[customer]
    )
    special = rng.random(size) < np.where(
        out_of_scope, planted.special_out_of_scope[customer], planted.special_in_scope[customer]
    )
    escalated = rng.random(size) < planted.escalation_rate[customer]
    complaint = rng.random(size) < planted.complaint_rate[customer]
    reopened = rng.random(size) < planted.reopen_rate[customer]
    first_contact = rng.random(size) < planted.first_contact_rate[customer]
    touches = np.where(first_contact, 1, 1 + rng.geometric(0.55, size))
    subject, description = _texts(rng, item, language, priority)
    return Tickets(
        per_customer_month=per_customer_month,
        customer=customer,
        month=arrivals.month,
        created=arrivals.created,
        channel=arrivals.channel,
        priority=priority,
        contact=contact,
        language=language,
        catalogue_item=item,
        out_of_scope=out_of_scope,
        special=special,
        effort=round5(effort * np.where(special, 1.3, 1.0)),
        escalated=escalated,
        complaint=complaint,
        reopened=reopened,
        touches=np.where(reopened, np.maximum(touches, 2) + 1, touches),
        subject=subject,
        description=description,
    )


def _volume(
    rng: np.random.Generator, customers: Customers, planted: Planted, timeline: Timeline
) -> Arr:
    """Tickets per customer and month: seats x rate, growth, season and noise."""
    month_index = np.arange(timeline.months)
    calendar_month = np.array([d.month for d in timeline.month_starts[: timeline.months]])
    season = np.select(
        [calendar_month == 1, calendar_month == 8, calendar_month == 12], [1.1, 0.85, 0.85], 1.0
    )
    trend = (1.0 + planted.ticket_growth[:, None]) ** (month_index[None, :] / 3.0)
    noise = rng.gamma(20.0, 1.0 / 20.0, (customers.count, timeline.months))
    expected = customers.seats[:, None] * planted.ticket_rate[:, None] * trend * season * noise
    counts: Arr = rng.poisson(expected * customers.active)
    return counts


def _arrivals(
    rng: np.random.Generator, customers: Customers, counts: Arr, timeline: Timeline
) -> _Arrivals:
    """Channel and creation instant of each ticket, in id order."""
    month_index = np.arange(timeline.months)
    customer = np.repeat(np.repeat(np.arange(customers.count), timeline.months), counts.ravel())
    month = np.repeat(np.tile(month_index, customers.count), counts.ravel())
    size = customer.size
    archetype = customers.archetype[customer]
    channel_p = np.tile([0.38, 0.27, 0.18, 0.05, 0.08, 0.04], (size, 1))
    channel_p[archetype == TRAP] = [0.30, 0.42, 0.08, 0.12, 0.04, 0.04]
    channel = choice(rng, channel_p, size)
    after_hours = rng.random(size) < np.where(channel == CHANNELS.index("monitoring"), 0.3, 0.07)
    created = sample_local_times(rng, timeline, month, after_hours)
    # Ticket ids grow with time per customer, as in a helpdesk export.
    order = np.lexsort((created, customer))
    return _Arrivals(
        customer=customer[order],
        month=month[order],
        channel=channel[order],
        created=created[order],
        archetype=archetype[order],
    )


def _catalogue_items(
    rng: np.random.Generator, arrivals: _Arrivals, planted: Planted, timeline: Timeline
) -> tuple[Arr, Arr]:
    """Out of scope or not (the share moves linearly over the period), then which item."""
    customer = arrivals.customer
    size = customer.size
    progress_in_period = arrivals.month / max(1, timeline.months - 1)
    start, end = planted.out_of_scope_start[customer], planted.out_of_scope_end[customer]
    out_of_scope = rng.random(size) < start + (end - start) * progress_in_period
    in_scope_items = np.array([i for i, c in enumerate(texts.CATALOGUE) if c.in_scope])
    oos_items = np.array([i for i, c in enumerate(texts.CATALOGUE) if not c.in_scope])
    weights = np.array([c.weight for c in texts.CATALOGUE])
    item = np.where(
        out_of_scope,
        oos_items[choice(rng, weights[oos_items], size)],
        in_scope_items[choice(rng, weights[in_scope_items], size)],
    )
    return out_of_scope, item


# Closing words of a ticket's description: four German, then four English.
_CLOSINGS = pl.Series(
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


def _texts(
    rng: np.random.Generator, item: Arr, language: Arr, priority: Arr
) -> tuple[pl.Series, pl.Series]:
    """Subject and description of each ticket in its contact's language."""
    size = item.size
    is_en = language == "en"
    subjects: list[str] = []
    descriptions: list[str] = []
    subject_first = np.zeros((len(texts.CATALOGUE), 2), dtype=np.int64)
    subject_count = np.zeros_like(subject_first)
    description_first = np.zeros_like(subject_first)
    description_count = np.zeros_like(subject_first)
    for i, entry in enumerate(texts.CATALOGUE):
        for lang, (subject_variants, description_variants) in enumerate(
            ((entry.subjects_de, entry.descriptions_de), (entry.subjects_en, entry.descriptions_en))
        ):
            subject_first[i, lang] = len(subjects)
            subject_count[i, lang] = len(subject_variants)
            subjects.extend(subject_variants)
            description_first[i, lang] = len(descriptions)
            description_count[i, lang] = len(description_variants)
            descriptions.extend(description_variants)
    lang_index = is_en.astype(np.int64)
    subject_index = subject_first[item, lang_index] + np.floor(
        rng.random(size) * subject_count[item, lang_index]
    ).astype(np.int64)
    description_index = description_first[item, lang_index] + np.floor(
        rng.random(size) * description_count[item, lang_index]
    ).astype(np.int64)
    department = rng.integers(len(texts.DEPARTMENTS_DE), size=size)
    with_department = rng.random(size) < 0.3
    closing = rng.integers(0, 4, size)
    frame = pl.DataFrame(
        {
            "closing": _CLOSINGS.gather(closing + lang_index * 4),
            "subject": pl.Series(subjects).gather(subject_index),
            "description": pl.Series(descriptions).gather(description_index),
            "dept": pl.Series([*texts.DEPARTMENTS_DE, *texts.DEPARTMENTS_EN]).gather(
                department + lang_index * len(texts.DEPARTMENTS_DE)
            ),
            "with_dept": with_department,
            "en": is_en,
            "urgent": priority <= 1,
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
    return frame["subject"], frame["description"]
