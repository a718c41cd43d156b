"""The engine's ``unhappy_answer`` finding: every unhappy ticket or relationship answer of the
last 30 days counts; happy, neutral, older, unanswered and NPS answers do not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from solidground.engine.findings import unhappy_answers

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _surveys(rows: list[tuple[int, str, int | None, int, int, datetime | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "score": [r[2] for r in rows],
            "scale_min": [r[3] for r in rows],
            "scale_max": [r[4] for r in rows],
            "answered_at": [r[5] for r in rows],
        },
        schema={
            "customer_id": pl.Int64,
            "kind": pl.String,
            "score": pl.Int64,
            "scale_min": pl.Int64,
            "scale_max": pl.Int64,
            "answered_at": pl.Datetime("us", "UTC"),
        },
    )


def test_recent_unhappy_ticket_and_relationship_answers_become_one_finding_per_customer() -> None:
    surveys = _surveys(
        [
            (1, "ticket_csat", 1, 1, 3, NOW - timedelta(days=2)),  # "Not good"
            (1, "relationship", 2, 1, 5, NOW - timedelta(days=20)),  # 2 of 5
            (1, "ticket_csat", 2, 1, 3, NOW - timedelta(days=1)),  # "Okay": not unhappy
            (1, "ticket_csat", 1, 1, 3, NOW - timedelta(days=40)),  # too old
            (2, "nps", 0, 0, 10, NOW - timedelta(days=1)),  # NPS is not a satisfaction answer
            (2, "ticket_csat", 3, 1, 3, NOW - timedelta(days=1)),  # "Good"
            (3, "ticket_csat", None, 1, 3, None),  # not answered
            (4, "ticket_csat", 1, 1, 5, NOW - timedelta(hours=1)),
        ]
    )

    found = unhappy_answers(surveys, now=NOW)

    assert [(f["customer_id"], f["params"]["answers"]) for f in found] == [(1, 2), (4, 1)]
    first = found[0]
    assert first["kind"] == "unhappy_answer"
    assert first["params"]["latest"] == "2026-11-30"
    assert first["period_start"] == date(2026, 11, 30)
    assert first["severity"] == 3  # urgent


def test_no_unhappy_answer_no_finding() -> None:
    surveys = _surveys([(1, "ticket_csat", 3, 1, 3, NOW - timedelta(days=1))])

    assert unhappy_answers(surveys, now=NOW) == []
