"""Query parameters of the list pages (SLA, findings): parsed once, bad values fall back to a
default with a sentence for the page, never a 500."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlencode

from django.utils.translation import gettext

F = TypeVar("F")


@dataclass
class ParsedFilters(Generic[F]):
    filters: F
    notices: list[str] = field(default_factory=list)
    # The filter values as the form shows them (after falling back), for links and the CSV.
    values: dict[str, str] = field(default_factory=dict)

    def query(self, **extra: str | int) -> str:
        """The filters (and ``extra``) as a query string, without empty values."""
        items = {k: v for k, v in self.values.items() if v}
        items.update({k: str(v) for k, v in extra.items()})
        return urlencode(items)


def int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def page_number(text: str, notices: list[str]) -> int:
    """The page asked for; garbage gives page 1 and a notice."""
    if not text:
        return 1
    number = int_or_none(text.strip())
    if number is None or number < 1:
        notices.append(
            gettext("“%(page)s” is not a page number; showing page 1.") % {"page": text[:20]}
        )
        return 1
    return number
