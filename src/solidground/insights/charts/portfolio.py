"""Charts of the portfolio page and the owner's report: satisfaction against money, and the
whale curve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from solidground.insights import formatting
from solidground.insights.charts import Chart, base_spec, segment_colour_scale
from solidground.insights.messages import SEGMENT_NAMES
from solidground.insights.selectors.portfolio import PortfolioRow, Whale

SCATTER_AXES = ("margin", "cost")


def satisfaction_scatter(
    rows: list[PortfolioRow], *, x_axis: str, url_of: Callable[[int], str]
) -> Chart:
    """CSAT (with its 95% interval as a vertical rule) against agreement margin or cost to
    serve, one point per customer coloured by segment; a click opens the customer."""
    by_margin = x_axis != "cost"
    x_title = _("Agreement margin") if by_margin else _("Cost to serve")
    values: list[dict[str, Any]] = []
    no_csat = no_x = 0
    for row in rows:
        x = row.margin_share if by_margin else float(row.cost_to_serve)
        if row.csat.share is None:
            no_csat += 1
            continue
        if x is None:
            no_x += 1
            continue
        label = str(SEGMENT_NAMES.get(row.segment, "")) or _("no segment")
        values.append(
            {
                "name": row.name,
                "segment": label,
                "x": x,
                "csat": row.csat.share,
                "low": row.csat.low,
                "high": row.csat.high,
                "n": row.csat.n,
                "csat_text": _("%(share)s (%(low)s–%(high)s), %(n)s answers")
                % {
                    "share": formatting.percent(row.csat.share),
                    "low": formatting.percent(row.csat.low),
                    "high": formatting.percent(row.csat.high),
                    "n": row.csat.n,
                },
                "x_text": (
                    formatting.percent(row.margin_share)
                    if by_margin
                    else formatting.money(row.cost_to_serve)
                ),
                "revenue_text": formatting.money(row.revenue),
                "url": url_of(row.customer_id),
            }
        )
    labels = {row.segment: str(SEGMENT_NAMES[row.segment]) for row in rows if row.segment}
    colour = {
        "field": "segment",
        "type": "nominal",
        "title": _("Segment"),
        "scale": segment_colour_scale(labels),
    }
    x_encoding: dict[str, Any] = {
        "field": "x",
        "type": "quantitative",
        "title": x_title,
        "axis": {"format": ".0%"} if by_margin else {"format": ",.0f"},
    }
    y_encoding = {
        "field": "csat",
        "type": "quantitative",
        "title": _("CSAT (positive answers)"),
        "axis": {"format": ".0%"},
        "scale": {"zero": False, "domainMax": 1},
    }
    spec = base_spec(height=340) | {
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule", "opacity": 0.35},
                "encoding": {
                    "x": x_encoding,
                    "y": {"field": "low", "type": "quantitative"},
                    "y2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 70,
                    "opacity": 0.9,
                    "cursor": "pointer",
                },
                "encoding": {
                    "x": x_encoding,
                    "y": y_encoding,
                    "color": colour,
                    "tooltip": [
                        {"field": "name", "title": _("Customer")},
                        {"field": "segment", "title": _("Segment")},
                        {"field": "csat_text", "title": _("CSAT")},
                        {"field": "x_text", "title": x_title},
                        {"field": "revenue_text", "title": _("Revenue")},
                    ],
                },
            },
        ],
    }
    notes = []
    if no_csat:
        notes.append(
            _("%(n)s customers without survey answers are not shown: their CSAT is unknown.")
            % {"n": no_csat}
        )
    if no_x:
        notes.append(_("%(n)s customers without revenue are not shown.") % {"n": no_x})
    return Chart(
        key="satisfaction",
        title=_("Satisfaction against %(axis)s") % {"axis": x_title.lower()},
        spec=spec,
        columns=[_("Customer"), _("Segment"), _("CSAT"), x_title, _("Revenue")],
        rows=[
            [v["name"], v["segment"], v["csat_text"], v["x_text"], v["revenue_text"]]
            for v in values
        ],
        summary=_(
            "One point per customer; the vertical line is the 95% interval of its CSAT. "
            "Click a point to open the customer."
        ),
        empty=not values,
        notes=notes,
    )


def whale_chart(whale: Whale, *, url_of: Callable[[int], str]) -> Chart:
    """Cumulative profit (share of the total) over customers sorted by profit."""
    values = [
        {
            "customer_share": row.customer_share,
            "cumulative": row.cumulative_share,
            "name": row.name,
            "profit_text": formatting.money(row.profit),
            "cumulative_text": formatting.percent(row.cumulative_share),
            "url": url_of(row.customer_id),
        }
        for row in whale.rows
        if row.cumulative_share is not None
    ]
    spec = base_spec(height=260) | {
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "line", "color": "#1f6f5c", "point": False},
                "encoding": {
                    "x": {
                        "field": "customer_share",
                        "type": "quantitative",
                        "title": _("Share of customers, most profitable first"),
                        "axis": {"format": ".0%"},
                    },
                    "y": {
                        "field": "cumulative",
                        "type": "quantitative",
                        "title": _("Cumulative share of total profit"),
                        "axis": {"format": ".0%"},
                    },
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 30, "cursor": "pointer"},
                "encoding": {
                    "x": {"field": "customer_share", "type": "quantitative"},
                    "y": {"field": "cumulative", "type": "quantitative"},
                    "color": {"value": "#1f6f5c"},
                    "tooltip": [
                        {"field": "name", "title": _("Customer")},
                        {"field": "profit_text", "title": _("Profit")},
                        {"field": "cumulative_text", "title": _("Cumulative share")},
                    ],
                },
            },
            {
                "data": {"values": [{"y": 1}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#5b6472"},
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            },
        ],
    }
    if whale.peak_share is not None:
        summary = _(
            "The most profitable customers earn %(peak)s of the total profit; "
            "%(losers)s customers lose %(destroyed)s and bring it back down to 100%%."
        ) % {
            "peak": formatting.percent(whale.peak_share),
            "losers": whale.unprofitable,
            "destroyed": formatting.money(whale.profit_destroyed),
        }
    else:
        summary = _("The total profit is not positive: a share of it means nothing.")
    return Chart(
        key="whale",
        title=_("Whale curve"),
        spec=spec,
        columns=[_("Rank"), _("Customer"), _("Profit"), _("Cumulative share")],
        rows=[
            [
                str(row.rank),
                row.name,
                formatting.money(row.profit),
                formatting.percent(row.cumulative_share),
            ]
            for row in whale.rows
        ],
        summary=summary,
        empty=not values,
    )
