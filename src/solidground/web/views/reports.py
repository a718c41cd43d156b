"""The review downloads: the service review on the customer page, the portfolio review on the
portfolio page (docs/reports.md).

Thin: the reports app reads the stored results (None for a customer the viewer may not see:
404) and renders the PDF; nothing is analysed in the request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation

from solidground.reports.periods import ReportInputError
from solidground.reports.portfolio import portfolio_review
from solidground.reports.render import (
    as_bytes,
    customer_file,
    file_name,
    portfolio_file_name,
    portfolio_html,
)
from solidground.reports.selectors import customer_review, review_period
from solidground.web.access import dashboard_view, viewer_of


@dashboard_view
def customer_review_pdf(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer version of the review as PDF: ``?period=2026Q3``, else the last complete
    quarter. A period that cannot be reviewed sends the user back with one sentence."""
    viewer = viewer_of(request)
    if not viewer.may_see(customer_id):
        raise Http404
    language = translation.get_language() or settings.LANGUAGE_CODE
    back = redirect("web:customer", customer_id=customer_id)
    try:
        period = review_period(request.GET.get("period", ""), today=timezone.localdate())
    except ReportInputError as exc:
        messages.warning(request, str(exc))
        return back
    review = customer_review(
        viewer=viewer, customer_id=customer_id, period=period, language=language
    )
    if review is None:
        raise Http404
    response = HttpResponse(customer_file(review, language, "pdf"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_name(review, "pdf")}"'
    return response


@dashboard_view
def portfolio_review_pdf(request: HttpRequest) -> HttpResponse:
    """The owner's portfolio review as PDF, over the customers the viewer may see (an account
    manager's covers their own customers). Without an analysis: back with one sentence."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    review = portfolio_review(viewer=viewer_of(request), language=language)
    if review.as_of is None or not review.sections:
        messages.warning(
            request, translation.gettext("There is no analysis yet to write a portfolio review of.")
        )
        return redirect("web:portfolio")
    data = as_bytes(portfolio_html(review, language=language), "pdf")
    response = HttpResponse(data, content_type="application/pdf")
    name = portfolio_file_name(review.as_of, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
