"""End to end: the planted archetypes show in the stored analysis (issue 2's "done means")."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from solidground.demo.actions import build_demo
from solidground.insights.actions import analyze
from solidground.insights.models import CustomerPeriod, TicketSla

pytestmark = pytest.mark.django_db


def test_trap_has_highest_goodwill_share_and_at_risk_most_breaches_in_the_analysis() -> None:
    summary = build_demo(customers=20, months=9, seed=3, end=date(2025, 6, 1), fresh=False)
    truth = pl.read_csv(summary.ground_truth_path, comment_prefix="#").select("name", "archetype")

    analyze(now=None)

    periods = pl.DataFrame(
        list(
            CustomerPeriod.objects.filter(period_kind="quarter").values(
                "customer__name", "hours_goodwill", "hours_billed", "hours_included"
            )
        )
    ).join(truth, left_on="customer__name", right_on="name")
    goodwill = (
        periods.group_by("archetype")
        .agg(
            share=pl.col("hours_goodwill").sum()
            / (pl.col("hours_goodwill") + pl.col("hours_billed") + pl.col("hours_included")).sum()
        )
        .sort("share", descending=True)
    )
    assert goodwill["archetype"][0] == "service_trap"

    verdicts = pl.DataFrame(
        list(
            TicketSla.objects.exclude(resolution_state="").values(
                "ticket__customer__name", "resolution_state"
            )
        )
    ).join(truth, left_on="ticket__customer__name", right_on="name")
    breached = (
        verdicts.filter(pl.col("resolution_state").is_in(["met", "breached"]))
        .group_by("archetype")
        .agg(late=(pl.col("resolution_state") == "breached").mean())
        .sort("late", descending=True)
    )
    assert breached["archetype"][0] == "at_risk"
    assert breached["late"][0] > 2 * breached["late"][1]
