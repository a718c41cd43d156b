"""Response headers every page carries: a Content-Security-Policy without inline scripts, a
strict Permissions-Policy, and no caching of pages (static files aside).

Django's SecurityMiddleware and XFrameOptionsMiddleware already send nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy and X-Frame-Options (config/settings.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Scripts only from our own static files (vendored, docs/decisions/0005); chart data comes in
# <script type="application/json"> blocks, which are data, not scripts. Vega renders through
# its CSP-safe expression interpreter, so no 'unsafe-eval'.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Django's admin still writes a few style attributes; it gets inline styles, never scripts.
ADMIN_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        admin = request.path.startswith("/admin/")
        response.headers.setdefault("Content-Security-Policy", ADMIN_CSP if admin else CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not request.path.startswith(self.static_prefix):
            # Customer figures must not stay in a shared browser's or proxy's cache. Every page,
            # not only a logged-in user's: asking who is logged in would read the session from
            # the database, and the 500 page must not need the database (it may be what broke).
            response.headers["Cache-Control"] = "no-store, private"
        return response
