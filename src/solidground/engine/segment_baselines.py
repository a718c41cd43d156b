"""Comparisons with the past in the segment rules (``solidground.engine.segments``, "Baselines").

A customer's window is compared with the same window a year before when the data cover all of
it, else with the first half of its history (``first_half``), else with nothing
(``not_enough_history``, kept in the reasons): :func:`baseline_of` chooses; the tests that
compare (CSAT falling, margin falling, goodwill cost rising) each name the baseline they used.
"""

from __future__ import annotations

from solidground.engine.segment_conditions import (
    Baseline,
    Condition,
    Row,
    SegmentThresholds,
    condition,
    newcombe,
    to_float,
)

__all__ = ["baseline_of", "csat_fall", "goodwill_cost_rising", "margin_falling"]


def baseline_of(row: Row, t: SegmentThresholds) -> Baseline:
    """Which baseline the comparisons with the past use for this customer (segments docstring).

    ``reference_quarters``: the year before's quarters with data, when it was only partly
    covered (then the first half of the history is used instead).
    """
    year_quarters = int(row.get("year_before_quarters") or 0)
    complete = year_quarters >= t.window_quarters and not int(row.get("year_before_partial") or 0)
    if complete:
        return Baseline("year_before")
    half = int(row.get("half_quarters") or 0)
    if half >= 1:
        return Baseline(
            "first_half",
            quarters=half,
            reference_start=row.get("first_half_start"),
            start=row.get("second_half_start"),
            reference_quarters=year_quarters,
        )
    return Baseline(
        "not_enough_history",
        quarters=int(row["quarters_with_data"]),
        reference_quarters=year_quarters,
    )


def _csat_comparisons(baseline: Baseline) -> list[tuple[str, str, str, str, str]]:
    """(name, positive, responses, reference positive, reference responses) columns of each
    comparison of CSAT: the quarter before, then the baseline."""
    comparisons = [
        (
            "previous_quarter",
            "csat_positive_last",
            "csat_responses_last",
            "csat_positive_prev",
            "csat_responses_prev",
        )
    ]
    if baseline.kind == "year_before":
        comparisons.append(
            (
                "year_before",
                "csat_positive",
                "csat_responses",
                "csat_positive_year_before",
                "csat_responses_year_before",
            )
        )
    elif baseline.kind == "first_half":
        comparisons.append(
            (
                "first_half",
                "csat_positive_second_half",
                "csat_responses_second_half",
                "csat_positive_first_half",
                "csat_responses_first_half",
            )
        )
    return comparisons


def csat_fall(row: Row, alpha: float, baseline: Baseline) -> Condition:
    """CSAT fell significantly (Newcombe) against the quarter before or the baseline: the
    first comparison that holds, else the first that could be made."""
    best: Condition | None = None
    for name, s1, n1, s2, n2 in _csat_comparisons(baseline):
        a, na, b, nb = (int(row.get(k) or 0) for k in (s1, n1, s2, n2))
        if na == 0 or nb == 0:
            continue
        diff, low, high = newcombe(a, na, b, nb, alpha)
        params = (
            {k: v for k, v in baseline.as_params().items() if k != "baseline"}
            if name == "first_half"
            else {}
        )
        found = condition(
            "csat_falling",
            bool(high < 0),
            baseline=name,
            value=a / na,
            reference=b / nb,
            change=diff,
            low=low,
            high=high,
            n=na,
            reference_n=nb,
            **params,
        )
        if found.met or best is None:
            best = found
        if found.met:
            break
    return best or condition("csat_falling", False, value=None, n=0)


def _against_baseline(
    row: Row, figure: str, baseline: Baseline
) -> tuple[float | None, float | None]:
    """A window figure and its reference: the year before, or the history's two halves."""
    if baseline.kind == "year_before":
        return to_float(row[figure]), to_float(row.get(f"{figure}_year_before"))
    if baseline.kind == "first_half":
        return to_float(row.get(f"{figure}_second_half")), to_float(row.get(f"{figure}_first_half"))
    return to_float(row[figure]), None


def margin_falling(row: Row, t: SegmentThresholds, baseline: Baseline) -> Condition:
    """Agreement margin against the baseline: the year before, or the history's first half."""
    value, reference = _against_baseline(row, "margin_share", baseline)
    change = value - reference if value is not None and reference is not None else None
    return condition(
        "margin_falling",
        change is not None and change <= -t.margin_fall,
        value=value,
        reference=reference,
        change=change,
        threshold=t.margin_fall,
        **baseline.as_params(),
    )


def goodwill_cost_rising(row: Row, t: SegmentThresholds, baseline: Baseline) -> Condition:
    """Goodwill work's cost as a share of revenue, up by at least ``margin_fall`` against the
    baseline: margin the goodwill takes, even where billed extras keep the total margin up."""
    value, reference = _against_baseline(row, "goodwill_cost_share", baseline)
    change = value - reference if value is not None and reference is not None else None
    return condition(
        "goodwill_cost_rising",
        change is not None and change >= t.margin_fall,
        value=value,
        reference=reference,
        change=change,
        threshold=t.margin_fall,
        **baseline.as_params(),
    )
