from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from solidground import __version__


def product(request: HttpRequest) -> dict[str, object]:
    return {"product_version": __version__, "currency": settings.CURRENCY}
