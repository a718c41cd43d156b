from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from solidground import __version__
from solidground.web.access import viewer_of


def product(request: HttpRequest) -> dict[str, object]:
    """What the layout shows on every page: the viewer (for the menu) and the version.

    The version is shown to logged-in users only: a login page should not tell a stranger
    which release (and which known bugs) it runs.
    """
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "product_version": __version__ if signed_in else "",
        "currency": settings.CURRENCY,
        "viewer": viewer_of(request) if signed_in else None,
    }
