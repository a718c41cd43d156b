"""The owner's portfolio report: a list of sections, each a selector call and a template.

``SECTIONS`` is the report's table of contents. A section builder takes the shared
``PortfolioBasis`` (the portfolio's stored sums, read once) and returns a ``Section`` (or None
when it has nothing to say); its template is included with the section as ``section``. To add a
section (e.g. "renewals and the thesis" from ``solidground.renewals``), write a builder that
calls that app's selector, a template ``reports/portfolio/_<key>.html``, and append the builder
to ``SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext

from solidground.accounts.selectors import Viewer
from solidground.insights import messages
from solidground.insights.charts.portfolio import whale_chart
from solidground.insights.models import CustomerSegment
from solidground.insights.selectors.common import last_analysis
from solidground.insights.selectors.portfolio import (
    Attention,
    Portfolio,
    SegmentTile,
    Whale,
    needs_attention,
    portfolio,
    segment_tiles,
    whale,
)
from solidground.renewals.report import renewal_report
from solidground.reports.charts import ChartImage, to_svg

ATTENTION_SHOWN = 15


@dataclass(frozen=True)
class PortfolioBasis:
    viewer: Viewer
    portfolio: Portfolio
    as_of: date | None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    data: object


@dataclass(frozen=True)
class SegmentsData:
    tiles: list[SegmentTile]
    total_revenue: Decimal
    customers: int
    # Segment label -> the reasons that placed its customers, most common first (stored).
    reasons: dict[str, list[tuple[str, int]]]


@dataclass(frozen=True)
class WhaleData:
    whale: Whale
    chart: ChartImage | None
    summary: str


@dataclass(frozen=True)
class AttentionData:
    rows: list[Attention]
    total: int


SectionBuilder = Callable[[PortfolioBasis], Section | None]


def _segments(basis: PortfolioBasis) -> Section | None:
    rows = basis.portfolio.rows
    if not rows:
        return None
    tiles = [t for t in segment_tiles(rows) if t.customers or t.customers_before]
    # The segment names and reasons come from the stored segments, whatever set of segments
    # and conditions the analysis uses: each customer's first reason is counted by its key.
    reasons: dict[str, dict[str, int]] = {}
    for segment, conditions in basis.viewer.restrict(CustomerSegment.objects).values_list(
        "segment", "reasons"
    ):
        label = str(messages.SEGMENT_NAMES.get(segment, segment.replace("_", " ")))
        counted = reasons.setdefault(label, {})
        first = next((c for c in conditions if c.get("met", True)), None)
        if isinstance(first, dict) and first.get("key"):
            name = messages.kind_name(str(first["key"]))
            counted[name] = counted.get(name, 0) + 1
    return Section(
        key="segments",
        title=gettext("Segments and revenue"),
        template="reports/portfolio/_segments.html",
        data=SegmentsData(
            tiles=tiles,
            total_revenue=sum((r.revenue for r in rows), Decimal("0")),
            customers=len(rows),
            reasons={
                label: sorted(counted.items(), key=lambda item: -item[1])[:3]
                for label, counted in reasons.items()
            },
        ),
    )


def _whale(basis: PortfolioBasis) -> Section | None:
    curve = whale(viewer=basis.viewer)
    if not curve.rows:
        return None
    chart = whale_chart(curve, url_of=lambda customer_id: "")
    return Section(
        key="whale",
        title=gettext("Whale curve: where the profit comes from"),
        template="reports/portfolio/_whale.html",
        data=WhaleData(
            whale=curve,
            chart=None if chart.empty else to_svg(chart, height=260),
            summary=chart.summary,
        ),
    )


def _attention(basis: PortfolioBasis) -> Section | None:
    rows, total = needs_attention(
        viewer=basis.viewer, rows=basis.portfolio.rows, limit=ATTENTION_SHOWN
    )
    return Section(
        key="attention",
        title=gettext("Customers to talk to first"),
        template="reports/portfolio/_attention.html",
        data=AttentionData(rows=rows, total=total),
    )


def _renewals(basis: PortfolioBasis) -> Section | None:
    """Issue 12: renewals at risk in the next 180 days and the thesis answers."""
    data = renewal_report(viewer=basis.viewer)
    if data is None:
        return None
    return Section(
        key="renewals",
        title=gettext("Renewals at risk and the thesis test"),
        template="reports/portfolio/_renewals.html",
        data=data,
    )


# The report's sections in order.
SECTIONS: list[SectionBuilder] = [_segments, _whale, _attention, _renewals]


@dataclass(frozen=True)
class PortfolioReview:
    as_of: date | None
    first_month: date | None
    last_month: date | None
    sections: list[Section]


def portfolio_review(
    *, viewer: Viewer, language: str | None = None, months: int = 12
) -> PortfolioReview:
    """The owner's report over the last ``months`` analysed months, section by section."""
    with translation.override(language or translation.get_language()):
        run = last_analysis()
        basis = PortfolioBasis(
            viewer=viewer,
            portfolio=portfolio(viewer=viewer, months=months, order="revenue"),
            as_of=run.as_of if run is not None else None,
        )
        sections = [section for build in SECTIONS if (section := build(basis)) is not None]
        return PortfolioReview(
            as_of=basis.as_of,
            first_month=basis.portfolio.first_month,
            last_month=basis.portfolio.last_month,
            sections=sections,
        )
