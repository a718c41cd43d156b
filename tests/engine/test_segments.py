"""Segment rules on hand-made quarters: each rule, its reasons and what would move it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from solidground.engine.segments import SegmentThresholds, assign_segments

QUARTERS = [
    dt.date(2025, 1, 1),
    dt.date(2025, 4, 1),
    dt.date(2025, 7, 1),
    dt.date(2025, 10, 1),
    dt.date(2026, 1, 1),
    dt.date(2026, 4, 1),
    dt.date(2026, 7, 1),
    dt.date(2026, 10, 1),
]
AS_OF = QUARTERS[-1]


def _quarter(customer: int, start: dt.date, **figures: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": customer,
        "period_start": start,
        "seats": 10,
        "endpoints": 20,
        "tickets": 15,
        "interactions": 3,
        "csat_responses": 5,
        "csat_positive": 5,
        "csat_negative": 0,
        "sla_response_total": 15,
        "sla_response_met": 15,
        "sla_resolution_total": 15,
        "sla_resolution_met": 15,
        "resolved": 15,
        "reopened": 0,
        "noticed_negatively": 1,
        "escalations": 0,
        "complaints": 0,
        "answers": 5,
        "hours_billed": 2.0,
        "hours_included": 20.0,
        "hours_goodwill": 0.5,
        "hours_internal": 1.0,
        "hours_worked": 23.5,
        "revenue": 6000.0,
        "labour_cost": 1400.0,
        "direct_cost": 600.0,
        "out_of_scope_free_hours": 0.0,
        "out_of_scope_free_value": 0.0,
    }
    row.update(figures)
    facing = row["hours_billed"] + row["hours_included"] + row["hours_goodwill"]
    row["goodwill_share"] = row["hours_goodwill"] / facing if facing else None
    row["tickets_per_endpoint"] = row["tickets"] / row["endpoints"] / 3
    row["contacts_per_seat"] = (row["tickets"] + row["interactions"]) / row["seats"] / 3
    return row


def _segments(rows: list[dict[str, Any]], **thresholds: Any) -> dict[int, dict[str, Any]]:
    quarters = pl.DataFrame(rows, infer_schema_length=None)
    baseline = pl.DataFrame(
        {"period_start": QUARTERS, "median_contacts_per_seat": [0.6] * len(QUARTERS)}
    )
    result = assign_segments(
        quarters, baseline, as_of_quarter=AS_OF, thresholds=SegmentThresholds(**thresholds)
    )
    return {row["customer_id"]: row for row in result.iter_rows(named=True)}


def _keys(conditions: list[dict[str, Any]]) -> set[str]:
    return {condition["key"] for condition in conditions}


def test_a_reliable_satisfied_profitable_customer_is_solid() -> None:
    result = _segments([_quarter(1, q) for q in QUARTERS])[1]

    assert result["segment"] == "solid"
    assert result["window_start"] == dt.date(2026, 1, 1)
    assert "sla_resolution_low" in _keys(result["reasons"])  # shown with its value, not met


def test_clearly_missed_slas_put_a_customer_at_risk() -> None:
    rows = [_quarter(1, q, sla_resolution_met=10) for q in QUARTERS]

    result = _segments(rows)[1]

    assert result["segment"] == "at_risk"
    reason = result["reasons"][0]
    assert reason["key"] == "sla_resolution_low"
    assert reason["value"] == 40 / 60
    assert reason["high"] < 0.9


def test_one_unhappy_answer_is_not_a_segment() -> None:
    rows = [_quarter(1, q) for q in QUARTERS[:-1]] + [
        _quarter(1, AS_OF, csat_negative=1, csat_positive=4)
    ]

    assert _segments(rows)[1]["segment"] == "solid"


def test_goodwill_contact_and_margin_together_are_the_service_trap() -> None:
    rows = [_quarter(1, q) for q in QUARTERS[:4]] + [
        _quarter(1, q, hours_goodwill=6.0, interactions=30, labour_cost=3600.0, csat_positive=5)
        for q in QUARTERS[4:]
    ]

    result = _segments(rows)[1]

    assert result["segment"] == "service_trap"
    assert {"goodwill_high", "contact_high", "margin_falling"} <= _keys(result["reasons"])


def test_a_negative_margin_without_trap_signals_is_unprofitable() -> None:
    rows = [_quarter(1, q, labour_cost=6000.0) for q in QUARTERS]

    result = _segments(rows)[1]

    assert result["segment"] == "unprofitable"
    assert _keys(result["movers"]) == {"margin_negative"}


def test_little_contact_and_no_answers_is_quiet_not_satisfied() -> None:
    rows = [_quarter(1, q) for q in QUARTERS] + [
        _quarter(
            2,
            q,
            tickets=1,
            interactions=0,
            csat_responses=0,
            csat_positive=0,
            answers=0,
            sla_response_total=1,
            sla_response_met=1,
            sla_resolution_total=1,
            sla_resolution_met=1,
            noticed_negatively=0,
        )
        for q in QUARTERS
    ]

    result = _segments(rows)[2]

    assert result["segment"] == "quiet"
    assert _keys(result["reasons"]) == {"contact_low", "no_answers"}
    assert result["figures"]["csat_responses"] == 0


def test_a_customer_who_left_is_judged_on_its_last_active_year() -> None:
    rows = [_quarter(1, q, sla_resolution_met=8) for q in QUARTERS[:5]]

    result = _segments(rows)[1]

    assert result["window_end"] == QUARTERS[4]
    assert result["segment"] == "at_risk"
