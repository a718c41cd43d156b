"""Trends use the test that fits the figure; checked against statsmodels."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from statsmodels.stats import rates
from statsmodels.stats.proportion import confint_proportions_2indep

from solidground.engine.trends import creep, figure_changes

Q1, Q2 = dt.date(2026, 1, 1), dt.date(2026, 4, 1)
LAST_YEAR = dt.date(2025, 4, 1)


def _quarter(start: dt.date, **figures: float) -> dict[str, object]:
    row: dict[str, object] = {"customer_id": 1, "period_start": start}
    for column in (
        "csat_positive",
        "csat_responses",
        "csat_negative",
        "sla_response_met",
        "sla_response_total",
        "sla_resolution_met",
        "sla_resolution_total",
        "first_contact_resolved",
        "first_contact_total",
        "reopened",
        "resolved",
        "noticed_negatively",
        "tickets",
        "surveys_answered",
        "surveys_sent",
        "interactions",
        "special_requests",
        "escalations",
        "complaints",
        "after_hours_contacts",
    ):
        row[column] = 0
    for column in (
        "goodwill_share",
        "margin_share",
        "contacts_per_seat",
        "tickets_per_endpoint",
        "effective_hourly_rate",
    ):
        row[column] = None
    row.update(figures)
    return row


def _changes(rows: list[dict[str, object]]) -> pl.DataFrame:
    return figure_changes(pl.DataFrame(rows, infer_schema_length=None), kind="quarter")


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2"), [(71, 100, 94, 100), (9, 10, 20, 20), (1, 1, 0, 3)]
)
def test_share_changes_carry_newcombes_interval(s1: int, n1: int, s2: int, n2: int) -> None:
    rows = [
        _quarter(Q1, sla_resolution_met=s2, sla_resolution_total=n2),
        _quarter(Q2, sla_resolution_met=s1, sla_resolution_total=n1),
    ]

    change = _changes(rows).filter(pl.col("figure") == "sla_resolution").to_dicts()[0]

    low, high = confint_proportions_2indep(s1, n1, s2, n2, method="newcomb", compare="diff")
    assert change["baseline"] == "previous"
    assert change["change"] == pytest.approx(s1 / n1 - s2 / n2)
    assert (change["low"], change["high"]) == (pytest.approx(low), pytest.approx(high))
    assert change["significant"] == bool(low > 0 or high < 0)


def test_a_period_without_answers_has_no_share_change() -> None:
    rows = [_quarter(Q1, csat_positive=5, csat_responses=5), _quarter(Q2)]

    changes = _changes(rows)

    assert changes.filter(pl.col("figure") == "csat").height == 0


def test_count_changes_use_the_poisson_rate_test() -> None:
    rows = [_quarter(Q1, tickets=20), _quarter(Q2, tickets=36)]

    change = _changes(rows).filter(pl.col("figure") == "tickets").to_dicts()[0]

    # Exposure is the days in each quarter: 90 (Q1 2026) and 91 (Q2).
    expected = rates.test_poisson_2indep(36, 91, 20, 90, method="cond-midp")
    assert change["p_value"] == pytest.approx(expected.pvalue)
    assert change["change"] == pytest.approx((36 / 91) / (20 / 90))


def test_the_same_quarter_a_year_before_is_compared_too() -> None:
    rows = [
        _quarter(LAST_YEAR, csat_positive=19, csat_responses=20),
        _quarter(Q2, csat_positive=12, csat_responses=20),
    ]

    change = _changes(rows).filter(pl.col("figure") == "csat").to_dicts()[0]

    assert change["baseline"] == "year_before"
    assert change["reference_start"] == LAST_YEAR


def test_creep_needs_a_rise_in_each_consecutive_quarter() -> None:
    quarters = pl.DataFrame(
        [
            {"customer_id": c, "period_start": start, "goodwill_share": value}
            for c, values in {
                1: (0.05, 0.08, 0.12),
                2: (0.05, 0.12, 0.12),
                3: (0.05, None, 0.2),
            }.items()
            for start, value in zip((dt.date(2025, 10, 1), Q1, Q2), values, strict=True)
        ]
    )

    result = creep(quarters, "goodwill_share", last_quarter=Q2).sort("customer_id")

    assert result["rising"].to_list() == [True, False, False]
    assert result["values"][0].to_list() == [0.05, 0.08, 0.12]
