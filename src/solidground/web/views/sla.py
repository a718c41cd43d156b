"""The SLA page: breaches and near-breaches per ticket and clock, filtered, paged, as CSV.

Filters come from GET parameters; a value the page cannot use falls back to the default and
the page says so (never a 500, never a silent change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext

from solidground.accounts.selectors import Viewer
from solidground.contracts.models import Priority
from solidground.insights.selectors.common import last_analysis
from solidground.insights.selectors.sla import (
    BOTH,
    KINDS,
    STATE_FILTERS,
    PeriodChoices,
    SlaCounts,
    SlaFilters,
    SlaRow,
    export_rows,
    parse_period,
    period_choices,
    sla_page,
    visible_customers,
)
from solidground.web.access import dashboard_view, viewer_of
from solidground.web.csv_export import csv_response
from solidground.web.params import ParsedFilters as GenericParsedFilters
from solidground.web.params import int_or_none, page_number

FILTER_NAMES = ("customer", "priority", "period", "kind", "state")


ParsedFilters = GenericParsedFilters[SlaFilters]


def parse_filters(
    params: QueryDict, *, customers: list[tuple[int, str]], periods: PeriodChoices
) -> ParsedFilters:
    notices: list[str] = []
    values: dict[str, str] = {}

    customer_id: int | None = None
    text = params.get("customer", "").strip()
    if text:
        customer_id = int_or_none(text)
        if customer_id is None or customer_id not in {pk for pk, _name in customers}:
            # The same message for unknown and invisible customers: no hint that one exists.
            notices.append(gettext("That customer is not available; showing all customers."))
            customer_id = None
        else:
            values["customer"] = str(customer_id)

    priority: int | None = None
    text = params.get("priority", "").strip()
    if text:
        priority = int_or_none(text)
        if priority not in Priority.values:
            notices.append(gettext("Unknown priority; showing every priority."))
            priority = None
        else:
            values["priority"] = str(priority)

    period = periods.default
    text = params.get("period", "").strip()
    if text:
        parsed = parse_period(text)
        found = periods.find(parsed.key) if parsed is not None else None
        if found is None:
            notices.append(
                gettext(
                    "There are no analysis results for the period “%(period)s”; showing the "
                    "default period."
                )
                % {"period": text[:20]}
            )
        else:
            period = found
            values["period"] = found.key

    kind = params.get("kind", "").strip() or BOTH
    if kind != BOTH and kind not in KINDS:
        notices.append(gettext("Unknown kind of target; showing both."))
        kind = BOTH
    if kind != BOTH:
        values["kind"] = kind

    state = params.get("state", "").strip() or BOTH
    if state != BOTH and state not in STATE_FILTERS:
        notices.append(gettext("Unknown state; showing breaches and near-breaches."))
        state = BOTH
    if state != BOTH:
        values["state"] = state

    return ParsedFilters(
        SlaFilters(
            customer_id=customer_id, priority=priority, period=period, kind=kind, state=state
        ),
        notices,
        values,
    )


def _filters_of(
    request: HttpRequest, viewer: Viewer
) -> tuple[ParsedFilters, PeriodChoices, list[tuple[int, str]]]:
    customers = visible_customers(viewer=viewer)
    periods = period_choices(viewer=viewer)
    return parse_filters(request.GET, customers=customers, periods=periods), periods, customers


@dataclass(frozen=True)
class Cell:
    """One count above the table, and the link that lists just those rows."""

    kind: str
    state: str
    count: int
    query: str
    selected: bool


def _cells(parsed: ParsedFilters, counts: SlaCounts) -> list[Cell]:
    filters = parsed.filters
    base = {k: v for k, v in parsed.values.items() if k not in ("kind", "state")}
    cells = []
    for kind in KINDS:
        for state in STATE_FILTERS:
            query = urlencode(
                {**{k: v for k, v in base.items() if v}, "kind": kind, "state": state}
            )
            cells.append(
                Cell(
                    kind=kind,
                    state=state,
                    count=counts.of(kind, state),
                    query=query,
                    selected=kind in filters.kinds and state in filters.states,
                )
            )
    return cells


@dashboard_view
def sla(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    parsed, periods, customers = _filters_of(request, viewer)
    number = page_number(request.GET.get("page", ""), parsed.notices)
    result = sla_page(viewer=viewer, filters=parsed.filters, page=number)
    if result.page_adjusted and number > 1:
        parsed.notices.append(
            gettext("There is no page %(asked)s; showing the last page, %(shown)s.")
            % {"asked": number, "shown": result.page.number}
        )
    context = {
        "nav": "sla",
        "result": result,
        "filters": parsed.filters,
        "values": parsed.values,
        "notices": parsed.notices,
        "query": parsed.query(),
        "cells": _cells(parsed, result.counts),
        "customers": customers,
        "periods": periods,
        "priorities": Priority.choices,
        "kinds": list(KINDS.items()),
        "states": list(STATE_FILTERS.items()),
        "analysis": last_analysis(),
        "pages": _page_links(parsed, result.page.number, result.page.paginator.num_pages),
        "previous_query": (
            parsed.query(page=result.page.number - 1) if result.page.has_previous() else ""
        ),
        "next_query": parsed.query(page=result.page.number + 1) if result.page.has_next() else "",
    }
    # htmx asks for just the results when the filter form or a page link changes them; a
    # history restore (back button after the cache expired) needs the whole page.
    partial = bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "web/sla/_results.html" if partial else "web/sla.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap ("…")
    query: str
    current: bool


def _page_links(parsed: ParsedFilters, current: int, last: int) -> list[PageLink]:
    """First, last and the pages around the current one; gaps in between."""
    wanted = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    links: list[PageLink] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            links.append(PageLink(None, "", False))
        links.append(PageLink(number, parsed.query(page=number), number == current))
        previous = number
    return links


# --------------------------------------------------------------------------------------------
# CSV


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def _csv_row(row: SlaRow) -> list[str | int]:
    return [
        row.customer_name,
        row.reference,
        row.subject,
        row.priority_label,
        row.kind_label,
        row.state_label,
        _iso(row.due),
        _iso(row.actual),
        "" if row.margin_minutes is None else row.margin_minutes,
        row.zone,
    ]


@dashboard_view
def sla_csv(request: HttpRequest) -> StreamingHttpResponse:
    viewer = viewer_of(request)
    parsed, _periods, _customers = _filters_of(request, viewer)
    header = [
        gettext("Customer"),
        gettext("Ticket"),
        gettext("Subject"),
        gettext("Priority"),
        gettext("Target"),
        gettext("State"),
        gettext("Due"),
        gettext("Actual"),
        gettext("Margin (business minutes)"),
        gettext("Time zone"),
    ]
    rows = (_csv_row(row) for row in export_rows(viewer=viewer, filters=parsed.filters))
    period = (
        parsed.filters.period.key
        if parsed.filters.period and parsed.filters.period.key
        else "recent"
    )
    return csv_response(f"sla-{period}.csv", header, rows)
