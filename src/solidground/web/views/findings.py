"""The findings page: what to act on, grouped by severity, and the user's decisions on it.

A decision is a POST (CSRF-protected). With htmx only the finding's block is swapped (and the
counts per status, out of band); without JavaScript the browser is sent back to the list with
a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext

from solidground.accounts.selectors import Viewer
from solidground.insights.decisions import NOTE_MAX_LENGTH, do_decide_finding, do_reopen_finding
from solidground.insights.models import Finding, FindingDecision
from solidground.insights.selectors.findings import (
    ALL,
    OPEN,
    RECOMMENDATION_TEXT,
    STATUSES,
    FindingFilters,
    finding_counts,
    finding_view,
    findings_page,
    recommendation_choices,
    visible_finding,
)
from solidground.insights.selectors.sla import visible_customers
from solidground.web.access import dashboard_view, viewer_of
from solidground.web.params import ParsedFilters as GenericParsedFilters
from solidground.web.params import int_or_none, page_number

REOPEN = "reopen"


ParsedFilters = GenericParsedFilters[FindingFilters]


def parse_filters(params: QueryDict, *, customers: list[tuple[int, str]]) -> ParsedFilters:
    """The page's filters from GET parameters; unusable values fall back, with a notice."""
    notices: list[str] = []
    values: dict[str, str] = {}

    status = params.get("status", "").strip() or OPEN
    if status != ALL and status not in STATUSES:
        notices.append(gettext("Unknown status; showing open findings."))
        status = OPEN
    values["status"] = status

    severity: int | None = None
    text = params.get("severity", "").strip()
    if text:
        severity = int_or_none(text)
        if severity not in Finding.Severity.values:
            notices.append(gettext("Unknown severity; showing every severity."))
            severity = None
        else:
            values["severity"] = str(severity)

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

    recommendation: str | None = params.get("recommendation", "").strip() or None
    if recommendation is not None and recommendation not in RECOMMENDATION_TEXT:
        notices.append(gettext("Unknown recommendation; showing every recommendation."))
        recommendation = None
    if recommendation is not None:
        values["recommendation"] = recommendation

    return ParsedFilters(
        FindingFilters(
            status=status,
            severity=severity,
            customer_id=customer_id,
            recommendation=recommendation,
        ),
        notices,
        values,
    )


@dataclass(frozen=True)
class StatusTab:
    status: str
    label: str
    count: int
    query: str
    current: bool


def _tabs(parsed: ParsedFilters, counts: dict[str, int]) -> list[StatusTab]:
    others = {k: v for k, v in parsed.values.items() if k != "status"}
    labels = {**{k: str(v) for k, v in STATUSES.items()}, ALL: gettext("all")}
    return [
        StatusTab(
            status=status,
            label=labels[status],
            count=counts[status],
            query=urlencode({**others, "status": status}),
            current=status == parsed.filters.status,
        )
        for status in (*STATUSES, ALL)
    ]


def _is_partial(request: HttpRequest) -> bool:
    # htmx asks for a part of the page; a history restore (back button after htmx's cache
    # expired) needs the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


@dashboard_view
def findings(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    customers = visible_customers(viewer=viewer)
    parsed = parse_filters(request.GET, customers=customers)
    number = page_number(request.GET.get("page", ""), parsed.notices)
    result = findings_page(
        viewer=viewer,
        filters=parsed.filters,
        page=number,
        language=translation.get_language(),
    )
    if result.page_adjusted and number > 1:
        parsed.notices.append(
            gettext("There is no page %(asked)s; showing the last page, %(shown)s.")
            % {"asked": number, "shown": result.page.number}
        )
    page = result.page
    context = {
        "nav": "findings",
        "result": result,
        "filters": parsed.filters,
        "values": parsed.values,
        "notices": parsed.notices,
        "tabs": _tabs(parsed, result.counts),
        "customers": customers,
        "severities": sorted(Finding.Severity.choices, reverse=True),
        "recommendations": recommendation_choices(),
        "statuses": [*((k, str(v)) for k, v in STATUSES.items()), (ALL, gettext("all"))],
        # Where a decision sends the browser back to (no JavaScript): this very list.
        "return_query": parsed.query(page=page.number) if page.number > 1 else parsed.query(),
        "previous_query": parsed.query(page=page.number - 1) if page.has_previous() else "",
        "next_query": parsed.query(page=page.number + 1) if page.has_next() else "",
        "note_max_length": NOTE_MAX_LENGTH,
    }
    template = "web/findings/_results.html" if _is_partial(request) else "web/findings.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _return_query(text: str, viewer: Viewer) -> tuple[ParsedFilters, str]:
    """The list's filters a decision came from, re-parsed: only known filters go back into
    the redirect, so the hidden field cannot send the browser anywhere else."""
    params = QueryDict(text[:1000])
    parsed = parse_filters(params, customers=visible_customers(viewer=viewer))
    page = int_or_none(params.get("page", ""))
    query = parsed.query(page=page) if page is not None and page > 1 else parsed.query()
    return parsed, query


@dashboard_view(methods=("POST",))
def decide(request: HttpRequest, finding_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    finding = visible_finding(viewer=viewer, finding_id=finding_id)
    if finding is None:
        raise Http404
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    parsed, query = _return_query(request.POST.get("return", ""), viewer)
    error = ""
    if decision in FindingDecision.Status.values:
        do_decide_finding(finding=finding, status=decision, note=note, decided_by_id=viewer.user_id)
        done = (
            gettext("Marked as done: %(customer)s.")
            if decision == FindingDecision.Status.DONE
            else gettext("Dismissed: %(customer)s.")
        )
        message = done % {"customer": finding.customer.name}
    elif decision == REOPEN:
        do_reopen_finding(finding=finding)
        message = gettext("Open again: %(customer)s.") % {"customer": finding.customer.name}
    else:
        error = gettext("Choose “Done” or “Dismiss”.")
        message = ""

    if _is_partial(request):
        counts = finding_counts(viewer=viewer, filters=parsed.filters)
        context = {
            "finding": finding_view(
                viewer=viewer, finding_id=finding.pk, language=translation.get_language()
            ),
            "return_query": query,
            "error": error,
            "announce": message,
            "tabs": _tabs(parsed, counts),
            "note_max_length": NOTE_MAX_LENGTH,
            "oob": True,
        }
        return render(request, "web/findings/_decided.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    url = reverse("web:findings") + (f"?{query}" if query else "")
    return HttpResponseRedirect(f"{url}#finding-{finding.pk}" if not error else url)
