"""What a service review says, read from stored results (docs/reports.md).

``customer_review`` gathers one customer and period for the customer version and, with
``internal=True``, the provider's version. It starts from the customer page's selector
(``insights.selectors.customer.customer_overview``: header, segment, contracts, findings,
highlights, the months the charts draw) and adds what only a review needs: the stored figures
of the period itself and of the periods it is compared with, the period's SLA breaches, its
comments, and its work by catalogue item. Nothing is analysed here: shares come with the
intervals the analysis stored, trends are the stored ``CustomerTrend`` rows where the analysis
kept them, and only sums of stored rows are added up.

The review's parts live beside this module: ``review_types`` (the dataclasses, re-exported
here), ``review_sections`` (business hours, breaches, comments, work, scope notes) and
``review_trends`` (the comparisons with earlier periods).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.insights import formatting
from solidground.insights.models import CustomerPeriod
from solidground.insights.selectors.common import last_analysis
from solidground.insights.selectors.customer import (
    ContractInfo,
    CustomerOverview,
    PeriodFigures,
    SegmentInfo,
    _figures,
    customer_overview,
)
from solidground.insights.selectors.findings import FindingView
from solidground.reports.periods import (
    ReportInputError,
    ReportPeriod,
    last_complete_quarter,
    parse_period,
)
from solidground.reports.review_sections import (
    _breaches,
    _business_hours,
    _comments,
    _scope_notes,
    _work,
    choose_comments,
)
from solidground.reports.review_trends import _CUSTOMER_FIGURES, _INTERNAL_FIGURES, _trends
from solidground.reports.review_types import (
    BREACHES_SHOWN,
    CHART_MONTHS,
    COMMENTS_SHOWN,
    BusinessHours,
    CustomerReview,
    ItemWork,
    ScopeNote,
    Trend,
)

__all__ = [
    "BREACHES_SHOWN",
    "CHART_MONTHS",
    "COMMENTS_SHOWN",
    "BusinessHours",
    "CustomerReview",
    "ItemWork",
    "ScopeNote",
    "Trend",
    "check_period",
    "choose_comments",
    "customer_review",
    "find_customer",
    "review_period",
]


# --------------------------------------------------------------------------------------------
# The selector


def find_customer(*, viewer: Viewer, text: str) -> Customer:
    """The customer a user names on the command line: an id, or the exact name (any case)."""
    visible = viewer.restrict(Customer.objects, path="")
    text = text.strip()
    found = (
        visible.filter(pk=int(text)).first()
        if text.isdigit()
        else visible.filter(name__iexact=text).first()
    )
    if found is None:
        raise ReportInputError(
            gettext(
                "No customer “%(text)s”: give the customer's id or its exact name "
                "(`solidground portfolio` lists them)."
            )
            % {"text": text[:80]}
        )
    return found


def check_period(period: ReportPeriod, *, today: date) -> date:
    """The analysis' last month, if ``period`` has analysed figures; else a clear error."""
    run = last_analysis()
    as_of = run.as_of if run is not None else None
    if period.start > date(today.year, today.month, 1):
        raise ReportInputError(
            gettext("%(period)s is in the future: a review can only speak of months that are over.")
            % {"period": period.label}
        )
    if as_of is None:
        raise ReportInputError(
            gettext("There are no analysis results yet; run `solidground analyze` first.")
        )
    if period.start > as_of:
        raise ReportInputError(
            gettext(
                "%(period)s has no analysed figures yet: the last analysis covers up to "
                "%(month)s; run `solidground analyze` after the period's data is imported."
            )
            % {"period": period.label, "month": formatting.month(as_of)}
        )
    return as_of


def review_period(text: str, *, today: date) -> ReportPeriod:
    """The period a user asks for (``2026Q3``, ``2026-07``), else the last complete quarter of
    the last analysis; checked with ``check_period``."""
    if text:
        period = parse_period(text)
    else:
        run = last_analysis()
        if run is None or run.as_of is None:
            raise ReportInputError(
                gettext("There are no analysis results yet; run `solidground analyze` first.")
            )
        period = last_complete_quarter(run.as_of)
    check_period(period, today=today)
    return period


def customer_review(
    *,
    viewer: Viewer,
    customer_id: int,
    period: ReportPeriod,
    internal: bool = False,
    language: str | None = None,
) -> CustomerReview | None:
    """One customer's review of ``period``; None if the viewer may not see the customer."""
    with translation.override(language or translation.get_language()):
        overview = customer_overview(viewer=viewer, customer_id=customer_id, comments=1)
        if overview is None:
            return None
        return _review(viewer, overview, period, internal)


def _review(
    viewer: Viewer, overview: CustomerOverview, period: ReportPeriod, internal: bool
) -> CustomerReview:
    customer_id = overview.header.id
    as_of = overview.header.as_of
    stored = _stored_periods(customer_id, period)
    figures = stored.get(period.start)
    previous = stored.get(period.previous.start)
    year_before = stored.get(period.year_before.start)
    complete = as_of is None or period.last_month <= as_of
    if figures is not None and not complete:
        figures = dataclasses.replace(figures, complete=False)
    contracts = _contracts_in(overview.contracts, period)
    policy = next((c.policy for c in contracts if c.policy is not None), None)
    breaches, breaches_total = _breaches(viewer, customer_id, period)
    comments, comments_total = _comments(customer_id, period)
    work = _work(customer_id, period, contracts)
    scope = _scope_notes(work, contracts)
    highlights = [h for h in overview.highlights if period.contains(h.day)]
    trends = _trends(customer_id, period, figures, previous, year_before, _CUSTOMER_FIGURES)
    missing = _missing(period, figures, contracts, comments_total)
    review = CustomerReview(
        customer_id=customer_id,
        customer_name=overview.header.name,
        period=period,
        internal=internal,
        as_of=as_of,
        complete=complete,
        figures=figures,
        previous=previous,
        year_before=year_before,
        contracts=contracts,
        business_hours=_business_hours(policy.calendar, policy.timezone) if policy else None,
        breaches=breaches,
        breaches_total=breaches_total,
        comments=comments,
        comments_total=comments_total,
        work=work,
        scope_notes=scope,
        highlights=highlights,
        trends=trends,
        next_steps=_next_steps(figures, scope, breaches_total, contracts, period, as_of),
        missing=missing,
        chart_months=[m for m in overview.reliability.months if m.start <= period.last_month][
            -CHART_MONTHS:
        ],
        overview=overview,
    )
    if not internal:
        return review
    findings = overview.open_findings
    return dataclasses.replace(
        review,
        segment=overview.header.segment,
        findings=findings,
        agenda=_agenda(review, overview.header.segment, findings),
        internal_trends=_trends(
            customer_id, period, figures, previous, year_before, _INTERNAL_FIGURES
        ),
    )


def _stored_periods(customer_id: int, period: ReportPeriod) -> dict[date, PeriodFigures]:
    """The stored rows of the period, the one before and the one a year before."""
    starts = [period.start, period.previous.start, period.year_before.start]
    rows = CustomerPeriod.objects.filter(
        customer_id=customer_id, period_kind=period.kind, period_start__in=starts
    )
    return {row.period_start: _figures(row) for row in rows}


def _contracts_in(contracts: list[ContractInfo], period: ReportPeriod) -> list[ContractInfo]:
    """Contracts in force at some time during the period, the one in force longest first."""
    last_day = period.end
    running = [
        c for c in contracts if c.start < last_day and (c.end is None or c.end >= period.start)
    ]
    return sorted(running, key=lambda c: (c.end is not None, -c.start.toordinal()))


# --------------------------------------------------------------------------------------------
# What has no data, next steps, agenda


def _missing(
    period: ReportPeriod,
    figures: PeriodFigures | None,
    contracts: list[ContractInfo],
    comments: int,
) -> list[str]:
    label = {"period": period.label}
    if figures is None:
        return [gettext("There are no stored figures for %(period)s.") % label]
    missing = []
    if not contracts:
        missing.append(
            gettext(
                "No contract is on record for %(period)s: there are no agreed targets, and "
                "work cannot be told apart as included or outside the contract."
            )
            % label
        )
    if figures.tickets == 0:
        missing.append(gettext("No tickets were opened in %(period)s.") % label)
    elif figures.sla_response.n == 0 and figures.sla_resolution.n == 0:
        missing.append(gettext("No SLA clock was measured in %(period)s.") % label)
    if figures.csat.n == 0:
        missing.append(
            gettext("No satisfaction answers in %(period)s: satisfaction is unknown, not assumed.")
            % label
        )
    elif comments == 0:
        missing.append(gettext("No answer in %(period)s came with a comment.") % label)
    if figures.hours_facing == 0:
        missing.append(gettext("No work was booked in %(period)s.") % label)
    return missing


def _next_steps(
    figures: PeriodFigures | None,
    scope: list[ScopeNote],
    breaches: int,
    contracts: list[ContractInfo],
    period: ReportPeriod,
    as_of: date | None,
) -> list[str]:
    """What both sides agree to do next, from the review's own facts (no internal figures)."""
    if figures is None:
        return []
    steps = []
    if scope:
        steps.append(
            gettext("Agree how requests outside the contract are handled from now on: %(items)s.")
            % {"items": ", ".join(f"“{note.item}”" for note in scope)}
        )
    if breaches:
        steps.append(
            ngettext(
                "Go through the %(n)s breached SLA target together, and what we changed.",
                "Go through the %(n)s breached SLA targets together, and what we changed.",
                breaches,
            )
            % {"n": breaches}
        )
    if figures.csat.n == 0 or (figures.response.share is not None and figures.response.share < 0.1):
        steps.append(
            gettext(
                "Ask your team to answer the short survey after a ticket: without answers we "
                "cannot tell how our work is received."
            )
        )
    for contract in contracts:
        if contract.renewal and contract.notice_by and as_of and period.end <= contract.notice_by:
            steps.append(
                gettext("Talk about the contract's renewal on %(renewal)s (notice by %(notice)s).")
                % {
                    "renewal": date_format(contract.renewal, "DATE_FORMAT"),
                    "notice": date_format(contract.notice_by, "DATE_FORMAT"),
                }
            )
            break
    if not steps:
        steps.append(gettext("Keep the service as it is; we meet again next quarter."))
    return steps


def _agenda(
    review: CustomerReview, segment: SegmentInfo | None, findings: list[FindingView]
) -> list[str]:
    """The internal agenda for the review meeting: what the data asks to talk about."""
    agenda = []
    if segment is not None and segment.changed:
        agenda.append(
            gettext("Why the customer moved from “%(before)s” to “%(now)s”.")
            % {"before": segment.previous_label, "now": segment.label}
        )
    seen: set[str] = set()
    for finding in findings:
        if finding.recommendation_text and finding.recommendation_text not in seen:
            seen.add(finding.recommendation_text)
            agenda.append(f"{finding.recommendation_text} ({finding.text})")
    agenda.extend(review.next_steps)
    return agenda
