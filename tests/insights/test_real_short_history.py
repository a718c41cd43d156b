"""A real export through the importer, judged honestly on its short history (issue 14).

The ServiceNow incident log in ../shared/data (see its README) is imported exactly as
``solidground import FILE --mapping docs/mappings/servicenow-incident-log.toml`` does, with the
analysis that follows. Its 890 incidents were all opened from 29 February to 2 March 2016;
their updates (resolutions, closures) run to 4 February 2017. So the data cover three days of
new tickets, and their follow-up for eleven months. What a user sees must say exactly that:

- the months and the quarter the data cover only in part are stored as partial with their
  days covered (February 2016: 1 of 29 days, March: 2 of 31, Q1 2016: 3 of 91), and the later
  months, which hold only resolutions, cover no day at all;
- every comparison with the past says "not enough history" (one quarter of data), never a
  silent year before; every trend says it compares partial periods;
- nobody is "solid": no revenue is recorded, so whether a customer is profitable is unknown;
- the segment window is named with the days it holds ("Q1 2016 (29 Feb to 2 Mar)"), never
  a month before the data start, and the intervals say their level.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from solidground.accounts.selectors import Viewer
from solidground.insights.models import (
    AnalysisRun,
    CustomerPeriod,
    CustomerSegment,
    CustomerTrend,
    Finding,
    PeriodKind,
)
from solidground.insights.selectors.findings import finding_views
from solidground.insights.selectors.portfolio import portfolio, segments
from solidground.service.models import Ticket

# The import and the analysis take about half a minute: one test checks everything.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LOG = REPO.parent / "shared" / "data" / "servicenow_incident_event_log_sample.csv"
MAPPING = REPO / "docs" / "mappings" / "servicenow-incident-log.toml"

FEBRUARY = dt.date(2016, 2, 1)
MARCH = dt.date(2016, 3, 1)
Q1 = dt.date(2016, 1, 1)
# The past is compared in these reasons, each naming its baseline (engine.segments).
COMPARISONS = {"margin_falling", "goodwill_cost_rising", "csat_falling"}


@pytest.fixture
def log() -> Path:
    if not LOG.is_file():
        pytest.skip(f"{LOG} is absent: the shared data folder ../shared/data is not checked out")
    return LOG


def _import(log: Path, rejects: Path) -> None:
    # The command a user runs, with the analysis it starts after the import.
    call_command(
        "import", str(log), mapping=MAPPING, rejects=rejects, verbosity=0, stdout=StringIO()
    )


def test_a_real_short_export_is_stored_and_judged_as_the_short_history_it_is(
    log: Path, tmp_path: Path, client: Client
) -> None:
    # given the real ServiceNow log, imported and analysed as `solidground import` does
    _import(log, tmp_path / "rejects.csv")

    # then the import took every incident and the analysis after it finished
    assert Ticket.objects.count() == 890
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.FINISHED
    assert run.customers == 85  # the log's locations stand in for customers
    # the data cover three days of new tickets, as the tickets' own dates say
    assert run.baseline["coverage"] == ["2016-02-29", "2016-03-02"]
    opened = [t.date() for t in Ticket.objects.values_list("created_at", flat=True)]
    assert (min(opened), max(opened)) == (dt.date(2016, 2, 29), dt.date(2016, 3, 2))

    # -- partial periods: stored as partial, with the days covered
    days = {
        (kind, start): (covered, total)
        for kind, start, covered, total in CustomerPeriod.objects.values_list(
            "period_kind", "period_start", "days_covered", "days_in_period"
        ).distinct()
    }
    assert days[(PeriodKind.MONTH, FEBRUARY)] == (1, 29)
    assert days[(PeriodKind.MONTH, MARCH)] == (2, 31)
    assert days[(PeriodKind.QUARTER, Q1)] == (3, 91)
    # no stored period claims to be covered in full
    assert all(covered < total for covered, total in days.values())
    # the months after March hold only resolutions of those tickets: no day covered, no ticket
    later = CustomerPeriod.objects.filter(period_kind=PeriodKind.MONTH, period_start__gt=MARCH)
    assert later.exists()
    assert set(later.values_list("days_covered", "tickets").distinct()) == {(0, 0)}
    # months span February 2016 to January 2017 (the last resolution), quarters Q1 2016 to Q1 2017
    months = sorted({start for kind, start in days if kind == PeriodKind.MONTH})
    assert (months[0], months[-1]) == (FEBRUARY, dt.date(2017, 1, 1))

    # -- trends: every comparison says it involves a partial period; none with a year before
    trends = list(CustomerTrend.objects.values_list("baseline", "partial"))
    assert trends
    assert all(partial for _, partial in trends)
    assert {baseline for baseline, _ in trends} == {"previous"}

    # -- segments: one quarter of data, judged on exactly that quarter
    placed = list(CustomerSegment.objects.all())
    assert len(placed) == 85
    assert {(s.window_start, s.window_end) for s in placed} == {(Q1, Q1)}
    for segment in placed:
        compared = [c for c in segment.reasons if c["key"] in COMPARISONS]
        # every comparison with the past says why it could not judge: never a silent pass,
        # never a year before that the data do not hold
        assert compared, segment.reasons
        assert all(c.get("baseline") == "not_enough_history" for c in compared)
        assert all(c.get("quarters") == 1 for c in compared)
        assert not any(c.get("baseline") == "year_before" for c in segment.reasons)
    # no revenue in an incident log: profit unknown, so nobody is solid (all "watch")
    assert Counter(s.segment for s in placed) == {"watch": 85}

    with translation.override("en"):
        views = segments(viewer=Viewer.everyone())
        table = portfolio(viewer=Viewer.everyone(), months=12)
        found = finding_views(Finding.objects.select_related("customer"))
    reasons = [reason for view in views.values() for reason in view.reasons]
    assert reasons.count("no revenue recorded: whether it is profitable is unknown") == 85
    assert (
        reasons.count(
            "agreement margin no data; not enough history to judge its trend (quarters of data: 1)"
        )
        == 85
    )

    # -- the window names the days it holds, and no month before the data start
    assert {view.window_label for view in views.values()} == {"Q1 2016 (29 Feb to 2 Mar)"}
    assert table.first_month == FEBRUARY  # not March 2015: "12 months" of this log start here
    with translation.override("en"):  # the label is put in the reader's language when shown
        assert table.segment_window_label == "Q1 2016 (29 Feb to 2 Mar)"
    with translation.override("de"):
        assert table.segment_window_label == "Q1 2016 (29. Feb. bis 2. März)"

    # -- findings: each names its interval's level and its quarter's days
    assert found
    for view in found:
        assert view.period_label == "Q1 2016 (29 Feb to 2 Mar)"
        if view.kind == "reopen_high":
            assert "(95% interval " in view.text

    # -- and the pages say the same
    User.objects.create_superuser("manager", password="a-long-test-password")
    client.force_login(User.objects.get(username="manager"))
    page = html.unescape(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Segments are judged on the quarters Q1 2016 (29 Feb to 2 Mar)" in page
    busiest = Counter(Ticket.objects.values_list("customer_id", flat=True)).most_common(1)[0][0]
    page = html.unescape(
        client.get(f"/customers/{busiest}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "judged on Q1 2016 (29 Feb to 2 Mar)" in page
