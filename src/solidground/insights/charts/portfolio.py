"""Charts of the portfolio page and the owner's report: satisfaction against money, and the
whale curve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from solidground.insights import formatting
from solidground.insights.charts import Chart, base_spec, capped_rows, segment_colour_scale
from solidground.insights.messages import SEGMENT_NAMES
from solidground.insights.selectors.portfolio import PortfolioRow, Whale, WhaleRow

SCATTER_AXES = ("margin", "cost")
WHALE_POINTS = 400


def _scatter_points(
    rows: list[PortfolioRow], *, by_margin: bool, url_of: Callable[[int], str]
) -> tuple[list[dict[str, Any]], int, int]:
    """The scatter's points, and how many customers lack a CSAT or an x value."""
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
        # Raw numbers only: the tooltip formats them with the chart's locale (a page with
        # 3,000 customers would otherwise carry 3,000 pre-formatted sentences).
        values.append(
            {
                "name": row.name,
                "segment": str(SEGMENT_NAMES.get(row.segment, "")) or _("no segment"),
                "x": round(x, 4),
                "csat": round(row.csat.share, 4),
                "low": round(row.csat.low or 0.0, 4),
                "high": round(row.csat.high or 0.0, 4),
                "n": row.csat.n,
                "revenue": round(float(row.revenue)),
                "url": url_of(row.customer_id),
            }
        )
    return values, no_csat, no_x


def satisfaction_scatter(
    rows: list[PortfolioRow], *, x_axis: str, url_of: Callable[[int], str]
) -> Chart:
    """CSAT (with its 95% interval as a vertical rule) against agreement margin or cost to
    serve, one point per customer coloured by segment; a click opens the customer."""
    # Most of this function is the Vega-Lite spec, written out as the one literal it is.
    by_margin = x_axis != "cost"
    x_title = _("Agreement margin") if by_margin else _("Cost to serve")
    values, no_csat, no_x = _scatter_points(rows, by_margin=by_margin, url_of=url_of)
    colour = _segment_colour(rows)
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
                    "tooltip": _scatter_tooltip(x_title, by_margin=by_margin),
                },
            },
        ],
    }
    notes = _scatter_notes(no_csat, no_x)
    table, cut = capped_rows(
        values,
        lambda v: _scatter_row(v, by_margin=by_margin),
        _("the customer table below and its CSV list every customer."),
    )
    return Chart(
        key="satisfaction",
        title=(
            _("Satisfaction against agreement margin")
            if by_margin
            else _("Satisfaction against cost to serve")
        ),
        spec=spec,
        columns=[_("Customer"), _("Segment"), _("CSAT"), x_title, _("Revenue")],
        rows=table,
        summary=_(
            "One point per customer; the vertical line is the 95% interval of its CSAT. "
            "Click a point to open the customer."
        ),
        empty=not values,
        notes=notes + cut,
    )


def _segment_colour(rows: list[PortfolioRow]) -> dict[str, Any]:
    """The points' colour encoding: by segment, in the segments' own colours."""
    labels = {row.segment: str(SEGMENT_NAMES[row.segment]) for row in rows if row.segment}
    return {
        "field": "segment",
        "type": "nominal",
        "title": _("Segment"),
        "scale": segment_colour_scale(labels),
    }


def _scatter_tooltip(x_title: str, *, by_margin: bool) -> list[dict[str, Any]]:
    return [
        {"field": "name", "title": _("Customer")},
        {"field": "segment", "title": _("Segment")},
        {"field": "csat", "title": _("CSAT"), "format": ".0%"},
        {"field": "low", "title": _("95% interval from"), "format": ".0%"},
        {"field": "high", "title": _("95% interval to"), "format": ".0%"},
        {"field": "n", "title": _("Answers")},
        {
            "field": "x",
            "title": x_title,
            "format": ".0%" if by_margin else ",.0f",
        },
        {
            "field": "revenue",
            "title": _("Revenue (%(currency)s)") % {"currency": settings.CURRENCY},
            "format": ",.0f",
        },
    ]


def _scatter_notes(no_csat: int, no_x: int) -> list[str]:
    notes = []
    if no_csat:
        notes.append(
            _("%(n)s customers without survey answers are not shown: their CSAT is unknown.")
            % {"n": no_csat}
        )
    if no_x:
        notes.append(_("%(n)s customers without revenue are not shown.") % {"n": no_x})
    return notes


def _scatter_row(v: dict[str, Any], *, by_margin: bool) -> list[str]:
    """One point as a row of the chart's table."""
    return [
        v["name"],
        v["segment"],
        _("%(share)s (%(low)s–%(high)s), %(n)s answers")
        % {
            "share": formatting.percent(v["csat"]),
            "low": formatting.percent(v["low"]),
            "high": formatting.percent(v["high"]),
            "n": v["n"],
        },
        formatting.percent(v["x"]) if by_margin else formatting.money(v["x"]),
        formatting.money(v["revenue"]),
    ]


def whale_chart(whale: Whale, *, url_of: Callable[[int], str]) -> Chart:
    """Cumulative profit (share of the total) over customers sorted by profit."""
    # Most of this function is the Vega-Lite spec, written out as the one literal it is.
    drawn = _whale_drawn(whale)
    values = [
        {
            "customer_share": row.customer_share,
            "cumulative": row.cumulative_share,
            "name": row.name,
            "profit": round(float(row.profit)),
            "url": url_of(row.customer_id),
        }
        for row in drawn
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
                        {
                            "field": "profit",
                            "title": _("Profit (%(currency)s)") % {"currency": settings.CURRENCY},
                            "format": ",.0f",
                        },
                        {"field": "cumulative", "title": _("Cumulative share"), "format": ".0%"},
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
    table, cut = capped_rows(
        whale.rows,
        lambda row: [
            str(row.rank),
            row.name,
            formatting.money(row.profit),
            formatting.percent(row.cumulative_share),
        ],
        _("the customer table below and its CSV list every customer's margin."),
    )
    return Chart(
        key="whale",
        title=_("Whale curve"),
        spec=spec,
        columns=[_("Rank"), _("Customer"), _("Profit"), _("Cumulative share")],
        rows=table,
        summary=_whale_summary(whale),
        empty=not values,
        notes=cut,
    )


def _whale_drawn(whale: Whale) -> list[WhaleRow]:
    """The rows the line is drawn through: at most about ``WHALE_POINTS`` of them."""
    drawn = [row for row in whale.rows if row.cumulative_share is not None]
    if len(drawn) > WHALE_POINTS:
        # A line of 3,000 customers looks the same drawn through 400 of them; the peak and both
        # ends are always kept, so the figure the summary names is on the line.
        peak = max(range(len(drawn)), key=lambda i: drawn[i].cumulative_share or 0.0)
        step = len(drawn) / WHALE_POINTS
        keep = {round(i * step) for i in range(WHALE_POINTS)} | {0, peak, len(drawn) - 1}
        drawn = [drawn[i] for i in sorted(keep) if i < len(drawn)]
    return drawn


def _whale_summary(whale: Whale) -> str:
    if whale.peak_share is None:
        return _("The total profit is not positive: a share of it means nothing.")
    return _(
        "The most profitable customers earn %(peak)s of the total profit; "
        "%(losers)s customers lose %(destroyed)s and bring it back down to 100%%."
    ) % {
        "peak": formatting.percent(whale.peak_share),
        "losers": whale.unprofitable,
        "destroyed": formatting.money(whale.profit_destroyed),
    }
