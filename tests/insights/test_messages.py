"""Finding and segment sentences round their numbers as a reader expects."""

from __future__ import annotations

from django.utils import translation

from solidground.insights.messages import render


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
