"""The imports pages (being built: issue 9)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from solidground.web.access import dashboard_view


@dashboard_view
def imports(request: HttpRequest) -> HttpResponse:
    raise Http404


@dashboard_view
def upload(request: HttpRequest) -> HttpResponse:
    raise Http404


@dashboard_view
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    raise Http404


@dashboard_view
def rejects(request: HttpRequest, run_id: int) -> HttpResponse:
    raise Http404
