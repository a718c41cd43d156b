"""The sums behind every figure: each input frame grouped once per customer and period.

``metrics.customer_period_metrics`` joins these parts and derives the figures from them. Each
function here reads one input of :class:`MetricInputs` and buckets it by the period that
counts for it (tickets by creation and by resolution, survey answers by answer and surveys by
sending, time by when it was worked, money by its revenue month; docs/domain.md), keyed by one
Int64 per customer and period (``_key``) so millions of rows group and join fast. Also the
after-hours rule (Monday to Friday 08:00-18:00 in the provider's zone). ``MetricInputs`` and the
public constants are importable from ``metrics`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from solidground.engine.periods import PeriodKind, date_period_start, local_time
from solidground.engine.portfolio import BILLING_CATEGORIES, DECIDED_STATES, answer_polarity

__all__ = [
    "AFTER_HOURS_CLOSE",
    "AFTER_HOURS_OPEN",
    "BREACH_STATES",
    "KEYS",
    "MONTHS_IN",
    "MetricInputs",
]

AFTER_HOURS_OPEN: Final = 8
AFTER_HOURS_CLOSE: Final = 18
BREACH_STATES: Final = ("breached", "running_breached")
MONTHS_IN: Final[dict[str, int]] = {"month": 1, "quarter": 3}
KEYS: Final = ("customer_id", "period_start")


@dataclass(frozen=True)
class MetricInputs:
    """What the analysis reads, as frames.

    ``tickets``: ticket_id, customer_id, created_at, resolved_at, agent_touches (null =
    unknown), reopen_count, is_special_request, is_escalated, is_complaint, item_id (the
    catalogue item the ticket is mapped to, null = unmapped).
    ``sla``: ticket_id, first_response_state, resolution_state (or None: no SLA results).
    ``time_entries``: customer_id, ticket_id (null = not on a ticket), started_at, minutes,
    billing, loaded_cost (null = minutes at the loaded cost per hour), billed_amount.
    ``revenue``: customer_id, period (first of month), amount, direct_cost, kind.
    ``surveys``: customer_id, kind, sent_at, answered_at, score, scale_min, scale_max,
    has_comment.
    ``interactions``: customer_id, occurred_at.
    ``customers``: customer_id, seats, endpoints.
    ``items``: item_id, included (in the contract), rate (per hour, null = unknown).

    customer_id and the instants that place a row in a period (created_at, started_at,
    sent_at, occurred_at) are never null: the store requires them.
    """

    tickets: pl.DataFrame
    sla: pl.DataFrame | None
    time_entries: pl.DataFrame
    revenue: pl.DataFrame
    surveys: pl.DataFrame
    interactions: pl.DataFrame
    customers: pl.DataFrame
    items: pl.DataFrame


# Customer and period as one Int64: customer_id * 2**21 + the period start's day number
# (days since 1970, shifted by 2**20 so it stays positive). Grouping and joining millions of
# rows on one integer is several times faster than on the pair, and ordering by it orders by
# customer, then period. Holds for customer ids below 2**42 and dates from the year 900 to 4800.
_DAY_SHIFT: Final = 1 << 20
_CUSTOMER_SCALE: Final = 1 << 21


def _key(customer: pl.Expr, period: pl.Expr) -> pl.Expr:
    days = period.cast(pl.Int32).cast(pl.Int64) + _DAY_SHIFT
    return (customer.cast(pl.Int64) * _CUSTOMER_SCALE + days).alias("key")


def _local_key(instant: str, *, kind: PeriodKind, timezone: str) -> pl.Expr:
    """The key of the row's customer and the period its ``instant`` falls in, locally."""
    local_day = local_time(pl.col(instant), timezone=timezone).dt.date()
    return _key(pl.col("customer_id"), date_period_start(local_day, kind=kind))


def _with_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn ``key`` back into customer_id and period_start, in front."""
    customer = pl.col("key") // _CUSTOMER_SCALE
    days = pl.col("key") - customer * _CUSTOMER_SCALE - _DAY_SHIFT
    return frame.select(
        customer.alias("customer_id"),
        days.cast(pl.Int32).cast(pl.Date).alias("period_start"),
        pl.exclude("key"),
    )


def _after_hours(local: pl.Expr) -> pl.Expr:
    hour = local.dt.hour()
    return (local.dt.weekday() >= 6) | (hour < AFTER_HOURS_OPEN) | (hour >= AFTER_HOURS_CLOSE)


def _sum_where(condition: pl.Expr, value: pl.Expr) -> pl.Expr:
    # The same sum as value.filter(condition).sum(): the same values in the same order, equal
    # to the last bit (checked against the filtered form on the 1M-ticket benchmark).
    return pl.when(condition).then(value).sum()


def _same_ids(tickets: pl.Series, other: pl.Series) -> bool:
    """Do both frames list the same unique tickets in the same order?"""
    if tickets.len() != other.len() or tickets.null_count() or not tickets.equals(other):
        return False
    return tickets.len() < 2 or bool(tickets.diff().drop_nulls().min() > 0)  # type: ignore[operator]


def _tickets_with_states(inputs: MetricInputs) -> pl.DataFrame:
    tickets = inputs.tickets
    if inputs.sla is None or not inputs.sla.height:
        return tickets.with_columns(
            first_response_state=pl.lit(None, pl.String),
            resolution_state=pl.lit(None, pl.String),
        )
    states = inputs.sla.select("ticket_id", "first_response_state", "resolution_state")
    if _same_ids(tickets["ticket_id"], states["ticket_id"]):
        # SLA results in the tickets' own order, one per ticket: the join would pair row i
        # with row i, so take the columns as they are (joining a million rows costs 0.3 s).
        return tickets.with_columns(states["first_response_state"], states["resolution_state"])
    return tickets.join(states, on="ticket_id", how="left")


def _ticket_counts(
    inputs: MetricInputs, *, kind: PeriodKind, timezone: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Ticket counts by the period created (with the base SLA figures) and resolved in."""
    tickets = _tickets_with_states(inputs).join(
        inputs.items.select("item_id", "included"), on="item_id", how="left"
    )
    breach = pl.col("first_response_state").is_in(BREACH_STATES) | pl.col("resolution_state").is_in(
        BREACH_STATES
    )
    reopened = pl.col("reopen_count").fill_null(0) > 0
    noticed = (
        breach.fill_null(False)
        | reopened
        | pl.col("is_escalated").fill_null(False)
        | pl.col("is_complaint").fill_null(False)
    )
    response_decided = pl.col("first_response_state").is_in(DECIDED_STATES)
    resolution_decided = pl.col("resolution_state").is_in(DECIDED_STATES)
    created = (
        tickets.with_columns(local_time(pl.col("created_at"), timezone=timezone).alias("_local"))
        .with_columns(
            _key(pl.col("customer_id"), date_period_start(pl.col("_local").dt.date(), kind=kind))
        )
        .group_by("key")
        .agg(
            # The base figures' (portfolio.customer_period_figures) SLA counts.
            tickets=pl.len(),
            sla_response_total=response_decided.sum(),
            sla_response_met=(pl.col("first_response_state") == "met").sum(),
            sla_resolution_total=resolution_decided.sum(),
            sla_resolution_met=(pl.col("resolution_state") == "met").sum(),
            sla_breaches=breach.fill_null(False).sum(),
            escalations=pl.col("is_escalated").fill_null(False).sum(),
            complaints=pl.col("is_complaint").fill_null(False).sum(),
            noticed_negatively=noticed.sum(),
            special_requests=pl.col("is_special_request").fill_null(False).sum(),
            after_hours_tickets=_after_hours(pl.col("_local")).sum(),
            mapped_tickets=pl.col("item_id").is_not_null().sum(),
            out_of_scope_tickets=(pl.col("included") == False).sum(),  # noqa: E712 (null-aware)
        )
    )
    resolved = (
        tickets.filter(pl.col("resolved_at").is_not_null())
        .with_columns(_local_key("resolved_at", kind=kind, timezone=timezone))
        .group_by("key")
        .agg(
            resolved=pl.len(),
            first_contact_total=pl.col("agent_touches").is_not_null().sum(),
            first_contact_resolved=(pl.col("agent_touches") == 1).sum(),
            reopened=reopened.sum(),
        )
    )
    return created, resolved


def _time_parts(
    inputs: MetricInputs, *, kind: PeriodKind, timezone: str, rate: float
) -> pl.DataFrame:
    """Every figure from time entries, in one pass over them (millions of rows).

    Includes the base figures' hours per billing category and labour cost (the sums
    :func:`solidground.engine.portfolio.customer_period_figures` makes). The entries are not
    joined with the tickets: the few on out-of-scope tickets are found by their ticket id.
    Every float sum adds up a group's entries in their own order, in one group_by whose
    aggregations are not all plain sums (``n_unique``): polars then sums each group on its
    own, so a customer's figures do not depend on which other rows are in the frame (a plain
    sum may take another path, whose last bit depends on the frame's size and layout).
    """
    out_of_scope = (
        inputs.tickets.select("ticket_id", "item_id")
        .join(
            inputs.items.filter(pl.col("included") == False).select("item_id", "rate"),  # noqa: E712
            on="item_id",
            how="inner",
        )
        .select("ticket_id", "rate")
        .unique("ticket_id", keep="first", maintain_order=True)
    )
    entries = inputs.time_entries.select(
        "customer_id",
        "ticket_id",
        "billing",
        _local_key("started_at", kind=kind, timezone=timezone),
        hours=pl.col("minutes") / 60.0,
        loaded_cost=pl.col("loaded_cost"),
        out_of_scope=pl.col("ticket_id").is_in(out_of_scope["ticket_id"].implode()),
        rate=pl.col("ticket_id").replace_strict(
            out_of_scope["ticket_id"], out_of_scope["rate"], default=None, return_dtype=pl.Float64
        ),
    ).with_columns(cost=pl.col("loaded_cost").fill_null(pl.col("hours") * rate))
    billing = pl.col("billing")
    # Out-of-scope work done free: on a ticket mapped to an item the contract does not
    # include, booked as neither billed nor internal (goodwill, or wrongly as included).
    free_out_of_scope = pl.col("out_of_scope") & billing.is_in(["goodwill", "included"])
    return entries.group_by("key").agg(
        *[
            _sum_where(billing == category, pl.col("hours")).alias(f"hours_{category}")
            for category in BILLING_CATEGORIES
        ],
        labour_cost=pl.col("cost").sum(),
        goodwill_cost=_sum_where(billing == "goodwill", pl.col("cost")),
        reactive_hours=_sum_where(
            pl.col("ticket_id").is_not_null() & (billing != "internal"), pl.col("hours")
        ),
        out_of_scope_free_hours=pl.col("hours").filter(free_out_of_scope).sum(),
        out_of_scope_free_value=(pl.col("hours") * pl.col("rate")).filter(free_out_of_scope).sum(),
        out_of_scope_free_tickets=pl.col("ticket_id").filter(free_out_of_scope).n_unique(),
    )


def _survey_parts(
    inputs: MetricInputs, *, kind: PeriodKind, timezone: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    surveys = inputs.surveys
    sent = (
        surveys.filter(pl.col("kind") == "ticket_csat")
        .with_columns(_local_key("sent_at", kind=kind, timezone=timezone))
        .group_by("key")
        .agg(
            surveys_sent=pl.len(),
            surveys_answered=pl.col("answered_at").is_not_null().sum(),
        )
    )
    answered = surveys.filter(pl.col("answered_at").is_not_null()).with_columns(
        _local_key("answered_at", kind=kind, timezone=timezone),
        # NPS categories on the 0-10 scale, read through the scale's position so another
        # scale maps the same way: promoters 9-10, detractors 0-6.
        position=(pl.col("score") - pl.col("scale_min"))
        / (pl.col("scale_max") - pl.col("scale_min"))
        * 10.0,
        polarity=answer_polarity(pl.col("score"), pl.col("scale_min"), pl.col("scale_max")),
    )
    is_csat = pl.col("kind") == "ticket_csat"
    is_nps = pl.col("kind") == "nps"
    answers = answered.group_by("key").agg(
        # The base figures' CSAT counts (ticket-CSAT answers).
        csat_responses=is_csat.sum(),
        csat_positive=(is_csat & (pl.col("polarity") == 1)).sum(),
        csat_negative=(is_csat & (pl.col("polarity") == -1)).sum(),
        answers=pl.len(),
        comments=pl.col("has_comment").fill_null(False).sum(),
        nps_responses=is_nps.sum(),
        nps_promoters=(is_nps & (pl.col("position") >= 9 - 1e-9)).sum(),
        nps_detractors=(is_nps & (pl.col("position") <= 6 + 1e-9)).sum(),
        relationship_responses=(pl.col("kind") == "relationship").sum(),
        relationship_negative=(
            (pl.col("kind") == "relationship") & (pl.col("polarity") == -1)
        ).sum(),
    )
    return sent, answers


def _contacts(inputs: MetricInputs, *, kind: PeriodKind, timezone: str) -> pl.DataFrame:
    return (
        inputs.interactions.with_columns(
            local_time(pl.col("occurred_at"), timezone=timezone).alias("_local")
        )
        .with_columns(
            _key(pl.col("customer_id"), date_period_start(pl.col("_local").dt.date(), kind=kind))
        )
        .group_by("key")
        .agg(
            interactions=pl.len(),
            after_hours_interactions=_after_hours(pl.col("_local")).sum(),
        )
    )


def _revenue(inputs: MetricInputs, *, kind: PeriodKind) -> pl.DataFrame:
    # Grouped as portfolio.customer_period_figures groups it, on the pair: plain float sums in
    # a group_by take another path than conditional ones and can differ in the last bit.
    revenue = inputs.revenue.with_columns(
        period_start=date_period_start(pl.col("period"), kind=kind)
    )
    total = revenue.group_by(*KEYS).agg(
        revenue=pl.col("amount").sum(), direct_cost=pl.col("direct_cost").sum()
    )
    extra = (
        revenue.filter(pl.col("kind") == "extra")
        .group_by(*KEYS)
        .agg(revenue_extra=pl.col("amount").sum())
    )
    project = (
        revenue.filter(pl.col("kind") == "project")
        .group_by(*KEYS)
        .agg(revenue_project=pl.col("amount").sum())
    )
    return (
        total.join(extra, on=list(KEYS), how="left")
        .join(project, on=list(KEYS), how="left")
        .select(
            _key(pl.col("customer_id"), pl.col("period_start")),
            "revenue",
            "direct_cost",
            "revenue_extra",
            "revenue_project",
        )
    )
