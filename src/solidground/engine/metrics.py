"""Every figure per customer and period: reliability, satisfaction, contact, extra mile, profit.

Gives the figures of :func:`solidground.engine.portfolio.customer_period_figures` (hours,
revenue, margin, CSAT, SLA compliance; same definitions, summed here in the same pass as the
rest) and adds the rest of issue 5's figures. Definitions are in docs/analysis.md; the short
form:

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
:class:`MetricInputs`. The sums per input (tickets, time, surveys, contacts, revenue) are in
``metrics_sums``; this module joins them and derives the figures, the data's coverage and the
portfolio comparisons. ``MetricInputs`` and the constants are importable from here too.

Speed (1M tickets, 3M time entries): each input is bucketed and grouped once per call, on one
integer key per customer and period. Quarters are summed from the rows like months, not
rolled up from the months: a sum of three monthly float sums can differ from the sum over the
rows in the last bit, and the figures must not depend on which way they were computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import polars as pl

from solidground.engine.metrics_sums import (
    AFTER_HOURS_CLOSE,
    AFTER_HOURS_OPEN,
    BREACH_STATES,
    KEYS,
    MONTHS_IN,
    MetricInputs,
    _contacts,
    _revenue,
    _survey_parts,
    _ticket_counts,
    _time_parts,
    _with_keys,
)
from solidground.engine.periods import (
    EDGE_GAP_DAYS,
    PeriodKind,
    add_months,
    local_time,
    period_start,
)
from solidground.engine.portfolio import (
    BILLING_CATEGORIES,
    with_derived_figures,
    with_share,
)
from solidground.engine.stats import (
    BetaPrior,
    nps_interval,
    ranking_prior,
    shrunk_rate,
)

__all__ = [
    "AFTER_HOURS_CLOSE",
    "AFTER_HOURS_OPEN",
    "BREACH_STATES",
    "EDGE_GAP_DAYS",
    "Coverage",
    "MetricInputs",
    "PortfolioBaseline",
    "customer_period_metrics",
    "data_coverage",
    "out_of_scope_ledger",
    "portfolio_baseline",
    "with_coverage",
    "with_portfolio_comparison",
]


@dataclass(frozen=True)
class PortfolioBaseline:
    """Portfolio-wide references per period, kept so one customer can be re-analysed alone.

    ``frame``: period_start, median_contacts_per_seat, csat_prior_alpha, csat_prior_beta.
    """

    frame: pl.DataFrame


# The base figures of portfolio.customer_period_figures, in its column order.
_BASE_COUNTS: Final = (
    "tickets",
    "sla_response_total",
    "sla_response_met",
    "sla_resolution_total",
    "sla_resolution_met",
)
_BASE_AMOUNTS: Final = (
    *(f"hours_{category}" for category in BILLING_CATEGORIES),
    "labour_cost",
    "revenue",
    "direct_cost",
)
_BASE_CSAT: Final = ("csat_responses", "csat_positive", "csat_negative")
# The figures added here, in the frame's column order (after the base figures' shares).
_FIGURES: Final = (
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
    "goodwill_cost",
    "reactive_hours",
    "out_of_scope_free_hours",
    "out_of_scope_free_value",
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
    "revenue_extra",
    "revenue_project",
)
_AMOUNTS: Final = (
    *_BASE_AMOUNTS,
    "goodwill_cost",
    "reactive_hours",
    "out_of_scope_free_hours",
    "out_of_scope_free_value",
    "revenue_extra",
    "revenue_project",
)


def _per_month(numerator: pl.Expr, denominator: pl.Expr, months: pl.Expr) -> pl.Expr:
    return (
        pl.when((denominator > 0) & (months > 0))
        .then(numerator / denominator / months)
        .otherwise(None)
    )


@dataclass(frozen=True)
class Coverage:
    """The local days the data cover: ``first`` to ``last``, both included."""

    first: date
    last: date

    def union(self, other: Coverage | None) -> Coverage:
        if other is None:
            return self
        return Coverage(min(self.first, other.first), max(self.last, other.last))


def data_coverage(inputs: MetricInputs, *, timezone: str) -> Coverage | None:
    """The first and last local day with any ticket, time entry, contact or survey.

    Revenue lines are left out: they are booked per month and say nothing about which days
    an export covers. None when there is no such row.
    """
    days: list[date] = []
    for frame, column in (
        (inputs.tickets, "created_at"),
        (inputs.time_entries, "started_at"),
        (inputs.interactions, "occurred_at"),
        (inputs.surveys, "sent_at"),
    ):
        if frame.height:
            local = frame.select(
                local_time(pl.col(column), timezone=timezone).dt.date().alias("day")
            )["day"]
            first, last = local.min(), local.max()
            if isinstance(first, date) and isinstance(last, date):
                days += [first, last]
    return Coverage(min(days), max(days)) if days else None


def with_coverage(
    frame: pl.DataFrame, *, kind: PeriodKind, coverage: Coverage | None
) -> pl.DataFrame:
    """Add days_in_period and days_covered: the period's days inside the data's coverage.

    A gap of up to ``EDGE_GAP_DAYS`` between a period's edge and the coverage's edge counts
    as covered. Without a coverage every period counts as covered whole.
    """
    start = pl.col("period_start")
    end = start.dt.offset_by(f"{MONTHS_IN[kind]}mo")  # exclusive
    days = (end - start).dt.total_days().cast(pl.Int64)
    if coverage is None:
        return frame.with_columns(days_in_period=days, days_covered=days)
    first = pl.lit(coverage.first)
    stop = pl.lit(coverage.last + timedelta(days=1))  # exclusive
    covered_from = (
        pl.when((first - start).dt.total_days() <= EDGE_GAP_DAYS)
        .then(start)
        .otherwise(pl.max_horizontal(start, first))
    )
    covered_to = (
        pl.when((end - stop).dt.total_days() <= EDGE_GAP_DAYS)
        .then(end)
        .otherwise(pl.min_horizontal(end, stop))
    )
    covered = (covered_to - covered_from).dt.total_days().clip(lower_bound=0).cast(pl.Int64)
    return frame.with_columns(days_in_period=days, days_covered=covered)


def customer_period_metrics(
    inputs: MetricInputs,
    *,
    kind: PeriodKind,
    timezone: str,
    loaded_cost_per_hour: float,
    coverage: Coverage | None = None,
) -> pl.DataFrame:
    """One row per customer and period in which anything happened, with every figure.

    ``coverage``: the days the data cover (default: :func:`data_coverage` of ``inputs``; a
    re-analysis of a few customers passes the portfolio's). The first and last periods it
    covers only in part get fewer ``days_covered`` than ``days_in_period``, and their rates
    per month (per seat, per endpoint, RHEM) divide by the months covered, not a full period.

    The base figures (hours, revenue, margin, CSAT, SLA compliance) are the same as
    :func:`solidground.engine.portfolio.customer_period_figures` gives and come first, in its
    column order; they are summed here along with the rest, so each input is bucketed and
    grouped once. Portfolio comparisons (contact intensity against the median, shrunken
    CSAT) are added by :func:`with_portfolio_comparison`, because a re-analysis of one
    customer compares with the stored portfolio instead of itself.
    """
    frame = _summed_figures(inputs, kind=kind, timezone=timezone, rate=loaded_cost_per_hour)
    if coverage is None:
        coverage = data_coverage(inputs, timezone=timezone)
    frame = with_coverage(frame, kind=kind, coverage=coverage)
    months = MONTHS_IN[kind] * pl.col("days_covered") / pl.col("days_in_period")
    frame = frame.join(
        inputs.customers.select("customer_id", "seats", "endpoints"), on="customer_id", how="left"
    ).with_columns(pl.col("seats").fill_null(0), pl.col("endpoints").fill_null(0))
    frame = _with_rates(frame, months)
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


def _summed_figures(
    inputs: MetricInputs, *, kind: PeriodKind, timezone: str, rate: float
) -> pl.DataFrame:
    """Every input's sums per customer and period joined on one frame (a missing cell is 0),
    with the base figures and their shares first, in ``customer_period_figures``' order."""
    created, resolved = _ticket_counts(inputs, kind=kind, timezone=timezone)
    sent, answers = _survey_parts(inputs, kind=kind, timezone=timezone)
    parts = [
        created,
        resolved,
        _time_parts(inputs, kind=kind, timezone=timezone, rate=rate),
        sent,
        answers,
        _contacts(inputs, kind=kind, timezone=timezone),
        _revenue(inputs, kind=kind),
    ]
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.join(part, on="key", how="full", coalesce=True)
    # A cell no part has (e.g. a month with interactions only) is 0, never null.
    frame = _with_keys(frame.sort("key")).with_columns(
        *[
            pl.col(c).fill_null(0).cast(pl.Int64)
            for c in (*_BASE_COUNTS, *_BASE_CSAT, *_FIGURES)
            if c not in _AMOUNTS
        ],
        *[pl.col(c).fill_null(0.0).cast(pl.Float64) for c in _AMOUNTS],
    )
    return with_derived_figures(
        frame.select(*KEYS, *_BASE_COUNTS, *_BASE_AMOUNTS, *_BASE_CSAT)
    ).hstack(frame.select(_FIGURES))


def _with_rates(frame: pl.DataFrame, months: pl.Expr) -> pl.DataFrame:
    """Add the rates per seat and endpoint per month (``months``: the months covered), the
    after-hours contacts and the money figures that need the hours worked."""
    facing = pl.col("hours_billed") + pl.col("hours_included") + pl.col("hours_goodwill")
    hours_worked = facing + pl.col("hours_internal")
    return frame.with_columns(
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


# The CSAT prior of a period is fitted on each customer's answers of the year up to it.
PRIOR_MONTHS: Final = 12


def portfolio_baseline(frame: pl.DataFrame) -> PortfolioBaseline:
    """Per period: the median contacts per seat and the Beta prior of CSAT over customers.

    The median is taken over customers with seats and any contact in the period: a
    portfolio full of silent customers would otherwise make every contact look intense.

    The prior (``stats.ranking_prior``, strength bounded to 20-200 answers) is fitted on each
    customer's answers pooled over the ``PRIOR_MONTHS`` up to and including the period (fewer
    at the start of the data): fitted on one month's handful of answers per customer it
    jumped from month to month, from nearly no weight to all of the portfolio's answers.
    """
    rows: list[tuple[object, float | None, float, float]] = []
    columns = frame.select(
        "customer_id", "period_start", "contacts_per_seat", "csat_positive", "csat_responses"
    )
    answers = columns.filter(pl.col("csat_responses") > 0).select(
        "customer_id", "period_start", "csat_positive", "csat_responses"
    )
    for (start,), group in columns.group_by("period_start", maintain_order=True):
        contacts = group["contacts_per_seat"].drop_nulls()
        contacts = contacts.filter(contacts > 0)
        median = contacts.median() if contacts.len() else None
        first = add_months(start, -(PRIOR_MONTHS - 1))
        pooled = (
            answers.filter(pl.col("period_start").is_between(first, start))
            .group_by("customer_id")
            .agg(pl.col("csat_positive").sum(), pl.col("csat_responses").sum())
        )
        prior = ranking_prior(
            pooled["csat_positive"].cast(pl.Float64).to_numpy(),
            pooled["csat_responses"].cast(pl.Float64).to_numpy(),
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
        inputs.time_entries.select("customer_id", "ticket_id", "started_at", "minutes", "billing")
        .filter(pl.col("billing").is_in(["goodwill", "included"]))
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
