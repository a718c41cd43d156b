"""The start page: segment tiles, satisfaction against money, who needs attention first, the
whale curve, and the customer table with sorting, a segment filter, search and CSV export."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from solidground.accounts.selectors import Viewer
from solidground.insights.charts.portfolio import (
    SCATTER_AXES,
    satisfaction_scatter,
    whale_chart,
)
from solidground.insights.messages import SEGMENT_NAMES
from solidground.insights.selectors.common import cached, last_analysis
from solidground.insights.selectors.portfolio import (
    ORDERINGS,
    SEGMENT_KEYS,
    Portfolio,
    PortfolioRow,
    filter_rows,
    needs_attention,
    segment_tiles,
    segments,
    whale,
)
from solidground.insights.selectors.portfolio import portfolio as portfolio_figures
from solidground.web.access import dashboard_view, viewer_of
from solidground.web.csv_export import csv_response, decimal_text

MONTH_CHOICES = (3, 6, 12, 24, 36)
PAGE_SIZE = 100
COLUMNS = [
    ("name", gettext_lazy("Customer"), False),
    ("status", gettext_lazy("Status"), False),
    ("segment", gettext_lazy("Segment"), False),
    ("tickets", gettext_lazy("Tickets"), True),
    ("hours", gettext_lazy("Hours"), True),
    ("goodwill_share", gettext_lazy("Goodwill share"), True),
    ("revenue", gettext_lazy("Revenue"), True),
    ("margin_share", gettext_lazy("Margin"), True),
    ("csat", gettext_lazy("CSAT"), True),
    ("sla", gettext_lazy("Resolution SLA met"), True),
]


@dataclass(frozen=True)
class TableQuery:
    """The table's GET parameters, each checked; a bad value falls back with a message."""

    months: int
    order: str
    segment: str
    query: str
    x_axis: str
    problems: list[str]

    @classmethod
    def of(cls, request: HttpRequest) -> TableQuery:
        problems = []
        raw_months = request.GET.get("months", "")
        months = settings.PORTFOLIO_MONTHS
        if raw_months:
            try:
                months = int(raw_months)
            except ValueError:
                problems.append(_("“%(value)s” is not a number of months.") % {"value": raw_months})
            if not 1 <= months <= 120:
                problems.append(_("Months go from 1 to 120; showing %(n)s.") % {"n": 12})
                months = 12
        order = request.GET.get("order", "goodwill_share")
        if order not in ORDERINGS:
            problems.append(_("Unknown sort order; sorted by goodwill share."))
            order = "goodwill_share"
        segment = request.GET.get("segment", "")
        if segment and segment not in SEGMENT_KEYS:
            problems.append(_("Unknown segment; showing all."))
            segment = ""
        x_axis = request.GET.get("x", "margin")
        if x_axis not in SCATTER_AXES:
            x_axis = "margin"
        return cls(
            months=months,
            order=order,
            segment=segment,
            query=request.GET.get("q", "").strip()[:100],
            x_axis=x_axis,
            problems=problems,
        )


def _rows(viewer: Viewer, table: TableQuery) -> tuple[Portfolio, list[PortfolioRow]]:
    result = cached(
        "portfolio",
        viewer,
        table.months,
        table.order,
        compute=lambda: portfolio_figures(viewer=viewer, months=table.months, order=table.order),
    )
    return result, filter_rows(result.rows, segment=table.segment, query=table.query)


def _customer_url(customer_id: int) -> str:
    return reverse("web:customer", args=[customer_id])


@dataclass(frozen=True)
class ShownRow:
    row: PortfolioRow
    reasons: list[str]
    movers: list[str]


@dashboard_view
def portfolio(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    table = TableQuery.of(request)
    for problem in table.problems:
        messages.warning(request, problem)
    result, rows = _rows(viewer, table)
    language = translation.get_language()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # The reasons as sentences, for this page's rows only (a thousand sentences for 100 rows).
    explained = cached(
        "explained",
        viewer,
        table.months,
        table.order,
        table.segment,
        table.query,
        page.number,
        language,
        compute=lambda: segments(
            viewer=viewer, language=language, customer_ids=[row.customer_id for row in page]
        ),
    )
    shown = [
        ShownRow(
            row=row,
            reasons=explained[row.customer_id].reasons if row.customer_id in explained else [],
            movers=explained[row.customer_id].movers if row.customer_id in explained else [],
        )
        for row in page
    ]
    context: dict[str, object] = {
        "nav": "portfolio",
        "result": result,
        "rows": shown,
        "page": page,
        "matching": len(rows),
        "table": table,
        "month_choices": sorted({*MONTH_CHOICES, table.months}),
        "columns": COLUMNS,
        "segment_choices": [(key, SEGMENT_NAMES[key]) for key in SEGMENT_KEYS],
        "analysis": last_analysis(),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "customer-table":
        return render(request, "web/portfolio/_table.html", context)
    attention, attention_total = cached(
        "attention",
        viewer,
        table.months,
        language,
        compute=lambda: needs_attention(viewer=viewer, rows=result.rows, language=language),
    )
    context |= {
        "tiles": segment_tiles(result.rows),
        "attention": attention,
        "attention_total": attention_total,
        "scatter": cached(
            "scatter",
            viewer,
            table.months,
            table.x_axis,
            language,
            compute=lambda: satisfaction_scatter(
                result.rows, x_axis=table.x_axis, url_of=_customer_url
            ),
        ),
        "whale": cached(
            "whale",
            viewer,
            language,
            compute=lambda: whale_chart(whale(viewer=viewer), url_of=_customer_url),
        ),
    }
    return render(request, "web/portfolio.html", context)


@dashboard_view
def portfolio_csv(request: HttpRequest) -> StreamingHttpResponse:
    viewer = viewer_of(request)
    table = TableQuery.of(request)
    result, rows = _rows(viewer, table)
    header = [
        _("Customer"),
        _("Status"),
        _("Segment"),
        _("Tickets"),
        _("Hours"),
        _("Goodwill hours"),
        _("Goodwill share"),
        _("Revenue"),
        _("Cost to serve"),
        _("Margin"),
        _("Agreement margin"),
        _("CSAT"),
        _("CSAT lower bound"),
        _("CSAT upper bound"),
        _("CSAT answers"),
        _("Resolution SLA met"),
        _("SLA lower bound"),
        _("SLA upper bound"),
        _("Resolutions measured"),
    ]

    def cells(row: PortfolioRow) -> list[object]:
        return [
            row.name,
            row.status_label,
            row.segment_label,
            row.tickets,
            decimal_text(row.hours_total, 1),
            decimal_text(row.hours_goodwill, 1),
            decimal_text(row.goodwill_share, 4),
            decimal_text(float(row.revenue)),
            decimal_text(float(row.cost_to_serve)),
            decimal_text(float(row.margin)),
            decimal_text(row.margin_share, 4),
            decimal_text(row.csat.share, 4),
            decimal_text(row.csat.low, 4),
            decimal_text(row.csat.high, 4),
            row.csat.n,
            decimal_text(row.sla_resolution.share, 4),
            decimal_text(row.sla_resolution.low, 4),
            decimal_text(row.sla_resolution.high, 4),
            row.sla_resolution.n,
        ]

    window = (
        f"{result.first_month:%Y-%m}_{result.last_month:%Y-%m}"
        if result.first_month and result.last_month
        else "empty"
    )
    return csv_response(f"portfolio_{window}.csv", header, (cells(row) for row in rows))
