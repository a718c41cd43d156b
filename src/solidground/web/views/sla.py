"""The SLA page (being built: issue 9)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from solidground.web.access import dashboard_view


@dashboard_view
def sla(request: HttpRequest) -> HttpResponse:
    raise Http404


@dashboard_view
def sla_csv(request: HttpRequest) -> HttpResponse:
    raise Http404
