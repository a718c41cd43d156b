"""The findings page (being built: issue 9)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from solidground.web.access import dashboard_view


@dashboard_view
def findings(request: HttpRequest) -> HttpResponse:
    raise Http404


@dashboard_view
def decide(request: HttpRequest, finding_id: int) -> HttpResponse:
    raise Http404
