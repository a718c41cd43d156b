"""One customer as a service manager reads it: segment and why, reliability, satisfaction,
the extra-mile ledger, contact intensity, profit, contracts, findings and history.

Everything comes from stored results (``CustomerPeriod``, ``TicketSla``, ``CustomerSegment``,
``CustomerTrend``, ``Finding``) and the domain rows they speak of; sums over stored months and
rates of summed counts are the only arithmetic. The number of queries is fixed: it does not
grow with months, tickets, contracts or comments (tests check it).

The page's parts live beside this module: ``customer_types`` (the dataclasses and sizes,
re-exported here), ``customer_sections`` (the figure sections) and ``customer_contracts``
(contracts, highlights, timeline). The chart builders in ``insights.charts.customer`` take
these dataclasses, so that the quarterly report can draw the same pictures.
"""

from __future__ import annotations

from django.utils import translation

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.insights.models import CustomerPeriod, CustomerSegment, PeriodKind
from solidground.insights.selectors.common import last_analysis, message_context, month_minus
from solidground.insights.selectors.customer_contracts import _contracts, _highlights, _timeline
from solidground.insights.selectors.customer_sections import (
    _contact,
    _goodwill_notes,
    _ledger,
    _months,
    _quarters,
    _reliability,
    _satisfaction,
    _segment,
    _sla_target,
    _trend_notes,
)

# The quarterly report (reports.selectors) builds its quarters with the page's row reader.
from solidground.insights.selectors.customer_sections import _figures as _figures
from solidground.insights.selectors.customer_types import (
    COMMENTS_MAX,
    COMMENTS_SHOWN,
    EVENTS_SHOWN,
    MONTHLY_CSAT_MIN_MEDIAN,
    MONTHS_SHOWN,
    QUARTERS_SHOWN,
    YEAR_MONTHS,
    Comment,
    ContactIntensity,
    ContractInfo,
    CustomerHeader,
    CustomerOverview,
    HighlightInfo,
    ItemInfo,
    Ledger,
    NpsFigure,
    PeriodFigures,
    PolicyInfo,
    Profit,
    ProfitTotals,
    Reliability,
    Satisfaction,
    SegmentInfo,
    SlaTargetInfo,
    TimelineEntry,
    business_duration,
)
from solidground.insights.selectors.findings import customer_findings

__all__ = [
    "COMMENTS_MAX",
    "COMMENTS_SHOWN",
    "EVENTS_SHOWN",
    "MONTHLY_CSAT_MIN_MEDIAN",
    "MONTHS_SHOWN",
    "QUARTERS_SHOWN",
    "YEAR_MONTHS",
    "Comment",
    "ContactIntensity",
    "ContractInfo",
    "CustomerHeader",
    "CustomerOverview",
    "HighlightInfo",
    "ItemInfo",
    "Ledger",
    "NpsFigure",
    "PeriodFigures",
    "PolicyInfo",
    "Profit",
    "ProfitTotals",
    "Reliability",
    "Satisfaction",
    "SegmentInfo",
    "SlaTargetInfo",
    "TimelineEntry",
    "business_duration",
    "customer_overview",
]


# --------------------------------------------------------------------------------------------
# The selector


def customer_overview(
    *,
    viewer: Viewer,
    customer_id: int,
    language: str | None = None,
    comments: int = COMMENTS_SHOWN,
) -> CustomerOverview | None:
    """Everything the customer page shows; None if the viewer may not see the customer (or
    it does not exist), so that the page answers 404 without telling which."""
    customer = (
        viewer.restrict(Customer.objects.filter(pk=customer_id), path="")
        .select_related("account_manager")
        .first()
    )
    if customer is None:
        return None
    with translation.override(language or translation.get_language()):
        return _overview(viewer, customer, max(1, min(comments, COMMENTS_MAX)))


def _overview(viewer: Viewer, customer: Customer, comment_limit: int) -> CustomerOverview:
    run = last_analysis()
    as_of = run.as_of if run is not None else None
    stored_months = list(
        CustomerPeriod.objects.filter(
            customer_id=customer.pk, period_kind=PeriodKind.MONTH
        ).order_by("period_start")
        if as_of is None
        else CustomerPeriod.objects.filter(
            customer_id=customer.pk,
            period_kind=PeriodKind.MONTH,
            period_start__gte=month_minus(as_of, MONTHS_SHOWN - 1),
            period_start__lte=as_of,
        ).order_by("period_start")
    )
    last = as_of or (stored_months[-1].period_start if stored_months else None)
    months = _months(stored_months, last)
    year = months[-YEAR_MONTHS:]
    quarters = _quarters(customer.pk, months, last)
    target = _sla_target(run.thresholds if run is not None else {})
    segment_row = CustomerSegment.objects.filter(customer_id=customer.pk).first()
    context = message_context(run)
    segment = _segment(segment_row, context)
    findings = customer_findings(
        viewer=viewer, customer_id=customer.pk, language=translation.get_language()
    )
    contracts, events = _contracts(customer, year, last)
    header = CustomerHeader(
        id=customer.pk,
        name=customer.name,
        status=customer.status,
        status_label=str(Customer.Status(customer.status).label)
        if customer.status in Customer.Status.values
        else customer.status,
        seats=customer.seats,
        endpoints=customer.endpoints,
        account_manager=(
            (customer.account_manager.get_full_name() or customer.account_manager.get_username())
            if customer.account_manager
            else ""
        ),
        customer_since=customer.customer_since,
        segment=segment,
        as_of=as_of,
    )
    trends = _trend_notes(customer.pk)
    return CustomerOverview(
        header=header,
        first_month=months[0].start if months else None,
        last_month=last,
        reliability=_reliability(viewer, customer, months, year, target),
        satisfaction=_satisfaction(customer, months, year, quarters, comment_limit),
        ledger=_ledger(
            months,
            year,
            _goodwill_notes(segment_row, findings, trends.get("goodwill_share", []), context),
        ),
        contact=_contact(months, year),
        profit=Profit(
            months=months,
            year=ProfitTotals.of(year),
            quarters=quarters[-QUARTERS_SHOWN:],
            notes=trends.get("margin_share", []),
        ),
        contracts=contracts,
        findings=findings,
        highlights=_highlights(customer),
        timeline=_timeline(contracts, events, last),
    )
