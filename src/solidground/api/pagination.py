"""Opaque keyset cursors: the last id of a page, versioned and base64-encoded."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from django.utils.translation import gettext

from solidground.api.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the page starts; 0 for the first page. A cursor we did not make is
    a 400 naming ``cursor``."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, number = text.partition(":")
        value = int(number)
        if version != "v1" or value < 0 or value > 2**62:
            raise ValueError(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(
            "cursor", cursor[:100], gettext("is not a cursor from this API; start without one")
        ) from None
    return value


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor for the next page when this one was full (an empty next page is possible)."""
    return encode_cursor(ids[-1]) if len(ids) == limit and ids else None


def parse_month(field: str, text: str | None) -> date | None:
    """``YYYY-MM`` as the month's first day; None when not given; 400 when not a month."""
    if not text:
        return None
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(text)
        return date(int(year), int(month), 1)
    except ValueError:
        raise BadRequest(
            field, text[:20], gettext("is not a month; write YYYY-MM, e.g. 2026-03")
        ) from None
