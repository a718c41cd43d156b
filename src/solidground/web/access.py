"""Who may open a page: every view is behind login, gets ``request.viewer``, and answers 404
for a customer the viewer may not see (never the data, never a hint that it exists).

The rule itself lives in ``solidground.accounts.selectors.Viewer``; selectors filter with it,
so a view that forgets a check still cannot show another account manager's customer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Concatenate, ParamSpec, overload

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_http_methods

from solidground.accounts.selectors import Viewer, viewer_for
from solidground.customers.models import Customer

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def viewer_of(request: HttpRequest) -> Viewer:
    """The request's viewer, looked up once per request."""
    cached: Viewer | None = getattr(request, "_solidground_viewer", None)
    if cached is None:
        cached = viewer_for(request.user)
        request._solidground_viewer = cached  # type: ignore[attr-defined]
    return cached


# What a page answers unless it says otherwise: reading only. PUT, DELETE, PATCH, TRACE and
# OPTIONS are never needed by a browser here, and answering them (TRACE with the page) only
# widens what a probe can learn; a view that a form posts to adds "POST".
READ_ONLY: tuple[str, ...] = ("GET", "HEAD")


def _only(methods: Collection[str], view: View[P]) -> View[P]:
    """405 (with ``Allow``) for any other method, before login: the answer does not depend
    on who asks."""
    return require_http_methods(list(methods))(view)


@overload
def dashboard_view(view: View[P], /, *, methods: Collection[str] = READ_ONLY) -> View[P]: ...


@overload
def dashboard_view(*, methods: Collection[str] = READ_ONLY) -> Callable[[View[P]], View[P]]: ...


def dashboard_view(
    view: View[P] | None = None, /, *, methods: Collection[str] = READ_ONLY
) -> View[P] | Callable[[View[P]], View[P]]:
    """Login required; the view reads ``viewer_of(request)``; only ``methods`` are answered
    (others 405). Use bare (``@dashboard_view``) or with ``methods=("GET", "HEAD", "POST")``."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            viewer_of(request)
            return view(request, *args, **kwargs)

        return _only(methods, login_required(wrapped))

    if view is not None:
        return decorate(view)
    return decorate


def require(
    check: Callable[[Viewer], bool], *, methods: Collection[str] = READ_ONLY
) -> Callable[[View[P]], View[P]]:
    """A dashboard view that only viewers passing ``check`` may open (others get 403);
    only ``methods`` are answered (others 405)."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not check(viewer_of(request)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return dashboard_view(wrapped, methods=methods)

    return decorate


def visible_customer(viewer: Viewer, customer_id: int) -> Customer:
    """The customer if this viewer may see it; 404 otherwise (also for unknown ids)."""
    customer = viewer.restrict(Customer.objects.filter(pk=customer_id), path="").first()
    if customer is None:
        raise Http404
    return customer
