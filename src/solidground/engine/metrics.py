"""Every figure per customer and period: reliability, satisfaction, contact, extra mile, profit.

Builds on :func:`solidground.engine.portfolio.customer_period_figures` (hours, revenue, margin,
CSAT, SLA compliance) and adds the rest of issue 5's figures. Definitions are in
docs/analysis.md; the short form:

* Counts of tickets (tickets, escalations, complaints, special requests, SLA breaches, noticed
  negatively) go by the period the ticket was **created** in; first-contact resolution and
  reopens by the period it was **resolved** in; survey answers by the period they were
  **answered** in, the response rate by the period the survey was **sent** in; time by the
  period it was worked in; money by its revenue month.
* Rates "per seat" and "per endpoint" are per month: a quarter divides by 3. They use the
  customer's current seats and endpoints (the store keeps no history of them).
* A share with nothing to divide is null ("no data"), never 0 or 1; its Wilson bounds too.
* After hours = outside Monday to Friday 08:00-18:00 in the provider's time zone.

Input frames (instants ``Datetime("us", "UTC")``, money float64) are described on
:class:`MetricInputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import polars as pl

from solidground.engine.periods import PeriodKind, period_start
from solidground.engine.portfolio import (
    BILLING_CATEGORIES,
    answer_polarity,
    customer_period_figures,
    with_derived_figures,
    with_share,
)
from solidground.engine.stats import (
    BetaPrior,
    fit_beta_prior,
    nps_interval,
    shrunk_rate,
)

__all__ = [
    "AFTER_HOURS_CLOSE",
    "AFTER_HOURS_OPEN",
    "BREACH_STATES",
    "MetricInputs",
    "PortfolioBaseline",
    "customer_period_metrics",
    "out_of_scope_ledger",
    "portfolio_baseline",
    "with_portfolio_comparison",
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
    """

    tickets: pl.DataFrame
    sla: pl.DataFrame | None
    time_entries: pl.DataFrame
    revenue: pl.DataFrame
    surveys: pl.DataFrame
    interactions: pl.DataFrame
    customers: pl.DataFrame
    items: pl.DataFrame


@dataclass(frozen=True)
class PortfolioBaseline:
    """Portfolio-wide references per period, kept so one customer can be re-analysed alone.

    ``frame``: period_start, median_contacts_per_seat, csat_prior_alpha, csat_prior_beta.
    """

    frame: pl.DataFrame


def _after_hours(instant: pl.Expr, timezone: str) -> pl.Expr:
    local = instant.dt.convert_time_zone(timezone)
    hour = local.dt.hour()
    return (local.dt.weekday() >= 6) | (hour < AFTER_HOURS_OPEN) | (hour >= AFTER_HOURS_CLOSE)


def _ticket_counts(
    inputs: MetricInputs, *, kind: PeriodKind, timezone: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    tickets = inputs.tickets
    if inputs.sla is not None and inputs.sla.height:
        tickets = tickets.join(
            inputs.sla.select("ticket_id", "first_response_state", "resolution_state"),
            on="ticket_id",
            how="left",
        )
    else:
        tickets = tickets.with_columns(
            first_response_state=pl.lit(None, pl.String),
            resolution_state=pl.lit(None, pl.String),
        )
    items = inputs.items.select("item_id", "included")
    tickets = tickets.join(items, on="item_id", how="left")
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
    created = (
        tickets.with_columns(
            period_start=period_start(pl.col("created_at"), kind=kind, timezone=timezone)
        )
        .group_by(*KEYS)
        .agg(
            sla_breaches=breach.fill_null(False).sum(),
            escalations=pl.col("is_escalated").fill_null(False).sum(),
            complaints=pl.col("is_complaint").fill_null(False).sum(),
            noticed_negatively=noticed.sum(),
            special_requests=pl.col("is_special_request").fill_null(False).sum(),
            after_hours_tickets=_after_hours(pl.col("created_at"), timezone).sum(),
            mapped_tickets=pl.col("item_id").is_not_null().sum(),
            out_of_scope_tickets=(pl.col("included") == False).sum(),  # noqa: E712 (null-aware)
        )
    )
    resolved = (
        tickets.filter(pl.col("resolved_at").is_not_null())
        .with_columns(
            period_start=period_start(pl.col("resolved_at"), kind=kind, timezone=timezone)
        )
        .group_by(*KEYS)
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

    Includes the base figures' hours per billing category and labour cost (the same sums
    :func:`solidground.engine.portfolio.customer_period_figures` makes), so the entries are
    joined, bucketed and grouped once instead of twice.
    """
    ticket_items = inputs.tickets.select("ticket_id", "item_id").join(
        inputs.items.select("item_id", "included", "rate"), on="item_id", how="left"
    )
    entries = (
        # Left order kept: each group's float sums then add up in the entries' own order.
        inputs.time_entries.join(ticket_items, on="ticket_id", how="left", maintain_order="left")
        .with_columns(
            period_start=period_start(pl.col("started_at"), kind=kind, timezone=timezone),
            hours=pl.col("minutes") / 60.0,
        )
        .with_columns(cost=pl.col("loaded_cost").fill_null(pl.col("hours") * rate))
    )
    # Out-of-scope work done free: on a ticket mapped to an item the contract does not
    # include, booked as neither billed nor internal (goodwill, or wrongly as included).
    free_out_of_scope = (pl.col("included") == False) & pl.col("billing").is_in(  # noqa: E712
        ["goodwill", "included"]
    )
    return entries.group_by(*KEYS).agg(
        *[
            pl.col("hours").filter(pl.col("billing") == category).sum().alias(f"hours_{category}")
            for category in BILLING_CATEGORIES
        ],
        labour_cost=pl.col("cost").sum(),
        goodwill_cost=pl.col("cost").filter(pl.col("billing") == "goodwill").sum(),
        reactive_hours=pl.col("hours")
        .filter(pl.col("ticket_id").is_not_null() & (pl.col("billing") != "internal"))
        .sum(),
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
        .with_columns(period_start=period_start(pl.col("sent_at"), kind=kind, timezone=timezone))
        .group_by(*KEYS)
        .agg(
            surveys_sent=pl.len(),
            surveys_answered=pl.col("answered_at").is_not_null().sum(),
        )
    )
    answered = surveys.filter(pl.col("answered_at").is_not_null()).with_columns(
        period_start=period_start(pl.col("answered_at"), kind=kind, timezone=timezone),
        # NPS categories on the 0-10 scale, read through the scale's position so another
        # scale maps the same way: promoters 9-10, detractors 0-6.
        position=(pl.col("score") - pl.col("scale_min"))
        / (pl.col("scale_max") - pl.col("scale_min"))
        * 10.0,
        polarity=answer_polarity(pl.col("score"), pl.col("scale_min"), pl.col("scale_max")),
    )
    is_nps = pl.col("kind") == "nps"
    answers = answered.group_by(*KEYS).agg(
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
            period_start=period_start(pl.col("occurred_at"), kind=kind, timezone=timezone)
        )
        .group_by(*KEYS)
        .agg(
            interactions=pl.len(),
            after_hours_interactions=_after_hours(pl.col("occurred_at"), timezone).sum(),
        )
    )


def _revenue_extra(inputs: MetricInputs, *, kind: PeriodKind) -> pl.DataFrame:
    from solidground.engine.periods import date_period_start

    return (
        inputs.revenue.filter(pl.col("kind") == "extra")
        .with_columns(period_start=date_period_start(pl.col("period"), kind=kind))
        .group_by(*KEYS)
        .agg(revenue_extra=pl.col("amount").sum())
    )


_COUNTS: Final = (
    "sla_breaches",
    "escalations",
    "complaints",
    "noticed_negatively",
    "special_requests",
    "after_hours_tickets",
    "mapped_tickets",
    "out_of_scope_tickets",
    "resolved",
    "first_contact_total",
    "first_contact_resolved",
    "reopened",
    "out_of_scope_free_tickets",
    "surveys_sent",
    "surveys_answered",
    "answers",
    "comments",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "relationship_responses",
    "relationship_negative",
    "interactions",
    "after_hours_interactions",
)
_AMOUNTS: Final = (
    "goodwill_cost",
    "reactive_hours",
    "out_of_scope_free_hours",
    "out_of_scope_free_value",
    "revenue_extra",
)


def _per_month(numerator: pl.Expr, denominator: pl.Expr, months: int) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator / denominator / months).otherwise(None)


def customer_period_metrics(
    inputs: MetricInputs,
    *,
    kind: PeriodKind,
    timezone: str,
    loaded_cost_per_hour: float,
) -> pl.DataFrame:
    """One row per customer and period in which anything happened, with every figure.

    Portfolio comparisons (contact intensity against the median, shrunken CSAT) are added by
    :func:`with_portfolio_comparison`, because a re-analysis of one customer compares with
    the stored portfolio instead of itself.
    """
    # Time entries are left out of the base figures: _time_parts sums their hours and labour
    # cost along with the other time figures in one pass (base hours come back as zeros and
    # are replaced; the columns keep their place).
    base = customer_period_figures(
        tickets=inputs.tickets.select("ticket_id", "customer_id", "created_at"),
        time_entries=inputs.time_entries.clear(),
        revenue=inputs.revenue,
        surveys=inputs.surveys,
        sla=inputs.sla,
        kind=kind,
        timezone=timezone,
        loaded_cost_per_hour=loaded_cost_per_hour,
    ).drop("period_kind")
    order = base.columns
    base_schema = base.schema
    base = base.drop(f"hours_{category}" for category in BILLING_CATEGORIES).drop("labour_cost")
    created, resolved = _ticket_counts(inputs, kind=kind, timezone=timezone)
    sent, answers = _survey_parts(inputs, kind=kind, timezone=timezone)
    parts = [
        created,
        resolved,
        _time_parts(inputs, kind=kind, timezone=timezone, rate=loaded_cost_per_hour),
        sent,
        answers,
        _contacts(inputs, kind=kind, timezone=timezone),
        _revenue_extra(inputs, kind=kind),
    ]
    frame = base
    for part in parts:
        frame = frame.join(part, on=list(KEYS), how="full", coalesce=True)
    frame = frame.select(*order, *[c for c in frame.columns if c not in order])
    frame = frame.with_columns(
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in _COUNTS],
        *[pl.col(c).fill_null(0.0).cast(pl.Float64) for c in _AMOUNTS],
    )
    # Rows that exist only in a new part (e.g. a month with interactions only) lack the base
    # figures; fill them like customer_period_figures does for its own empty cells.
    base_counts = [c for c, dtype in base_schema.items() if dtype == pl.Int64 and c not in KEYS]
    base_floats = [
        c
        for c, dtype in base_schema.items()
        if dtype == pl.Float64 and not c.endswith(("_share", "_low", "_high")) and c not in KEYS
    ]
    frame = frame.with_columns(
        *[pl.col(c).fill_null(0) for c in base_counts],
        *[pl.col(c).fill_null(0.0) for c in base_floats],
    )
    # Shares whose cells came only from new parts need their intervals recomputed.
    frame = with_derived_figures(frame)
    facing = pl.col("hours_billed") + pl.col("hours_included") + pl.col("hours_goodwill")

    months = MONTHS_IN[kind]
    frame = frame.join(
        inputs.customers.select("customer_id", "seats", "endpoints"), on="customer_id", how="left"
    ).with_columns(pl.col("seats").fill_null(0), pl.col("endpoints").fill_null(0))
    hours_worked = facing + pl.col("hours_internal")
    frame = frame.with_columns(
        tickets_per_seat=_per_month(pl.col("tickets"), pl.col("seats"), months),
        tickets_per_endpoint=_per_month(pl.col("tickets"), pl.col("endpoints"), months),
        interactions_per_seat=_per_month(pl.col("interactions"), pl.col("seats"), months),
        contacts_per_seat=_per_month(
            pl.col("tickets") + pl.col("interactions"), pl.col("seats"), months
        ),
        special_requests_per_seat=_per_month(pl.col("special_requests"), pl.col("seats"), months),
        after_hours_contacts=pl.col("after_hours_tickets") + pl.col("after_hours_interactions"),
        rhem_hours=_per_month(pl.col("reactive_hours"), pl.col("endpoints"), months),
        cost_to_serve=pl.col("labour_cost") + pl.col("direct_cost"),
        effective_hourly_rate=pl.when(hours_worked > 0)
        .then((pl.col("revenue") - pl.col("direct_cost")) / hours_worked)
        .otherwise(None),
        hours_worked=hours_worked,
    )
    frame = with_share(frame, "csat_unhappy", "csat_negative", "csat_responses")
    frame = with_share(frame, "first_contact", "first_contact_resolved", "first_contact_total")
    frame = with_share(frame, "reopen", "reopened", "resolved")
    frame = with_share(frame, "noticed", "noticed_negatively", "tickets")
    frame = with_share(frame, "response", "surveys_answered", "surveys_sent")
    score, low, high = nps_interval(
        frame["nps_promoters"].cast(pl.Float64).to_numpy(),
        frame["nps_detractors"].cast(pl.Float64).to_numpy(),
        frame["nps_responses"].cast(pl.Float64).to_numpy(),
    )
    frame = frame.with_columns(
        pl.Series("nps_score", score).fill_nan(None),
        pl.Series("nps_low", low).fill_nan(None),
        pl.Series("nps_high", high).fill_nan(None),
        period_kind=pl.lit(kind),
    )
    return frame.sort(*KEYS)


def portfolio_baseline(frame: pl.DataFrame) -> PortfolioBaseline:
    """Per period: the median contacts per seat and the Beta prior of CSAT over customers.

    The median is taken over customers with seats and any contact in the period: a
    portfolio full of silent customers would otherwise make every contact look intense.
    """
    rows: list[tuple[object, float | None, float, float]] = []
    for (start,), group in frame.group_by("period_start", maintain_order=True):
        contacts = group["contacts_per_seat"].drop_nulls()
        contacts = contacts.filter(contacts > 0)
        median = contacts.median() if contacts.len() else None
        prior = fit_beta_prior(
            group["csat_positive"].cast(pl.Float64).to_numpy(),
            group["csat_responses"].cast(pl.Float64).to_numpy(),
        )
        rows.append(
            (start, float(median) if median is not None else None, prior.alpha, prior.beta)  # type: ignore[arg-type]
        )
    schema = {
        "period_start": pl.Date,
        "median_contacts_per_seat": pl.Float64,
        "csat_prior_alpha": pl.Float64,
        "csat_prior_beta": pl.Float64,
    }
    return PortfolioBaseline(pl.DataFrame(rows, schema=schema, orient="row"))


def with_portfolio_comparison(frame: pl.DataFrame, baseline: PortfolioBaseline) -> pl.DataFrame:
    """Add contact intensity against the portfolio median and the shrunken CSAT.

    ``contact_intensity`` = contacts per seat / the period's portfolio median (1.0 = typical);
    ``csat_shrunk`` = (positive + alpha) / (answers + alpha + beta) with the period's prior,
    null without answers.
    """
    joined = frame.join(baseline.frame, on="period_start", how="left")
    positive = joined["csat_positive"].cast(pl.Float64).to_numpy()
    responses = joined["csat_responses"].cast(pl.Float64).to_numpy()
    alphas = joined["csat_prior_alpha"].to_numpy()
    betas = joined["csat_prior_beta"].to_numpy()
    shrunk = np.full(joined.height, np.nan)
    # One prior per period (a few dozen): shrink each period's rows with its own prior.
    known = ~np.isnan(alphas.astype(np.float64))
    for alpha, beta in {
        (float(a), float(b)) for a, b in zip(alphas[known], betas[known], strict=True)
    }:
        rows = known & (alphas == alpha) & (betas == beta)
        shrunk[rows] = shrunk_rate(positive[rows], responses[rows], BetaPrior(alpha, beta))
    return joined.with_columns(
        contact_intensity=pl.when(pl.col("median_contacts_per_seat") > 0)
        .then(pl.col("contacts_per_seat") / pl.col("median_contacts_per_seat"))
        .otherwise(None),
        csat_shrunk=pl.Series("csat_shrunk", shrunk).fill_nan(None),
    ).drop("median_contacts_per_seat", "csat_prior_alpha", "csat_prior_beta")


def out_of_scope_ledger(
    inputs: MetricInputs,
    *,
    first_month: date,
    last_month: date,
    timezone: str,
) -> pl.DataFrame:
    """Out-of-scope work done free per customer and catalogue item over whole months.

    Time on tickets mapped to an item the contract does not include, booked as goodwill (or,
    wrongly, as included), from ``first_month`` to ``last_month`` (local months, inclusive).
    Returns customer_id, item_id, tickets, hours, value (hours at the item's rate).
    """
    ticket_items = inputs.tickets.select("ticket_id", "item_id").join(
        inputs.items.select("item_id", "included", "rate"), on="item_id", how="inner"
    )
    month = period_start(pl.col("started_at"), kind="month", timezone=timezone)
    return (
        inputs.time_entries.filter(pl.col("billing").is_in(["goodwill", "included"]))
        .join(ticket_items.filter(~pl.col("included")), on="ticket_id", how="inner")
        .filter(month.is_between(first_month, last_month))
        .group_by("customer_id", "item_id")
        .agg(
            tickets=pl.col("ticket_id").n_unique(),
            hours=(pl.col("minutes").sum() / 60.0),
            value=(pl.col("minutes") / 60.0 * pl.col("rate")).sum(),
        )
        .sort("customer_id", "item_id")
    )
