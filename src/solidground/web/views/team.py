"""Settings and users (being built: issue 9)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from solidground.web.access import dashboard_view


@dashboard_view
def settings_page(request: HttpRequest) -> HttpResponse:
    raise Http404
