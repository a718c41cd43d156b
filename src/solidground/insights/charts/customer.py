"""The customer page's charts, built from ``insights.selectors.customer`` dataclasses.

Each builder returns a ``Chart``: a Vega-Lite spec with the data inline, the same numbers as a
table, and a one-line summary. The quarterly report draws the same charts from the same
dataclasses. Specs hold no expressions: labels and tooltips are formatted here, in the
reader's language, so the browser only places marks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, ngettext

from solidground.insights import formatting
from solidground.insights.charts import SEGMENT_COLOURS, Chart, base_spec
from solidground.insights.selectors.common import Rate
from solidground.insights.selectors.customer import (
    ContactIntensity,
    CustomerOverview,
    Ledger,
    PeriodFigures,
    Profit,
    Reliability,
    Satisfaction,
)

# Okabe-Ito, as the segment colours: distinguishable with colour-blindness.
BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILION = "#D55E00"
GREY = "#8c96a3"
INK = "#5b6472"
GOODWILL = SEGMENT_COLOURS["service_trap"]


def rate_text(rate: Rate) -> str:
    """A share for table cells: 95% (89–98%), with n=12 when few; "no data" for n = 0."""
    if rate.share is None or rate.low is None or rate.high is None:
        return gettext("no data")
    text = (
        f"{formatting.percent(rate.share)} "
        f"({formatting.percent(rate.low)}–{formatting.percent(rate.high)})"
    )
    return f"{text} n={rate.n}" if rate.small_sample else text


def intensity_text(value: float | None) -> str:
    if value is None:
        return gettext("no data")
    return f"{formatting.number(value, 1)}×"


def _money(value: Decimal | None) -> str:
    return formatting.money(value)


def _hours(value: float) -> str:
    return formatting.hours(value, 1)


def _axis_x(periods: list[PeriodFigures]) -> dict[str, Any]:
    labels = [p.short_label for p in periods]
    # Ordinal with an explicit domain: a month without data keeps its place on the axis, and
    # the labels come formatted in the reader's language (no time parsing in the browser).
    return {
        "field": "period",
        "type": "ordinal",
        "title": None,
        "sort": labels,
        "scale": {"domain": labels},
        "axis": {"labelAngle": 0, "labelOverlap": "greedy", "labelPadding": 4},
    }


def _share_floor(values: list[float]) -> float:
    # Shares near 100% are unreadable on a 0-100% axis; start at the next 10% step below the
    # lowest bound shown (never below 0).
    if not values:
        return 0.0
    return max(0.0, math.floor(min(values) * 10) / 10)


def _colour(domain: list[str], colours: list[str]) -> dict[str, Any]:
    return {"domain": domain, "range": colours}


def _spec(
    values: list[dict[str, Any]], layers: list[dict[str, Any]], height: int
) -> dict[str, Any]:
    spec = base_spec(height=height)
    spec["data"] = {"values": values}
    spec["layer"] = layers
    return spec


def _rate_layers(
    x: dict[str, Any], y_floor: float, domain: list[str], colours: list[str], y_title: str
) -> list[dict[str, Any]]:
    """A 95% interval band and a line per measure (long data: period, measure, share, ...)."""
    scale = {"domain": [y_floor, 1]}
    colour = {
        "field": "measure",
        "type": "nominal",
        "title": None,
        "scale": _colour(domain, colours),
    }
    return [
        {
            "mark": {"type": "area", "opacity": 0.14},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative", "scale": scale},
                "y2": {"field": "high"},
                "color": colour,
            },
        },
        {
            "mark": {"type": "line", "point": True, "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": {
                    "field": "share",
                    "type": "quantitative",
                    "title": y_title,
                    "scale": scale,
                    "axis": {"format": ".0%"},
                },
                "color": colour,
                "tooltip": [
                    {"field": "period", "title": gettext("Period")},
                    {"field": "measure", "title": gettext("Figure")},
                    {"field": "text", "title": gettext("Share (95% interval)")},
                ],
            },
        },
    ]


def _rate_point(period: PeriodFigures, measure: str, rate: Rate) -> dict[str, Any] | None:
    if rate.share is None:
        return None
    return {
        "period": period.short_label,
        "measure": measure,
        "share": rate.share,
        "low": rate.low,
        "high": rate.high,
        "n": rate.n,
        "text": rate_text(rate),
    }


# --------------------------------------------------------------------------------------------


def reliability_chart(reliability: Reliability) -> Chart:
    """Monthly first-response and resolution SLA compliance with their intervals and target."""
    # Most of this function is the Vega-Lite spec, written out as the one literal it is.
    months = reliability.months
    response, resolution = gettext("First response"), gettext("Resolution")
    values = [
        point
        for p in months
        for point in (
            _rate_point(p, response, p.sla_response),
            _rate_point(p, resolution, p.sla_resolution),
        )
        if point is not None
    ]
    bounds = [v["low"] for v in values if v["low"] is not None]
    if reliability.target is not None:
        bounds.append(reliability.target)
    x = _axis_x(months)
    layers = _rate_layers(
        x, _share_floor(bounds), [response, resolution], [BLUE, VERMILION], gettext("SLA met")
    )
    if reliability.target is not None:
        layers.extend(_target_layers(reliability.target))
    summary = gettext(
        "Last 12 months: first response in time %(response)s, resolution in time "
        "%(resolution)s%(target)s. Shaded: 95%% interval; gaps: no tickets measured."
    ) % {
        "response": rate_text(reliability.sla_response),
        "resolution": rate_text(reliability.sla_resolution),
        "target": (
            gettext(" (target %(target)s)") % {"target": formatting.percent(reliability.target)}
            if reliability.target is not None
            else ""
        ),
    }
    return Chart(
        key="reliability",
        title=gettext("SLA compliance per month"),
        spec=_spec(values, layers, 240),
        columns=[
            gettext("Month"),
            gettext("First response in time"),
            gettext("Resolution in time"),
            gettext("Reopened"),
            gettext("Escalations"),
        ],
        rows=[
            [
                p.label,
                rate_text(p.sla_response),
                rate_text(p.sla_resolution),
                formatting.count(p.reopened),
                formatting.count(p.escalations),
            ]
            for p in months
        ],
        summary=summary,
        empty=not values,
    )


def _target_layers(target: float) -> list[dict[str, Any]]:
    """The SLA target as a dashed rule labelled at the right edge."""
    target_text = gettext("target %(target)s") % {"target": formatting.percent(target)}
    return [
        {
            "mark": {"type": "rule", "strokeDash": [5, 4], "color": INK},
            "encoding": {"y": {"datum": target}},
        },
        {
            "mark": {
                "type": "text",
                "align": "right",
                "dx": -4,
                "dy": -6,
                "color": INK,
                "fontSize": 11,
            },
            "encoding": {
                "x": {"value": "width"},
                "y": {"datum": target},
                "text": {"value": target_text},
            },
        },
    ]


def satisfaction_chart(satisfaction: Satisfaction) -> Chart:
    """CSAT and the unhappy share per month (or quarter) with their 95% intervals."""
    periods = satisfaction.periods
    csat, unhappy = gettext("CSAT (positive)"), gettext("Unhappy")
    values = [
        point
        for p in periods
        for point in (_rate_point(p, csat, p.csat), _rate_point(p, unhappy, p.unhappy))
        if point is not None
    ]
    layers = _rate_layers(
        _axis_x(periods), 0.0, [csat, unhappy], [GREEN, VERMILION], gettext("Share of answers")
    )
    summary = gettext(
        "Last 12 months: CSAT %(csat)s, unhappy %(unhappy)s, response rate %(response)s."
    ) % {
        "csat": rate_text(satisfaction.csat),
        "unhappy": rate_text(satisfaction.unhappy),
        "response": rate_text(satisfaction.response),
    }
    notes = []
    if satisfaction.by_quarter and satisfaction.median_monthly_answers is not None:
        median = satisfaction.median_monthly_answers
        notes.append(
            ngettext(
                "Shown per quarter: the median month has %(n)s answer, too few for a "
                "monthly share.",
                "Shown per quarter: the median month has %(n)s answers, too few for a "
                "monthly share.",
                round(median),
            )
            % {"n": formatting.number(median, 1 if median % 1 else 0)}
        )
    first_column = gettext("Quarter") if satisfaction.by_quarter else gettext("Month")
    return Chart(
        key="satisfaction",
        title=(
            gettext("Satisfaction per quarter")
            if satisfaction.by_quarter
            else gettext("Satisfaction per month")
        ),
        spec=_spec(values, layers, 220),
        columns=[
            first_column,
            gettext("CSAT"),
            gettext("Unhappy"),
            gettext("Response rate"),
            gettext("Answers"),
        ],
        rows=[
            [
                p.label if p.complete else gettext("%(period)s (so far)") % {"period": p.label},
                rate_text(p.csat),
                rate_text(p.unhappy),
                rate_text(p.response),
                formatting.count(p.csat.n),
            ]
            for p in periods
        ],
        summary=summary,
        notes=notes,
        empty=not values,
    )


def ledger_chart(ledger: Ledger) -> Chart:
    """Customer-facing hours per month, stacked: included, billed, goodwill (not billed)."""
    # Most of this function is the Vega-Lite spec, written out as the one literal it is.
    months = ledger.months
    categories = [
        (gettext("Included"), "hours_included", SKY),
        (gettext("Billed"), "hours_billed", GREEN),
        (gettext("Goodwill (not billed)"), "hours_goodwill", GOODWILL),
    ]
    values = [
        {
            "period": p.short_label,
            "category": label,
            "order": order,
            "hours": getattr(p, name),
            "text": _hours(getattr(p, name)),
        }
        for p in months
        for order, (label, name, _colour_) in enumerate(categories)
        if getattr(p, name) > 0
    ]
    layers = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": _axis_x(months),
                "y": {
                    "field": "hours",
                    "type": "quantitative",
                    "stack": "zero",
                    "title": gettext("Hours"),
                },
                "color": {
                    "field": "category",
                    "type": "nominal",
                    "title": None,
                    "scale": _colour([c[0] for c in categories], [c[2] for c in categories]),
                },
                "order": {"field": "order", "type": "quantitative"},
                "tooltip": [
                    {"field": "period", "title": gettext("Month")},
                    {"field": "category", "title": gettext("Hours")},
                    {"field": "text", "title": gettext("Amount")},
                ],
            },
        }
    ]
    return Chart(
        key="ledger",
        title=gettext("Hours per month: included, billed, goodwill"),
        spec=_spec(values, layers, 240),
        columns=[
            gettext("Month"),
            gettext("Included"),
            gettext("Billed"),
            gettext("Goodwill"),
            gettext("Goodwill share"),
            gettext("Goodwill cost"),
            gettext("Out of scope, done free"),
            gettext("Value at catalogue rate"),
        ],
        rows=[
            [
                p.label,
                _hours(p.hours_included),
                _hours(p.hours_billed),
                _hours(p.hours_goodwill),
                formatting.percent(p.goodwill_share),
                _money(p.goodwill_cost),
                _hours(p.out_of_scope_free_hours),
                _money(p.out_of_scope_free_value),
            ]
            for p in months
        ],
        summary=_ledger_summary(ledger),
        notes=list(ledger.notes),
        empty=not values,
    )


def _ledger_summary(ledger: Ledger) -> str:
    return gettext(
        "Last 12 months: %(goodwill)s of goodwill (%(share)s of customer-facing hours, cost "
        "%(cost)s); out-of-scope work done free: %(free)s on %(tickets)s tickets, worth "
        "%(value)s at the catalogue rate."
    ) % {
        "goodwill": _hours(ledger.hours_goodwill),
        "share": formatting.percent(ledger.goodwill_share),
        "cost": _money(ledger.goodwill_cost),
        "free": _hours(ledger.out_of_scope_free_hours),
        "tickets": formatting.count(ledger.out_of_scope_free_tickets),
        "value": _money(ledger.out_of_scope_free_value),
    }


def contact_chart(contact: ContactIntensity) -> Chart:
    """Contact intensity per month against the portfolio median per seat (1.0)."""
    # Most of this function is the Vega-Lite spec, written out as the one literal it is.
    months = contact.months
    values = [
        {
            "period": p.short_label,
            "intensity": p.contact_intensity,
            "text": intensity_text(p.contact_intensity),
            "interactions": p.interactions,
            "special": p.special_requests,
        }
        for p in months
        if p.contact_intensity is not None
    ]
    top = max([1.0, *[p.contact_intensity for p in months if p.contact_intensity is not None]])
    scale = {"domain": [0, math.ceil(top * 1.1 * 2) / 2]}
    median_text = gettext("portfolio median")
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "rule", "strokeDash": [5, 4], "color": INK},
            "encoding": {"y": {"datum": 1}},
        },
        {
            "mark": {"type": "text", "align": "right", "dx": -4, "dy": -6, "color": INK},
            "encoding": {
                "x": {"value": "width"},
                "y": {"datum": 1},
                "text": {"value": median_text},
            },
        },
        {
            "mark": {"type": "line", "point": True, "strokeWidth": 2, "color": BLUE},
            "encoding": {
                "x": _axis_x(months),
                "y": {
                    "field": "intensity",
                    "type": "quantitative",
                    "title": gettext("× portfolio median per seat"),
                    "scale": scale,
                },
                "tooltip": [
                    {"field": "period", "title": gettext("Month")},
                    {"field": "text", "title": gettext("Contact intensity")},
                    {"field": "interactions", "title": gettext("Interactions")},
                    {"field": "special", "title": gettext("Special requests")},
                ],
            },
        },
    ]
    return Chart(
        key="contact",
        title=gettext("Contact intensity against the portfolio median"),
        spec=_spec(values, layers, 200),
        columns=[
            gettext("Month"),
            gettext("Contact intensity"),
            gettext("Interactions"),
            gettext("Special requests"),
            gettext("Tickets"),
        ],
        rows=[
            [
                p.label,
                intensity_text(p.contact_intensity),
                formatting.count(p.interactions),
                formatting.count(p.special_requests),
                formatting.count(p.tickets),
            ]
            for p in months
        ],
        summary=_contact_summary(contact),
        empty=not values,
    )


def _contact_summary(contact: ContactIntensity) -> str:
    if contact.latest is None:
        return gettext("No contact intensity stored for this customer.")
    return gettext(
        "%(month)s: %(value)s the portfolio median of contacts per seat (the dashed line "
        "is the median). Last 12 months: %(interactions)s interactions, %(special)s "
        "special requests, %(tickets)s tickets."
    ) % {
        "month": formatting.month(contact.latest_month),
        "value": intensity_text(contact.latest),
        "interactions": formatting.count(contact.interactions),
        "special": formatting.count(contact.special_requests),
        "tickets": formatting.count(contact.tickets),
    }


def profit_chart(profit: Profit) -> Chart:
    """Monthly revenue against cost to serve (labour and direct costs)."""
    months = profit.months
    revenue, cost = gettext("Revenue"), gettext("Cost to serve")
    values = [
        {
            "period": p.short_label,
            "measure": measure,
            "amount": float(amount),
            "text": _money(amount),
        }
        for p in months
        if p.revenue or p.cost_to_serve
        for measure, amount in ((revenue, p.revenue), (cost, p.cost_to_serve))
    ]
    layers = [
        {
            "mark": {"type": "line", "point": True, "strokeWidth": 2},
            "encoding": {
                "x": _axis_x(months),
                "y": {
                    "field": "amount",
                    "type": "quantitative",
                    "title": gettext("%(currency)s per month") % {"currency": settings.CURRENCY},
                    "axis": {"format": ",.0f"},
                },
                "color": {
                    "field": "measure",
                    "type": "nominal",
                    "title": None,
                    "scale": _colour([revenue, cost], [GREEN, VERMILION]),
                },
                "tooltip": [
                    {"field": "period", "title": gettext("Month")},
                    {"field": "measure", "title": gettext("Figure")},
                    {"field": "text", "title": gettext("Amount")},
                ],
            },
        }
    ]
    year = profit.year
    summary = gettext(
        "Last 12 months: revenue %(revenue)s, cost to serve %(cost)s, margin %(margin)s "
        "(%(share)s of revenue), %(rate)s per hour worked."
    ) % {
        "revenue": _money(year.revenue),
        "cost": _money(year.cost_to_serve),
        "margin": _money(year.margin),
        "share": formatting.percent(year.margin_share),
        "rate": _money(year.effective_hourly_rate),
    }
    return Chart(
        key="profit",
        title=gettext("Revenue and cost to serve per month"),
        spec=_spec(values, layers, 200),
        columns=[
            gettext("Month"),
            gettext("Revenue"),
            gettext("Cost to serve"),
            gettext("Margin"),
            gettext("Agreement margin"),
            gettext("Effective hourly rate"),
        ],
        rows=[
            [
                p.label,
                _money(p.revenue),
                _money(p.cost_to_serve),
                _money(p.margin),
                formatting.percent(p.margin_share),
                _money(p.effective_hourly_rate),
            ]
            for p in months
        ],
        summary=summary,
        notes=list(profit.notes),
        empty=not values,
    )


@dataclass(frozen=True)
class CustomerCharts:
    reliability: Chart
    satisfaction: Chart
    ledger: Chart
    contact: Chart
    profit: Chart


def customer_charts(overview: CustomerOverview) -> CustomerCharts:
    """Every chart of the customer page, in the active language."""
    return CustomerCharts(
        reliability=reliability_chart(overview.reliability),
        satisfaction=satisfaction_chart(overview.satisfaction),
        ledger=ledger_chart(overview.ledger),
        contact=contact_chart(overview.contact),
        profit=profit_chart(overview.profit),
    )
