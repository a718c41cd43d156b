"""The review's small rules that need no store: which comments are shown, periods, names."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from solidground.insights.selectors.customer import Comment
from solidground.reports.periods import ReportInputError, last_complete_quarter, parse_period
from solidground.reports.selectors import choose_comments
from solidground.reports.templatetags.review import css_string


def comment(day: int, score: int) -> Comment:
    return Comment(
        answered_at=dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC),
        kind_label="ticket",
        score=score,
        scale_min=1,
        scale_max=5,
        contact="",
        ticket_reference="",
        text=f"comment of day {day}",
    )


def test_comments_keep_the_mix_of_unhappy_and_other_answers() -> None:
    # 20 comments, newest first: 4 unhappy (score 1) on days 20, 15, 10, 5.
    comments = [comment(day, 1 if day % 5 == 0 else 5) for day in range(20, 0, -1)]

    chosen = choose_comments(comments, 6)

    unhappy = [c for c in chosen if c.unhappy]
    assert len(chosen) == 6
    assert len(unhappy) == 1  # 6 places x 4/20 unhappy = 1.2: one place
    assert unhappy[0].answered_at.day == 20  # the newest unhappy one
    assert [c.answered_at.day for c in chosen if not c.unhappy] == [19, 18, 17, 16, 14]


def test_a_single_unhappy_comment_among_many_is_still_shown() -> None:
    comments = [comment(day, 1 if day == 3 else 5) for day in range(28, 0, -1)]

    chosen = choose_comments(comments, 6)

    assert sum(c.unhappy for c in chosen) == 1


def test_few_comments_are_all_shown() -> None:
    comments = [comment(day, 5) for day in (3, 2, 1)]

    assert choose_comments(comments, 6) == comments


def test_periods_are_quarters_or_months() -> None:
    assert parse_period("2026q3").key == "2026Q3"
    assert parse_period("2026-07").end == dt.date(2026, 8, 1)
    assert parse_period("2026Q1").previous.key == "2025Q4"
    assert parse_period("2026Q1").year_before.key == "2025Q1"
    assert last_complete_quarter(dt.date(2026, 11, 1)).key == "2026Q3"
    assert last_complete_quarter(dt.date(2026, 9, 1)).key == "2026Q3"
    with translation.override("en"), pytest.raises(ReportInputError, match="is not a period"):
        parse_period("Q3/2026")


def test_a_name_in_the_page_footer_cannot_end_the_style_sheet() -> None:
    text = css_string('Müller & "Söhne" </style><script>')

    assert "</style>" not in text
    assert '"' not in text
    assert "Müller" in text
