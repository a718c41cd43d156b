"""Every claim of a segment's description holds for every customer the demo places in it.

The descriptions (``insights.messages.SEGMENT_DESCRIPTIONS``) are checked claim by claim
against the figures and reasons of each placed customer, on a short and a long history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from solidground.engine.segments import SEGMENTS, SegmentThresholds
from solidground.insights.messages import SEGMENT_DESCRIPTIONS, segment_description
from tests.engine.demo_engine import analyse_demo

pytestmark = pytest.mark.slow

T = SegmentThresholds()
RISK = {"sla_resolution_low", "sla_response_low", "unhappy_high", "noticed_high", "csat_falling"}
SIGNS = {"sla_resolution_under", "sla_response_under", "unhappy_over", "noticed_over"}
# The near misses and the test each belongs to (a late ticket is also noticed negatively).
NEAR = {
    "sla_resolution_near": "reliability",
    "sla_response_near": "reliability",
    "noticed_near": "reliability",
    "unhappy_near": "satisfaction",
    "margin_low": "profit",
    "goodwill_high": "goodwill",
    "goodwill_creeping": "goodwill",
    "contact_high": "contact",
    "tickets_rising": "contact",
}


def _tests_near(row: dict[str, Any]) -> int:
    return len({NEAR[key] for key in _met(row) if key in NEAR})


def _met(row: dict[str, Any]) -> set[str]:
    return {c["key"] for c in row["reasons"] if c["met"]}


def _solid(row: dict[str, Any], cancelled: bool) -> None:
    # "Reliable, not unhappy and profitable with room to spare: a margin of at least 10%, no
    # at-risk sign and near misses on one test at most."
    assert not cancelled
    assert row["figures"]["margin_share"] >= T.margin_thin
    assert not _met(row) & (RISK | SIGNS)
    assert _tests_near(row) <= 1


def _watch(row: dict[str, Any], cancelled: bool) -> None:
    # "Not solid: cancelled, a margin close to zero, or just inside the line on several tests.
    # The reasons say which."
    met = _met(row)
    margin = row["figures"]["margin_share"]
    assert (
        cancelled
        or margin is None
        or margin < T.margin_thin
        or _tests_near(row) >= T.watch_near_misses
    )
    assert ("cancelled" in met) == cancelled
    assert not met & RISK


def _trap(row: dict[str, Any], cancelled: bool) -> None:
    # "Goodwill work high or rising, contact intensity high or rising, and the margin falling,
    # low, or eaten by goodwill work."
    met = _met(row)
    assert met & {"goodwill_high", "goodwill_creeping"}
    assert met & {"contact_high", "tickets_rising"}
    assert met & {"margin_falling", "margin_low", "goodwill_cost_rising"}


def _at_risk(row: dict[str, Any], cancelled: bool) -> None:
    # "Service clearly below the usual: SLA missed, unhappy answers, tickets noticed negatively
    # or CSAT falling; or cancelled after such problems."
    met = _met(row)
    assert met & RISK or (cancelled and "cancelled" in met and met & SIGNS)


def _unprofitable(row: dict[str, Any], cancelled: bool) -> None:
    # "Costs more than it pays: agreement margin below zero."
    figures = row["figures"]
    assert (figures["margin_share"] is not None and figures["margin_share"] < 0) or (
        figures["revenue"] <= 0
    )


def _quiet(row: dict[str, Any], cancelled: bool) -> None:
    # "Little contact and no survey answers: satisfaction unknown."
    assert row["figures"]["contact_intensity"] < T.quiet_contact
    assert row["figures"]["answers"] == 0


def _unclassified(row: dict[str, Any], cancelled: bool) -> None:
    # "No activity in the window."
    assert row["figures"]["tickets"] == 0
    assert not row["figures"]["revenue"]


CLAIMS: dict[str, Callable[[dict[str, Any], bool], None]] = {
    "solid": _solid,
    "watch": _watch,
    "service_trap": _trap,
    "at_risk": _at_risk,
    "unprofitable": _unprofitable,
    "quiet": _quiet,
    "unclassified": _unclassified,
}


def test_every_segment_has_a_description_and_its_claims() -> None:
    assert set(SEGMENT_DESCRIPTIONS) == set(SEGMENTS) == set(CLAIMS)
    with translation.override("en"):
        # The margin it names is the rule's (SegmentThresholds.margin_thin).
        assert "at least 10%," in segment_description("solid")
        assert "at least 15%," in segment_description("solid", {"margin_thin": 0.15})


@pytest.mark.parametrize(("months", "seed", "customers"), [(12, 1, 60), (24, 11, 90)])
def test_each_description_is_true_of_every_customer_placed_in_it(
    months: int, seed: int, customers: int
) -> None:
    analysed = analyse_demo(customers=customers, months=months, seed=seed)
    cancelled = dict(
        zip(
            analysed.segments["customer_id"].to_list(),
            analysed.segments["cancelled"].to_list(),
            strict=True,
        )
    )
    placed = dict.fromkeys(SEGMENTS, 0)
    for customer, row in analysed.rows.items():
        placed[row["segment"]] += 1
        try:
            CLAIMS[row["segment"]](row, bool(cancelled[customer]))
        except AssertionError:
            print(row["segment"], row["figures"], row["reasons"])
            raise
    # The demo places customers in every segment a provider would see (none is untested).
    assert all(placed[s] for s in ("solid", "service_trap", "at_risk", "quiet", "unprofitable"))
