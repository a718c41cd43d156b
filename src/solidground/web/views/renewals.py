"""The renewals page: contracts due for renewal or notice in the next 30/90/180 days, with
their risk and its reasons, ordered by revenue at risk; for owners and managers also how the
model was fitted and how well it did on held-out time."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from solidground.renewals.charts import survival_chart
from solidground.renewals.display import calendar_rows, model_rows
from solidground.renewals.selectors import (
    DEFAULT_WINDOW,
    WINDOWS,
    portfolio_statistics,
    renewal_calendar,
)
from solidground.web.access import dashboard_view, viewer_of
from solidground.web.params import int_or_none


@dashboard_view
def renewals(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    notices: list[str] = []
    days = DEFAULT_WINDOW
    text = request.GET.get("days", "").strip()
    if text:
        asked = int_or_none(text)
        if asked in WINDOWS:
            days = asked
        else:
            notices.append(
                gettext("Choose 30, 90 or 180 days; showing the next %(days)s days.")
                % {"days": DEFAULT_WINDOW}
            )
    calendar = renewal_calendar(viewer=viewer, days=days)
    statistics = portfolio_statistics(viewer=viewer)
    context = {
        "nav": "renewals",
        "calendar": calendar,
        "rows": calendar_rows(calendar),
        "windows": WINDOWS,
        "notices": notices,
        "statistics": statistics,
        "model": model_rows(statistics) if statistics is not None else None,
        "chart": survival_chart(statistics.curves) if statistics is not None else None,
    }
    return render(request, "web/renewals.html", context)
