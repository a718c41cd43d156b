"""A review as HTML (Django templates) or PDF (WeasyPrint), with its charts as SVG.

The HTML is self-contained: styles inline, charts and logo as data URIs, so that the file can
be mailed or opened offline, and WeasyPrint fetches nothing (no network at run time).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import mimetypes
import ssl
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.template import engines
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext

from solidground.insights.charts import Chart
from solidground.insights.charts.customer import (
    contact_chart,
    ledger_chart,
    profit_chart,
    reliability_chart,
    satisfaction_chart,
)
from solidground.reports.charts import ChartImage, to_svg
from solidground.reports.periods import ReportInputError

if TYPE_CHECKING:
    # Only named in annotations: the portfolio (renewals, whale curve) is imported by the
    # code that makes one, not by every customer review.
    from solidground.reports.portfolio import PortfolioReview
    from solidground.reports.selectors import CustomerReview

Format = Literal["pdf", "html"]
FORMATS: tuple[Format, ...] = ("pdf", "html")
# Quarters shown in the satisfaction chart when answers are few (it then draws quarters).
SATISFACTION_QUARTERS = 6


def provider() -> dict[str, object]:
    """The provider's name and logo (settings), for the head of every review."""
    logo: SafeString | None = None
    path = settings.PROVIDER_LOGO
    if path:
        file = Path(path).expanduser()
        kind = mimetypes.guess_type(file.name)[0]
        if kind not in ("image/svg+xml", "image/png", "image/jpeg"):
            raise ReportInputError(
                gettext(
                    "SOLIDGROUND_PROVIDER_LOGO is %(path)s; it must be an SVG, PNG or JPEG file."
                )
                % {"path": path}
            )
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ReportInputError(
                gettext("SOLIDGROUND_PROVIDER_LOGO is %(path)s, which cannot be read: %(error)s.")
                % {"path": path, "error": exc.strerror}
            ) from exc
        encoded = base64.b64encode(data).decode("ascii")
        logo = mark_safe(f"data:{kind};base64,{encoded}")  # noqa: S308 (our own base64)
    return {"provider_name": settings.PROVIDER_NAME, "provider_logo": logo}


def customer_charts(review: CustomerReview) -> dict[str, ChartImage]:
    """The dashboard's charts over the year up to the period's end, as SVG."""
    if not review.has_data:
        return {}
    overview = review.overview
    months = review.chart_months
    last = review.period.last_month
    periods = [p for p in overview.satisfaction.periods if p.start <= last]
    periods = (
        periods[-SATISFACTION_QUARTERS:] if overview.satisfaction.by_quarter else periods[-12:]
    )
    charts = {
        # The segment rules' compliance target is the provider's yardstick, not an agreed
        # target: the customer's chart leaves it out (the agreed targets are listed instead).
        "reliability": reliability_chart(
            dataclasses.replace(overview.reliability, months=months, target=None)
        ),
        "satisfaction": satisfaction_chart(
            dataclasses.replace(overview.satisfaction, periods=periods)
        ),
        "ledger": ledger_chart(dataclasses.replace(overview.ledger, months=months)),
    }
    if review.internal:
        charts["profit"] = profit_chart(dataclasses.replace(overview.profit, months=months))
        charts["contact"] = contact_chart(dataclasses.replace(overview.contact, months=months))
    return {key: to_svg(chart, height=170) for key, chart in charts.items() if not chart.empty}


def _common(language: str) -> dict[str, Any]:
    return {
        **provider(),
        "language": language,
        "created": timezone.localdate(),
        "currency": settings.CURRENCY,
    }


def customer_html(review: CustomerReview, *, language: str) -> str:
    with translation.override(language):
        common = _common(language)
        title = (
            gettext("Service review, internal") if review.internal else gettext("Service review")
        )
        context = {
            **common,
            "review": review,
            "charts": customer_charts(review),
            "footer": " · ".join(
                part
                for part in (
                    str(common["provider_name"]),
                    review.customer_name,
                    f"{title} {review.period.label}",
                )
                if part
            ),
        }
        return render_to_string("reports/customer.html", context)


def portfolio_html(review: PortfolioReview, *, language: str) -> str:
    with translation.override(language):
        common = _common(language)
        footer = " · ".join(
            part for part in (str(common["provider_name"]), gettext("Portfolio review")) if part
        )
        return render_to_string(
            "reports/portfolio.html", {**common, "review": review, "footer": footer}
        )


@functools.cache
def _unused_tls() -> ssl.SSLContext:
    """A TLS context for the fetcher that it never uses (it may fetch data: URIs only).

    Without one, every fetcher loads the system's certificates (about 60 ms of CPU per
    review). This one has none, so even if HTTPS were ever allowed, no server would verify.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def pdf_of(html: str) -> bytes:
    """The HTML as PDF. Fonts come from the system (fontconfig); nothing is fetched."""
    # WeasyPrint ships no type information (no py.typed).
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    # Everything a review shows is inline (data: URIs); no other scheme may be fetched, so a
    # customer's text can never make the PDF renderer open a file or a network address.
    # A fetcher per document: it keeps the state of its last request, so threads of the web
    # server must not share one.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True, ssl_context=_unused_tls())
    document = HTML(string=html, url_fetcher=fetcher, base_url=".")
    return bytes(document.write_pdf())


def as_bytes(html: str, fmt: Format) -> bytes:
    return pdf_of(html) if fmt == "pdf" else html.encode("utf-8")


def file_name(review: CustomerReview, fmt: Format) -> str:
    """2026Q3-mueller-gmbh-review.pdf; the internal version ends in -internal."""
    slug = slugify(review.customer_name.replace("ß", "ss"))[:60] or f"customer-{review.customer_id}"
    suffix = "internal" if review.internal else "review"
    return f"{review.period.key}-{slug}-{suffix}.{fmt}"


def portfolio_file_name(as_of: date | None, fmt: Format) -> str:
    return f"{as_of:%Y-%m}-portfolio.{fmt}" if as_of else f"portfolio.{fmt}"


def customer_file(review: CustomerReview, language: str, fmt: Format) -> bytes:
    """One review's file content (a worker process of ``report --all`` calls this)."""
    return as_bytes(customer_html(review, language=language), fmt)


def warm_up() -> None:
    """Pay a process's one-time costs of a review now, not in the first download.

    Imports WeasyPrint (about 2 s on a small machine), starts vl-convert's JavaScript engine
    with a tiny chart (about 1.5 s), renders a one-page PDF with that chart in the review's
    stylesheet and fonts (WeasyPrint's first layout loads fonts through fontconfig) and
    compiles the review template. A web process calls it once at start, before it serves
    requests; afterwards a review costs only its own reading, charts and layout. Nothing is
    read from the store, nothing is written.
    """
    # The smallest chart: it starts vl-convert's engine and loads its fonts.
    tiny = Chart(
        key="warm-up",
        title="warm-up",
        spec={
            "data": {"values": [{"month": "2026-01", "n": 1}, {"month": "2026-02", "n": 2}]},
            "mark": "bar",
            "encoding": {
                "x": {"field": "month", "type": "ordinal", "axis": {"title": None}},
                "y": {"field": "n", "type": "quantitative", "axis": {"title": None}},
            },
        },
        columns=[],
        rows=[],
    )
    chart = to_svg(tiny, width=200, height=60)
    # The review's own stylesheet and page frame (footer, page numbers), with a heading, a
    # table and the chart: the first layout loads the regular and bold faces and the table code.
    page = engines["django"].from_string(
        '{% extends "reports/base.html" %}{% block content %}'
        "<h1>Warm-up</h1><p>1.690 EUR, <b>75 %</b>, <i>Q3 2026</i></p>"
        "<table><thead><tr><th>a</th><th>b</th></tr></thead>"
        "<tbody><tr><td>1</td><td>2</td></tr></tbody></table>"
        '<img src="{{ chart }}" alt="">{% endblock %}'
    )
    pdf_of(page.render({"language": "en", "footer": "warm-up", "chart": chart.data_uri}))
    get_template("reports/customer.html")
