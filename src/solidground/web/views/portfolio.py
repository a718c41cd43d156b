"""Dashboard views: thin readers of stored results, never analytics inside a request."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from solidground.insights.selectors.portfolio import (
    ORDERINGS,
    findings,
    render_finding,
    segments,
)
from solidground.insights.selectors.portfolio import portfolio as portfolio_figures
from solidground.web.access import dashboard_view, viewer_of

MONTH_CHOICES = (3, 6, 12, 24, 36)
COLUMNS = [
    ("name", _("Customer"), False),
    ("", _("Status"), False),
    ("segment", _("Segment"), False),
    ("tickets", _("Tickets"), True),
    ("", _("Hours"), True),
    ("goodwill_share", _("Goodwill share"), True),
    ("revenue", _("Revenue"), True),
    ("margin_share", _("Margin"), True),
    ("csat", _("CSAT"), True),
    ("sla", _("Resolution SLA met"), True),
]


@dashboard_view
def portfolio(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    order = request.GET.get("order", "goodwill_share")
    if order not in ORDERINGS:
        order = "goodwill_share"
    try:
        months = int(request.GET.get("months", settings.PORTFOLIO_MONTHS))
    except ValueError:
        months = settings.PORTFOLIO_MONTHS
    months = min(max(months, 1), 120)
    language = translation.get_language() or settings.LANGUAGE_CODE
    explained = segments(viewer=viewer, language=language)
    context = {
        "result": portfolio_figures(viewer=viewer, months=months, order=order),
        "segments": explained,
        "findings": [
            render_finding(f, language) for f in findings(viewer=viewer, min_severity=2, limit=20)
        ],
        "order": order,
        "months": months,
        "month_choices": sorted({*MONTH_CHOICES, months}),
        "columns": COLUMNS,
    }
    return render(request, "web/portfolio.html", context)


@dashboard_view
def portfolio_csv(request: HttpRequest) -> HttpResponse:
    raise Http404
