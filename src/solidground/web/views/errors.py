"""The CSRF failure page in the product's layout (settings.CSRF_FAILURE_VIEW).

Django's own page speaks to developers ("CSRF verification failed"); a service manager whose
form sat open overnight needs to know what to do: reload and send again.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    context = {
        "no_cookie": reason == REASON_NO_CSRF_COOKIE,
        # Production mode makes the cookies Secure: over plain HTTP the browser never sends
        # them back, so every login fails here. The one case reloading cannot fix.
        "needs_https": settings.PRODUCTION and not request.is_secure(),
    }
    return render(request, "403_csrf.html", context, status=403)
