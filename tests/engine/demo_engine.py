"""The demo provider analysed in memory: the engine's segments without a database.

``analyze()`` reads the store, runs the SLA clock, maps scope, computes the quarterly figures
and assigns segments. For archetype recovery across many history lengths, seeds and customer
counts, storing every demo first would take minutes per combination on a small machine; this
helper feeds the generator's frames straight into the same engine functions (the demo's
tickets carry their catalogue item, so the scope mapping has nothing to add).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from solidground.demo.generator import DemoData, generate
from solidground.engine.metrics import (
    MetricInputs,
    customer_period_metrics,
    portfolio_baseline,
    with_portfolio_comparison,
)
from solidground.engine.periods import last_complete_quarter
from solidground.engine.segments import SegmentThresholds, assign_segments
from solidground.engine.sla import SlaPolicy, evaluate_tickets, pauses_from_status_changes

TIMEZONE = "Europe/Berlin"
LOADED_COST_PER_HOUR = 62.0  # the default of settings.LOADED_COST_PER_HOUR


@dataclass(frozen=True)
class Analysed:
    data: DemoData
    quarters: pl.DataFrame
    # customer_external_id, archetype (planted), cancelled, customer_id, segment
    segments: pl.DataFrame
    rows: dict[int, dict[str, Any]]  # analysed customer id -> assign_segments' row

    def placed(self, segment: str) -> list[dict[str, Any]]:
        """The rows of the customers placed in ``segment``."""
        ids = self.segments.filter(pl.col("segment") == segment)["customer_id"].to_list()
        return [self.rows[i] for i in ids]

    def score(self, archetype: str) -> tuple[float, float, int, int]:
        """Precision, recall, placed and planted customers of one archetype."""
        frame = self.segments
        hits = frame.filter(
            (pl.col("archetype") == archetype) & (pl.col("segment") == archetype)
        ).height
        placed = frame.filter(pl.col("segment") == archetype).height
        planted = frame.filter(pl.col("archetype") == archetype).height
        return hits / max(placed, 1), hits / max(planted, 1), placed, planted


def _policies(data: DemoData) -> tuple[dict[int, SlaPolicy], dict[int, list[str]]]:
    calendars = {spec.id: spec.engine() for spec in data.calendars}
    targets = data.frames["contracts.slatarget"]
    policies: dict[int, SlaPolicy] = {}
    pausing: dict[int, list[str]] = {}
    # The generator's decimals are integers scaled by 10**decimal_places (load.py): money in
    # cents, the near-breach share in hundredths.
    for row in data.frames["contracts.slapolicy"].iter_rows(named=True):
        own = targets.filter(pl.col("policy_id") == row["id"])
        policies[row["id"]] = SlaPolicy(
            calendar=calendars[row["calendar_id"]],
            first_response_targets=dict(
                zip(own["priority"], (m * 60 for m in own["first_response_minutes"]), strict=True)
            ),
            resolution_targets=dict(
                zip(own["priority"], (m * 60 for m in own["resolution_minutes"]), strict=True)
            ),
            pause_first_response=bool(row["pause_first_response"]),
            near_breach_share=float(row["near_breach_share"]) / 100,
        )
        statuses = row["pausing_statuses"]  # JSON text in the generator's frames
        pausing[row["id"]] = list(json.loads(statuses) if isinstance(statuses, str) else statuses)
    return policies, pausing


def metric_inputs(data: DemoData) -> MetricInputs:
    """The frames ``insights.fetch`` would read from the stored demo."""
    f = data.frames
    contracts = f["contracts.contract"].select(
        pl.col("id").alias("contract_id"), pl.col("sla_policy_id").alias("policy_id")
    )
    tickets = (
        f["service.ticket"]
        .select(
            pl.col("id").alias("ticket_id"),
            "customer_id",
            "contract_id",
            pl.col("priority").cast(pl.Int8),
            "created_at",
            "first_response_at",
            "resolved_at",
            "reopen_count",
            "agent_touches",
            pl.col("catalogue_item_id").alias("item_id"),
            "is_special_request",
            "is_escalated",
            "is_complaint",
        )
        .join(contracts, on="contract_id", how="left")
    )
    policies, pausing = _policies(data)
    changes = f["service.ticketstatuschange"].select("ticket_id", "changed_at", "status")
    sla = evaluate_tickets(
        tickets.select(
            "ticket_id", "policy_id", "priority", "created_at", "first_response_at", "resolved_at"
        ),
        pauses_from_status_changes(
            changes.join(tickets.select("ticket_id", "policy_id"), on="ticket_id"), pausing
        ),
        policies,
        now=data.period_end,
    )
    items = (
        f["contracts.catalogueitem"]
        .join(
            f["contracts.contract"].select(pl.col("id").alias("contract_id"), "hourly_rate"),
            on="contract_id",
        )
        .select(
            pl.col("id").alias("item_id"),
            "included",
            (pl.coalesce("rate", "hourly_rate").cast(pl.Float64) / 100).alias("rate"),
        )
    )
    return MetricInputs(
        tickets=tickets,
        sla=sla,
        time_entries=f["service.timeentry"].select(
            "customer_id",
            "ticket_id",
            "started_at",
            "minutes",
            "billing",
            pl.lit(None, pl.Float64).alias("loaded_cost"),
            (pl.col("billed_amount").cast(pl.Float64) / 100).alias("billed_amount"),
        ),
        revenue=f["contracts.revenueline"].select(
            "customer_id",
            "period",
            (pl.col("amount").cast(pl.Float64) / 100).alias("amount"),
            (pl.col("direct_cost").cast(pl.Float64) / 100).alias("direct_cost"),
            "kind",
        ),
        surveys=f["surveys.surveyanswer"].select(
            "customer_id",
            "kind",
            "sent_at",
            "answered_at",
            "score",
            "scale_min",
            "scale_max",
            (pl.col("comment").fill_null("") != "").alias("has_comment"),
        ),
        interactions=f["service.interaction"].select("customer_id", "occurred_at"),
        customers=f["customers.customer"].select(
            pl.col("id").alias("customer_id"), "seats", "endpoints"
        ),
        items=items,
    )


def analyse_demo(
    *,
    customers: int,
    months: int,
    seed: int,
    end: date = date(2026, 3, 1),
    thresholds: SegmentThresholds | None = None,
) -> Analysed:
    """Generate the demo and place its customers as ``analyze()`` does, as of its last month."""
    data = generate(customers=customers, months=months, seed=seed, end=end)
    inputs = metric_inputs(data)
    quarters = customer_period_metrics(
        inputs, kind="quarter", timezone=TIMEZONE, loaded_cost_per_hour=LOADED_COST_PER_HOUR
    )
    baseline = portfolio_baseline(quarters)
    quarters = with_portfolio_comparison(quarters, baseline)
    customers = data.frames["customers.customer"]
    segments = assign_segments(
        quarters,
        baseline.frame,
        as_of_quarter=last_complete_quarter(end),
        thresholds=thresholds,
        cancelled=customers.filter(pl.col("status") == "cancelled")["id"].to_list(),
    )
    reference = data.frames["customers.customerreference"].select(
        "customer_id", pl.col("external_id").alias("customer_external_id")
    )
    placed = segments.select("customer_id", "segment").join(reference, on="customer_id")
    truth = data.ground_truth.select("customer_external_id", "archetype", "cancelled")
    frame = truth.join(placed, on="customer_external_id", how="left")
    # The reasons stay Python objects here: joining them in a frame would turn them into
    # structs with every key of every condition.
    rows = {row["customer_id"]: row for row in segments.iter_rows(named=True)}
    return Analysed(data=data, quarters=quarters, segments=frame, rows=rows)
