"""The customer page: one customer's figures over time, contracts, findings and history.

Thin: the selector reads stored results (and answers None for a customer the viewer may not
see), the chart builders turn them into Vega-Lite specs, the template shows both.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

from solidground.insights.charts.customer import customer_charts
from solidground.insights.selectors.customer import (
    COMMENTS_MAX,
    COMMENTS_SHOWN,
    EVENTS_SHOWN,
    customer_overview,
)
from solidground.web.access import dashboard_view, viewer_of


def _comment_limit(request: HttpRequest) -> int:
    """How many comments to show (``?comments=``); anything odd falls back to the default
    with a message, never an error."""
    raw = request.GET.get("comments")
    if raw is None:
        return COMMENTS_SHOWN
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= COMMENTS_MAX:
        messages.warning(
            request,
            gettext("“%(value)s” is not a number of comments from 1 to %(max)s; showing %(n)s.")
            % {"value": raw[:20], "max": COMMENTS_MAX, "n": COMMENTS_SHOWN},
        )
        return COMMENTS_SHOWN
    return value


@dashboard_view
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    language = translation.get_language() or settings.LANGUAGE_CODE
    limit = _comment_limit(request)
    overview = customer_overview(
        viewer=viewer_of(request), customer_id=customer_id, language=language, comments=limit
    )
    if overview is None:
        raise Http404
    context = {
        "nav": "portfolio",
        "overview": overview,
        "header": overview.header,
        "charts": customer_charts(overview),
        "events_shown": EVENTS_SHOWN,
        "more_comments": min(limit + COMMENTS_SHOWN, COMMENTS_MAX),
    }
    return render(request, "web/customer.html", context)
