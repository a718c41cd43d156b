"""The dashboard's charts as SVG, drawn on the server (vl-convert), so a PDF needs no browser.

The specs are the dashboard's own (``insights.charts``); only the frame changes for paper: a
fixed width instead of the page's container, and the report's fonts, which Debian installs
(Liberation Sans from fonts-liberation, else DejaVu Sans from fonts-dejavu-core).
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from typing import Any

import vl_convert
from django.utils.safestring import SafeString, mark_safe

from solidground.insights.charts import Chart

# The Vega-Lite version of the dashboard's specs ("$schema": .../v6.json).
VEGA_LITE = "6.4"
# The text column of an A4 page (170 mm) at 96 px per inch is about 640 px.
WIDTH = 620
FONT = "Liberation Sans, DejaVu Sans, sans-serif"


@dataclass(frozen=True)
class ChartImage:
    title: str
    svg: str

    @property
    def data_uri(self) -> SafeString:
        """The SVG as an <img> source: WeasyPrint and browsers draw it without any request."""
        encoded = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return mark_safe(f"data:image/svg+xml;base64,{encoded}")  # noqa: S308 (our own base64)


def paper_spec(
    spec: dict[str, Any], *, width: int = WIDTH, height: int | None = None
) -> dict[str, Any]:
    """A copy of a dashboard spec with a fixed width and the report's font."""
    paper = copy.deepcopy(spec)
    paper["width"] = width
    if height is not None:
        paper["height"] = height
    paper["autosize"] = {"type": "fit", "contains": "padding"}
    config = paper.setdefault("config", {})
    config["font"] = FONT
    config["background"] = "white"
    for layer in paper.get("layer", [paper]):
        axis = layer.get("encoding", {}).get("x", {}).get("axis")
        if isinstance(axis, dict):
            # Twelve month names do not fit side by side on paper: every other one is shown.
            axis["labelOverlap"] = "parity"
            axis["labelSeparation"] = 8
    return paper


def to_svg(chart: Chart, *, width: int = WIDTH, height: int | None = None) -> ChartImage:
    """The chart drawn as SVG text (raises if the spec cannot be drawn: a bug, not input)."""
    spec = paper_spec(chart.spec, width=width, height=height)
    svg = vl_convert.vegalite_to_svg(
        json.loads(json.dumps(spec, default=str)), vl_version=VEGA_LITE
    )
    return ChartImage(title=chart.title, svg=svg)
