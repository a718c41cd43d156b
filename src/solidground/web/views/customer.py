"""The customer page (being built: issue 9)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from solidground.web.access import dashboard_view


@dashboard_view
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    raise Http404
