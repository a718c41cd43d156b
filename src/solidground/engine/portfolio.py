"""Per-customer, per-period figures: the first analysis (issue 2) and SLA compliance (issue 3).

Input frames (all instants ``Datetime("us", "UTC")``; money as float64 in the currency):

``tickets``
    ticket_id i64, customer_id i64, created_at.
``sla`` (optional, from :func:`solidground.engine.sla.evaluate_tickets`)
    ticket_id, first_response_state, resolution_state (met / breached / running /
    running_breached, or null when the ticket has no SLA policy).
``time_entries``
    customer_id, started_at, minutes i64, billing (billed / included / goodwill / internal),
    loaded_cost f64 (null = minutes / 60 x the loaded cost per hour).
``revenue``
    customer_id, period (Date, first of month), amount, direct_cost.
``surveys``
    customer_id, kind (ticket_csat / relationship / nps), answered_at (null = unanswered),
    score, scale_min, scale_max.

Definitions (docs/domain.md): goodwill share = goodwill hours / customer-facing hours (billed +
included + goodwill; internal time is excluded because it is not work the customer sees).
Labour cost = every hour worked for the customer at its loaded cost. Margin = revenue - labour
cost - direct cost; margin share = margin / revenue. CSAT counts ticket-CSAT answers; an answer
is positive in the top quarter of its scale and negative in the bottom quarter (4-5 and 1-2 on
1-5; 1 and 0 on a 0-1 thumbs scale). SLA compliance counts tickets by the period they were
created in; a clock still running is counted only once it is already past due.
"""

from __future__ import annotations

import polars as pl

from solidground.engine.periods import PeriodKind, date_period_start, period_start
from solidground.engine.stats import wilson_interval

BILLING_CATEGORIES = ("billed", "included", "goodwill", "internal")
DECIDED_STATES = ("met", "breached", "running_breached")


def answer_polarity(score: pl.Expr, scale_min: pl.Expr, scale_max: pl.Expr) -> pl.Expr:
    """+1 positive, -1 negative, 0 neutral, null unanswered."""
    position = (score - scale_min) / (scale_max - scale_min)
    return (
        pl.when(score.is_null())
        .then(None)
        .when(position >= 0.75)
        .then(1)
        .when(position <= 0.25)
        .then(-1)
        .otherwise(0)
        .cast(pl.Int8)
    )


def _hours(
    time_entries: pl.DataFrame, *, kind: PeriodKind, timezone: str, rate: float
) -> pl.DataFrame:
    entries = time_entries.with_columns(
        period_start=period_start(pl.col("started_at"), kind=kind, timezone=timezone),
        hours=pl.col("minutes") / 60.0,
    ).with_columns(
        cost=pl.col("loaded_cost").fill_null(pl.col("hours") * rate),
    )
    aggregations = [
        (pl.col("hours").filter(pl.col("billing") == category).sum()).alias(f"hours_{category}")
        for category in BILLING_CATEGORIES
    ]
    return entries.group_by("customer_id", "period_start").agg(
        *aggregations, labour_cost=pl.col("cost").sum()
    )


def _sla(
    tickets: pl.DataFrame, sla: pl.DataFrame | None, *, kind: PeriodKind, timezone: str
) -> pl.DataFrame:
    frame = tickets.select(
        "ticket_id",
        "customer_id",
        period_start=period_start(pl.col("created_at"), kind=kind, timezone=timezone),
    )
    if sla is None:
        return frame.group_by("customer_id", "period_start").agg(tickets=pl.len())
    frame = frame.join(sla, on="ticket_id", how="left")
    response_decided = pl.col("first_response_state").is_in(DECIDED_STATES)
    resolution_decided = pl.col("resolution_state").is_in(DECIDED_STATES)
    return frame.group_by("customer_id", "period_start").agg(
        tickets=pl.len(),
        sla_response_total=response_decided.sum(),
        sla_response_met=(pl.col("first_response_state") == "met").sum(),
        sla_resolution_total=resolution_decided.sum(),
        sla_resolution_met=(pl.col("resolution_state") == "met").sum(),
    )


def _csat(surveys: pl.DataFrame, *, kind: PeriodKind, timezone: str) -> pl.DataFrame:
    answers = surveys.filter(
        (pl.col("kind") == "ticket_csat") & pl.col("answered_at").is_not_null()
    ).with_columns(
        period_start=period_start(pl.col("answered_at"), kind=kind, timezone=timezone),
        polarity=answer_polarity(pl.col("score"), pl.col("scale_min"), pl.col("scale_max")),
    )
    return answers.group_by("customer_id", "period_start").agg(
        csat_responses=pl.len(),
        csat_positive=(pl.col("polarity") == 1).sum(),
        csat_negative=(pl.col("polarity") == -1).sum(),
    )


def _revenue(revenue: pl.DataFrame, *, kind: PeriodKind) -> pl.DataFrame:
    return (
        revenue.with_columns(period_start=date_period_start(pl.col("period"), kind=kind))
        .group_by("customer_id", "period_start")
        .agg(revenue=pl.col("amount").sum(), direct_cost=pl.col("direct_cost").sum())
    )


def with_share(frame: pl.DataFrame, prefix: str, successes: str, total: str) -> pl.DataFrame:
    """Add ``<prefix>_share``, ``_low`` and ``_high`` (95% Wilson); null where total is 0."""
    low, high = wilson_interval(
        frame[successes].cast(pl.Float64).to_numpy(), frame[total].cast(pl.Float64).to_numpy()
    )
    return frame.with_columns(
        pl.when(pl.col(total) > 0)
        .then(pl.col(successes) / pl.col(total))
        .otherwise(None)
        .alias(f"{prefix}_share"),
        pl.Series(f"{prefix}_low", low).fill_nan(None),
        pl.Series(f"{prefix}_high", high).fill_nan(None),
    )


def customer_period_figures(
    *,
    tickets: pl.DataFrame,
    time_entries: pl.DataFrame,
    revenue: pl.DataFrame,
    surveys: pl.DataFrame,
    sla: pl.DataFrame | None = None,
    kind: PeriodKind = "month",
    timezone: str = "Europe/Berlin",
    loaded_cost_per_hour: float,
) -> pl.DataFrame:
    """One row per customer and period in which anything happened (tickets, time, money, answers).

    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> tickets = pl.DataFrame({"ticket_id": [1], "customer_id": [7],
    ...     "created_at": [dt.datetime(2026, 1, 31, 23, 30, tzinfo=utc)]})
    >>> entries = pl.DataFrame({"customer_id": [7], "minutes": [90], "billing": ["goodwill"],
    ...     "started_at": [dt.datetime(2026, 2, 2, 9, tzinfo=utc)], "loaded_cost": [None]},
    ...     schema_overrides={"loaded_cost": pl.Float64})
    >>> empty_revenue = pl.DataFrame(schema={"customer_id": pl.Int64, "period": pl.Date,
    ...     "amount": pl.Float64, "direct_cost": pl.Float64})
    >>> empty_surveys = pl.DataFrame(schema={"customer_id": pl.Int64, "kind": pl.String,
    ...     "answered_at": pl.Datetime("us", "UTC"), "score": pl.Int64,
    ...     "scale_min": pl.Int64, "scale_max": pl.Int64})
    >>> figures = customer_period_figures(tickets=tickets, time_entries=entries,
    ...     revenue=empty_revenue, surveys=empty_surveys, loaded_cost_per_hour=60.0)
    >>> figures.select("period_start", "tickets", "hours_goodwill", "labour_cost").rows()
    [(datetime.date(2026, 2, 1), 1, 1.5, 90.0)]
    """
    keys = ["customer_id", "period_start"]
    parts = [
        _sla(tickets, sla, kind=kind, timezone=timezone),
        _hours(time_entries, kind=kind, timezone=timezone, rate=loaded_cost_per_hour),
        _revenue(revenue, kind=kind),
        _csat(surveys, kind=kind, timezone=timezone),
    ]
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.join(part, on=keys, how="full", coalesce=True)
    count_columns = [
        "tickets",
        "csat_responses",
        "csat_positive",
        "csat_negative",
        "sla_response_total",
        "sla_response_met",
        "sla_resolution_total",
        "sla_resolution_met",
    ]
    float_columns = [f"hours_{c}" for c in BILLING_CATEGORIES] + [
        "labour_cost",
        "revenue",
        "direct_cost",
    ]
    frame = frame.with_columns(
        *[
            (pl.col(c).fill_null(0).cast(pl.Int64) if c in frame.columns else pl.lit(0).alias(c))
            for c in count_columns
        ],
        *[pl.col(c).fill_null(0.0).cast(pl.Float64) for c in float_columns],
    )
    return with_derived_figures(frame).with_columns(period_kind=pl.lit(kind)).sort(keys)


def with_derived_figures(frame: pl.DataFrame) -> pl.DataFrame:
    """Goodwill share, margin, margin share and the CSAT and SLA shares from the sums."""
    facing = pl.col("hours_billed") + pl.col("hours_included") + pl.col("hours_goodwill")
    frame = frame.with_columns(
        goodwill_share=pl.when(facing > 0).then(pl.col("hours_goodwill") / facing).otherwise(None),
        margin=pl.col("revenue") - pl.col("labour_cost") - pl.col("direct_cost"),
    ).with_columns(
        margin_share=pl.when(pl.col("revenue") > 0)
        .then(pl.col("margin") / pl.col("revenue"))
        .otherwise(None),
    )
    frame = with_share(frame, "csat", "csat_positive", "csat_responses")
    frame = with_share(frame, "sla_response", "sla_response_met", "sla_response_total")
    return with_share(frame, "sla_resolution", "sla_resolution_met", "sla_resolution_total")
