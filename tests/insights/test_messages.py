"""Finding and segment sentences round their numbers as a reader expects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from solidground.insights.formatting import quarter_window
from solidground.insights.messages import Context, render


def test_hours_in_a_sentence_are_rounded_not_cut() -> None:
    params = {"value": 0.244, "hours": 117.8, "threshold": 0.08}

    with translation.override("en"):
        text = render("goodwill_high", params)

    assert "(118 h)" in text  # not "117 h"
    assert "24%" in text


def test_ratios_keep_one_decimal_rounded_half_up() -> None:
    with translation.override("de"):
        text = render("contact_high", {"value": 2.85})

    assert "2,9" in text


# --------------------------------------------------------------------------------------------
# Two interval levels (docs/analysis.md): each sentence names the level of its interval.

SLA_LOW = {"value": 0.62, "low": 0.5, "high": 0.72, "n": 50, "threshold": 0.9}


@pytest.mark.parametrize(
    ("key", "level"),
    [
        # the at-risk tests: 99% (SegmentThresholds.risk_alpha)
        ("sla_resolution_low", "99"),
        ("sla_response_low", "99"),
        ("unhappy_high", "99"),
        ("noticed_high", "99"),
        ("sla_resolution_under", "99"),
        ("sla_response_under", "99"),
        ("unhappy_over", "99"),
        ("noticed_over", "99"),
        # the quarterly figures of the findings: 95%
        ("sla_resolution_down", "95"),
        ("sla_response_down", "95"),
        ("csat_down", "95"),
        ("reopen_high", "95"),
    ],
)
def test_a_sentence_with_an_interval_names_its_level(key: str, level: str) -> None:
    params = {**SLA_LOW, "reference": 0.9}

    with translation.override("en"):
        english = render(key, params, dt.date(2026, 7, 1))
    with translation.override("de"):
        german = render(key, params, dt.date(2026, 7, 1))

    assert f"({level}% interval 50%–72%" in english
    assert f"({level}-%-Intervall 50\u00a0%–72\u00a0%" in german


def test_the_level_is_the_one_the_analysis_stored() -> None:
    # an analysis run with risk_alpha 0.05 and falling_alpha 0.005 in its stored thresholds
    context = Context.stored({}, {"segments": {"risk_alpha": 0.05, "falling_alpha": 0.005}})
    falling = {"value": 0.8, "reference": 0.9, "n": 40, "baseline": "previous_quarter"}

    with translation.override("en"):
        sla = render("sla_resolution_low", SLA_LOW, context=context)
        csat = render("csat_falling", falling, context=context)
        default = render("csat_falling", falling)
        own = render("sla_resolution_low", {**SLA_LOW, "alpha": 0.1}, context=context)

    assert "(95% interval 50%–72%, 50 tickets)" in sla
    assert csat == "CSAT fell from 90% to 80% (40 answers; significant at the 99.5% level)"
    assert default.endswith("(40 answers; significant at the 99% level)")
    # a condition that carries its own alpha (a later engine) names that one
    assert "(90% interval" in own


def test_the_default_levels_are_the_engines_defaults() -> None:
    from solidground.engine.segments import SegmentThresholds

    defaults = SegmentThresholds()
    assert Context().risk_alpha == defaults.risk_alpha
    assert Context().falling_alpha == defaults.falling_alpha


# --------------------------------------------------------------------------------------------
# A quarter the data cover only in part is named so.

DECEMBER_ON = (dt.date(2025, 12, 3), dt.date(2026, 9, 30))


@pytest.mark.parametrize(
    ("coverage", "english", "german"),
    [
        (None, "Q4 2025–Q3 2026", "Q4 2025–Q3 2026"),
        (DECEMBER_ON, "Q4 2025 (from 3 Dec) – Q3 2026", "Q4 2025 (ab 3. Dez.) – Q3 2026"),
        # a gap of up to 3 days at an edge counts as covered, as in the analysis
        ((dt.date(2025, 10, 4), dt.date(2026, 9, 27)), "Q4 2025–Q3 2026", "Q4 2025–Q3 2026"),
        (
            (dt.date(2025, 10, 1), dt.date(2026, 9, 13)),
            "Q4 2025 – Q3 2026 (to 13 Sep)",
            "Q4 2025 – Q3 2026 (bis 13. Sept.)",
        ),
    ],
)
def test_the_window_says_which_days_of_a_partial_quarter_it_holds(
    coverage: tuple[dt.date, dt.date] | None, english: str, german: str
) -> None:
    first, last = dt.date(2025, 10, 1), dt.date(2026, 7, 1)

    with translation.override("en"):
        assert quarter_window(first, last, coverage) == english
    with translation.override("de"):
        assert quarter_window(first, last, coverage) == german


def test_one_quarter_covered_at_both_ends_names_both_days() -> None:
    coverage = (dt.date(2016, 2, 29), dt.date(2016, 3, 2))
    q1 = dt.date(2016, 1, 1)

    with translation.override("en"):
        assert quarter_window(q1, q1, coverage) == "Q1 2016 (29 Feb to 2 Mar)"
    with translation.override("de"):
        assert quarter_window(q1, q1, coverage) == "Q1 2016 (29. Feb. bis 2. März)"


def test_a_finding_from_a_segment_ends_with_its_window_and_its_partial_quarter() -> None:
    params = {**SLA_LOW, "window_start": "2025-10-01"}
    context = Context(coverage=DECEMBER_ON)

    with translation.override("en"):
        plain = render("sla_resolution_low", params, dt.date(2026, 7, 1))
        partial = render("sla_resolution_low", params, dt.date(2026, 7, 1), context=context)
    with translation.override("de"):
        german = render("sla_resolution_low", params, dt.date(2026, 7, 1), context=context)

    assert plain.endswith("clearly below 90% (Q4 2025–Q3 2026)")
    assert partial.endswith("clearly below 90% (Q4 2025 from 3 Dec – Q3 2026)")
    assert german.endswith("deutlich unter 90\u00a0% (Q4 2025 ab 3. Dez. – Q3 2026)")
