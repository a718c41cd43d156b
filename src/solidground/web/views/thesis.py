"""The thesis page: do fans renew more than satisfied customers, what do they cost, and does
reliability predict cancellation more than enthusiasm? Portfolio-wide statistics, so owners
and managers only (account managers get 403; see renewals/selectors.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from solidground.accounts.selectors import Viewer
from solidground.renewals import texts
from solidground.renewals.display import thesis_rows
from solidground.renewals.selectors import portfolio_statistics
from solidground.web.access import require, viewer_of


def _sees_portfolio(viewer: Viewer) -> bool:
    return viewer.sees_all_customers


@require(_sees_portfolio)
def thesis(request: HttpRequest) -> HttpResponse:
    statistics = portfolio_statistics(viewer=viewer_of(request))
    context = {
        "nav": "thesis",
        "statistics": statistics,
        "answers": thesis_rows(statistics) if statistics is not None else [],
        "groups": [
            (texts.label(texts.GROUPS, group), count)
            for group, count in (statistics.fit.groups if statistics is not None else {}).items()
        ],
    }
    return render(request, "web/thesis.html", context)
