"""Vega-Lite charts of the renewal analysis (shared by the renewals page and reports)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from solidground.insights.charts import SEGMENT_COLOURS, SEGMENT_ORDER, Chart, base_spec
from solidground.insights.formatting import number, percent
from solidground.renewals.texts import segment


def _survival_points(
    ordered: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The curves' points for the chart, and one table row per curve."""
    values = []
    rows = []
    for curve in ordered:
        name = segment(curve["group"])
        for month, share, low, high, _at_risk in zip(
            curve["months"],
            curve["survival"],
            curve["low"],
            curve["high"],
            curve["at_risk"],
            strict=True,
        ):
            values.append(
                {"segment": name, "month": month, "share": share, "low": low, "high": high}
            )
        rows.append(
            [
                name,
                number(curve["contracts"]),
                number(curve["cancellations"]),
                f"{percent(curve['survival'][-1], 1)} ({percent(curve['low'][-1], 1)}–"
                f"{percent(curve['high'][-1], 1)})",
                number(curve["months"][-1]),
                number(curve["at_risk"][-1]),
            ]
        )
    return values, rows


def survival_chart(curves: list[dict[str, Any]]) -> Chart:
    """Kaplan-Meier curves per segment with their 95% bands: the share of contracts not yet
    cancelled, by months observed."""
    title = gettext("Contracts not cancelled, by months observed, per segment")
    month_title = gettext("Months observed")
    share_title = gettext("Not cancelled")
    segment_title = gettext("Segment")
    order = {key: index for index, key in enumerate(SEGMENT_ORDER)}
    ordered = sorted(curves, key=lambda c: order.get(c["group"], len(order)))
    values, rows = _survival_points(ordered)
    domain = [segment(c["group"]) for c in ordered]
    colours = [SEGMENT_COLOURS.get(c["group"], "#999999") for c in ordered]
    colour = {
        "field": "segment",
        "type": "nominal",
        "title": segment_title,
        "scale": {"domain": domain, "range": colours},
    }
    x = {"field": "month", "type": "quantitative", "title": month_title, "axis": {"format": "d"}}
    spec = base_spec() | {
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "area", "opacity": 0.15, "interpolate": "step-after"},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "low",
                        "type": "quantitative",
                        "title": share_title,
                        "axis": {"format": ".0%"},
                    },
                    "y2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "line", "interpolate": "step-after"},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "title": share_title,
                        "axis": {"format": ".0%"},
                    },
                    "color": colour,
                    "tooltip": [
                        {"field": "segment", "title": segment_title},
                        {"field": "month", "title": month_title},
                        {"field": "share", "title": share_title, "format": ".1%"},
                        {"field": "low", "title": gettext("lower bound (95%)"), "format": ".1%"},
                        {"field": "high", "title": gettext("upper bound (95%)"), "format": ".1%"},
                    ],
                },
            },
        ],
    }
    return Chart(
        key="renewal-survival",
        title=title,
        spec=spec,
        columns=[
            segment_title,
            gettext("Contracts"),
            gettext("Cancellations"),
            gettext("Not cancelled at the end (95% band)"),
            month_title,
            gettext("Still observed"),
        ],
        rows=rows,
        summary=gettext(
            "Each line starts with every contract running and steps down at each cancellation; "
            "the shaded band is its 95-percent interval. A curve stops where fewer than 10 "
            "contracts are still observed."
        ),
        empty=not values,
    )
