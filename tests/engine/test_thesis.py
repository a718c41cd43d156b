"""The thesis test's groups and verdicts (engine.thesis): a verdict follows what the 95%
intervals allow, and a group is what docs/analysis.md says it is."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest

from solidground.engine import thesis

SEED = 20261202


def _quarter(customer: int, start: date, **figures: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(thesis.SUMMED, 0.0)
    row |= {"customer_id": customer, "period_start": start, "contact_intensity": 1.0, "seats": 10}
    row |= figures
    return row


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows).with_columns(pl.col("period_start").cast(pl.Date))


def test_a_window_sums_four_quarters_and_knows_the_year_before() -> None:
    starts = [
        date(2024, 1, 1),
        date(2024, 4, 1),
        date(2024, 7, 1),
        date(2024, 10, 1),
        date(2025, 1, 1),
    ]
    starts += [date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)]
    quarters = _frame(
        [_quarter(1, s, tickets=10.0, revenue=1000.0 * (i + 1)) for i, s in enumerate(starts)]
    )

    windows = thesis.window_figures(quarters)

    last = windows.filter(pl.col("window_end") == date(2025, 10, 1)).row(0, named=True)
    assert last["tickets"] == 40
    assert last["quarters"] == 4
    assert last["revenue"] == 5000 + 6000 + 7000 + 8000
    assert last["revenue_before"] == 1000 + 2000 + 3000 + 4000


@pytest.mark.parametrize(
    ("figures", "group"),
    [
        (
            {"csat_responses": 10.0, "csat_positive": 6.0, "csat_negative": 3.0, "answers": 10.0},
            "unhappy",
        ),
        (
            # Promoters with high contact intensity and goodwill: fan-like.
            {
                "nps_responses": 4.0,
                "nps_promoters": 3.0,
                "answers": 4.0,
                "contact_intensity": 2.0,
                "hours_goodwill": 20.0,
                "hours_included": 80.0,
                "tickets": 50.0,
            },
            "fan_like",
        ),
        (
            # The same promoters with ordinary contact: satisfied if CSAT is positive too.
            {
                "nps_responses": 4.0,
                "nps_promoters": 3.0,
                "csat_responses": 10.0,
                "csat_positive": 10.0,
                "answers": 14.0,
                "tickets": 50.0,
                "noticed_negatively": 4.0,
            },
            "satisfied",
        ),
        ({"tickets": 30.0}, "silent"),
        (
            # Positive answers but a third of the tickets noticed negatively: not satisfied.
            {
                "csat_responses": 10.0,
                "csat_positive": 9.0,
                "answers": 10.0,
                "tickets": 30.0,
                "noticed_negatively": 10.0,
            },
            "other",
        ),
    ],
)
def test_groups_follow_the_documented_rules(figures: dict[str, float], group: str) -> None:
    quarters = _frame([_quarter(1, date(2025, 1, 1), **figures)])
    windows = thesis.assign_groups(thesis.window_figures(quarters))
    # The quarter belongs to the four windows that end with it or in the next three quarters.
    assert windows.height == 4
    assert windows.filter(pl.col("window_end") == date(2025, 1, 1))["group"].to_list() == [group]


def _latest(fan: dict[str, np.ndarray], satisfied: dict[str, np.ndarray]) -> pl.DataFrame:
    parts = []
    for group, values in (("fan_like", fan), ("satisfied", satisfied)):
        size = len(next(iter(values.values())))
        frame = {key: np.full(size, 1.0) for key in thesis.COST_MEASURES} | values
        parts.append(pl.DataFrame(frame).with_columns(group=pl.lit(group)))
    return pl.concat(parts)


def test_cost_verdict_supported_contradicted_or_cannot_tell() -> None:
    rng = np.random.default_rng(SEED)
    fans_cost_more = _latest(
        {"goodwill_share": rng.normal(0.25, 0.05, 30), "margin_share": rng.normal(0.25, 0.05, 30)},
        {"goodwill_share": rng.normal(0.03, 0.01, 60), "margin_share": rng.normal(0.40, 0.05, 60)},
    )
    assert thesis.cost_question(fans_cost_more).verdict == "supported"

    fans_cheaper = _latest(
        {"goodwill_share": rng.normal(0.01, 0.005, 30), "margin_share": rng.normal(0.5, 0.05, 30)},
        {"goodwill_share": rng.normal(0.05, 0.01, 60), "margin_share": rng.normal(0.4, 0.05, 60)},
    )
    assert thesis.cost_question(fans_cheaper).verdict == "contradicted"

    two_fans = _latest(
        {"goodwill_share": np.array([0.3, 0.1]), "margin_share": np.array([0.1, 0.5])},
        {"goodwill_share": rng.normal(0.03, 0.01, 60), "margin_share": rng.normal(0.4, 0.05, 60)},
    )
    answer = thesis.cost_question(two_fans)
    assert answer.verdict == "cannot_tell"
    assert answer.n == {"fan_like": 2, "satisfied": 60}


def _contract_rows(groups: list[str], cancelled: list[bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "contract_id": list(range(1, len(groups) + 1)),
            "period_start": [date(2025, 4, 1)] * len(groups),
            "group": groups,
            "event": cancelled,
            "start": [0.0] * len(groups),
            "stop": [3.0] * len(groups),
            "fan_like": [1.0 if g == "fan_like" else 0.0 for g in groups],
            "noticed_negatively": [1.0] * len(groups),
        }
    )


def _expansions(contract_ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "contract_id": contract_ids,
            "kind": ["expanded"] * len(contract_ids),
            "occurred_on": [date(2025, 5, 1)] * len(contract_ids),
        },
        schema={"contract_id": pl.Int64, "kind": pl.String, "occurred_on": pl.Date},
    )


def test_renewal_verdict_follows_expansions_of_fans_and_satisfied() -> None:
    # Enough contracts that "kept" rules out an advantage of the fans beyond 5 points.
    groups = ["fan_like"] * 400 + ["satisfied"] * 800
    rows = _contract_rows(groups, [False] * 1200)
    satisfied_grow = _expansions(list(range(401, 401 + 300)))
    answer = thesis.renewal_question(rows, satisfied_grow)
    assert answer.verdict == "supported"
    expanded = next(m for m in answer.measures if m.key == "expanded")
    assert expanded.fan_like == 0
    assert expanded.satisfied == pytest.approx(300 / 800)
    assert expanded.high is not None
    assert expanded.high < 0

    fans_grow = _expansions(list(range(1, 1 + 25)))
    assert thesis.renewal_question(rows, fans_grow).verdict == "contradicted"

    few = _contract_rows(["fan_like"] * 3 + ["satisfied"] * 3, [False] * 6)
    assert thesis.renewal_question(few, _expansions([4])).verdict == "cannot_tell"


def test_fans_expanding_less_does_not_support_the_thesis_while_they_may_renew_far_more() -> None:
    # given 12 fans who all stayed and 100 satisfied customers of whom 16 cancelled: the
    # fans' renewal advantage can be anything from about -10 to +28 points
    groups = ["fan_like"] * 12 + ["satisfied"] * 100
    cancelled = [False] * 12 + [True] * 16 + [False] * 84
    rows = _contract_rows(groups, cancelled)
    # and 29 satisfied customers expanded, no fan did (significantly fewer)
    answer = thesis.renewal_question(rows, _expansions(list(range(13 + 16, 13 + 16 + 29))))
    expanded = next(m for m in answer.measures if m.key == "expanded")
    kept = next(m for m in answer.measures if m.key == "kept")
    assert expanded.high is not None
    assert expanded.high < 0
    assert kept.high is not None
    assert kept.high > 0.05
    # then "fans do not renew or expand more" is not called supported: the data cannot tell
    assert answer.verdict == "cannot_tell"


def test_without_a_model_the_questions_on_cancellation_cannot_tell() -> None:
    groups = ["fan_like"] * 40 + ["satisfied"] * 80
    rows = _contract_rows(groups, [False] * 120)
    latest = _latest({"goodwill_share": np.full(3, 0.2)}, {"goodwill_share": np.full(3, 0.02)})
    answers = thesis.answer_questions(rows, _expansions(list(range(41, 71))), latest, None)
    assert [a.verdict for a in answers][0::2] == ["cannot_tell", "cannot_tell"]
    assert answers[2].n == {"contracts": 120, "cancellations": 0}
