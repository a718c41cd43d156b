"""Vega-Lite chart specs built from stored results, shared by the dashboard and the reports.

A ``Chart`` is a spec plus its table view (the same numbers as formatted text), so that every
chart can be read without a picture: by a screen reader, in print, and when scripts are off.
The web renders specs with vega-embed (static/solidground/charts.js); reports render them to
SVG on the server. Specs carry data inline (``data.values``); nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils import translation
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

# One colour per segment, the same on every chart and tile (colour-blind safe: Okabe-Ito).
SEGMENT_COLOURS: dict[str, str] = {
    "solid": "#009E73",
    "service_trap": "#E69F00",
    "at_risk": "#D55E00",
    "unprofitable": "#CC79A7",
    "quiet": "#56B4E9",
    "watch": "#0072B2",
    "unclassified": "#999999",
}
SEGMENT_ORDER = [
    "at_risk",
    "service_trap",
    "unprofitable",
    "quiet",
    "watch",
    "solid",
    "unclassified",
]
NO_DATA = _("no data")

T = TypeVar("T")

FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: the element ids derive from it
    title: str
    spec: dict[str, Any]
    columns: list[str]
    rows: list[list[str]]
    summary: str = ""  # one sentence under the chart: what it shows, what "no data" means
    empty: bool = False  # nothing to draw: the page says so instead of an empty frame
    notes: list[str] = field(default_factory=list)
    # The spec as the page embeds it, serialised once when the chart is built: a page that
    # keeps a chart of 3,000 customers in its cache does not escape 400 kB on every request.
    spec_script: SafeString = field(init=False, repr=False, compare=False, default=SafeString(""))

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec_script", json_script(self.spec, self.element_id))

    @property
    def element_id(self) -> str:
        return f"chart-{self.key}"


# d3 locales, so that axis labels read as the page does ("75 %", "1.690" in German).
_GERMAN_LOCALE: dict[str, Any] = {
    "number": {
        "decimal": ",",
        "thousands": ".",
        "grouping": [3],
        "currency": ["", "\u00a0€"],
        "percent": "\u202f%",
    },
    "time": {
        "dateTime": "%A, der %e. %B %Y, %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "months": [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        "shortMonths": [
            "Jan",
            "Feb",
            "Mrz",
            "Apr",
            "Mai",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Okt",
            "Nov",
            "Dez",
        ],
    },
}


def chart_locale() -> dict[str, Any] | None:
    """The d3 number and time locale of the active language (None: Vega's English)."""
    language = translation.get_language() or ""
    return _GERMAN_LOCALE if language.startswith("de") else None


def base_spec(*, width: int | str = "container", height: int = 260) -> dict[str, Any]:
    """The frame every chart shares: responsive width, our font, quiet axes, the locale."""
    locale = chart_locale()
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": width,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {
            "font": FONT,
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e9ee"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "view": {"stroke": None},
            **({"locale": locale} if locale else {}),
        },
    }


def segment_colour_scale(labels: dict[str, str]) -> dict[str, Any]:
    """A colour scale over segment labels (in the reader's language) with our fixed colours."""
    ordered = [key for key in SEGMENT_ORDER if key in labels]
    return {
        "domain": [labels[key] for key in ordered],
        "range": [SEGMENT_COLOURS[key] for key in ordered],
    }


# A table view longer than this lists the first rows and says where the rest is: a page with
# 3,000 customers must not carry the same list three times.
TABLE_ROWS_SHOWN = 50


def capped_rows(
    items: Sequence[T], row: Callable[[T], list[str]], where_all: str
) -> tuple[list[list[str]], list[str]]:
    """The first TABLE_ROWS_SHOWN items as table rows (only those are formatted), and a note
    saying where the others are."""
    if len(items) <= TABLE_ROWS_SHOWN:
        return [row(item) for item in items], []
    note = _("The table lists %(shown)s of %(total)s rows; %(where)s") % {
        "shown": TABLE_ROWS_SHOWN,
        "total": len(items),
        "where": where_all,
    }
    return [row(item) for item in items[:TABLE_ROWS_SHOWN]], [str(note)]
