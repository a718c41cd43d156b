"""Reads of the REST API: keyset pages over stored results, filtered by the viewer.

Every function takes ``viewer`` (keyword-only) and restricts with ``viewer.restrict`` as the
dashboard's selectors do, and reuses them for sentences (segment reasons, findings). Pages are
keyset pages on the primary key (``after``: the last id of the previous page), so a page costs
the same at the start and at the end of a million rows and no row is skipped or repeated
while results are being written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.insights.models import (
    CustomerPeriod,
    CustomerSegment,
    Finding,
    PeriodKind,
    TicketSla,
)
from solidground.insights.selectors.common import Rate, month_minus
from solidground.insights.selectors.findings import finding_views
from solidground.insights.selectors.portfolio import segments
from solidground.renewals import texts as renewal_texts
from solidground.renewals.models import RenewalRisk
from solidground.renewals.selectors import latest_fit

YEAR_MONTHS = 12


@dataclass(frozen=True)
class Figures:
    first_month: date | None
    last_month: date | None
    tickets: int
    csat: Rate
    sla_response: Rate
    sla_resolution: Rate
    hours_goodwill: float
    goodwill_share: float | None
    revenue: Decimal
    margin: Decimal


@dataclass(frozen=True)
class CustomerItem:
    customer: Customer
    segment: dict[str, Any] | None
    figures: Figures


def _sum(rows: list[CustomerPeriod], first: date | None, last: date | None) -> Figures:
    hours = sum(r.hours_billed + r.hours_included + r.hours_goodwill for r in rows)
    goodwill = sum(r.hours_goodwill for r in rows)
    return Figures(
        first_month=first,
        last_month=last,
        tickets=sum(r.tickets for r in rows),
        csat=Rate.of(sum(r.csat_positive for r in rows), sum(r.csat_responses for r in rows)),
        sla_response=Rate.of(
            sum(r.sla_response_met for r in rows), sum(r.sla_response_total for r in rows)
        ),
        sla_resolution=Rate.of(
            sum(r.sla_resolution_met for r in rows), sum(r.sla_resolution_total for r in rows)
        ),
        hours_goodwill=round(goodwill, 2),
        # Goodwill hours over the hours worked for the customer; no hours: no data.
        goodwill_share=goodwill / hours if hours else None,
        revenue=sum((r.revenue for r in rows), Decimal("0")),
        margin=sum((r.margin for r in rows), Decimal("0")),
    )


def last_month(*, viewer: Viewer) -> date | None:
    """The latest stored month of the customers this viewer sees (the "as of" month)."""
    return (
        viewer.restrict(CustomerPeriod.objects)
        .filter(period_kind=PeriodKind.MONTH)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )


def _segment_data(viewer: Viewer, ids: list[int], language: str) -> dict[int, dict[str, Any]]:
    views = segments(viewer=viewer, language=language, customer_ids=ids)
    keys = dict(
        CustomerSegment.objects.filter(customer_id__in=ids).values_list("customer_id", "reasons")
    )
    return {
        customer_id: {
            "segment": view.segment,
            "label": view.label,
            "reasons": view.reasons,
            "reason_keys": [str(c.get("key", "")) for c in keys.get(customer_id, [])],
            "window_start": view.window_start,
            "window_end": view.window_end,
        }
        for customer_id, view in views.items()
    }


def customer_items(
    *, viewer: Viewer, after: int = 0, limit: int, language: str, customer_id: int | None = None
) -> list[CustomerItem]:
    """Visible customers with id > ``after`` (at most ``limit``), with segment and the last
    12 stored months' figures."""
    queryset = viewer.restrict(Customer.objects, path="").filter(pk__gt=after).order_by("pk")
    if customer_id is not None:
        queryset = queryset.filter(pk=customer_id)
    customers = list(queryset[:limit])
    ids = [c.pk for c in customers]
    last = last_month(viewer=viewer)
    first = month_minus(last, YEAR_MONTHS - 1) if last else None
    by_customer: dict[int, list[CustomerPeriod]] = defaultdict(list)
    if last is not None and ids:
        for row in CustomerPeriod.objects.filter(
            customer_id__in=ids,
            period_kind=PeriodKind.MONTH,
            period_start__gte=first,
            period_start__lte=last,
        ):
            by_customer[row.customer_id].append(row)
    segment_data = _segment_data(viewer, ids, language) if ids else {}
    return [
        CustomerItem(
            customer=c,
            segment=segment_data.get(c.pk),
            figures=_sum(by_customer[c.pk], first, last),
        )
        for c in customers
    ]


def visible_customer(*, viewer: Viewer, customer_id: int) -> Customer | None:
    return viewer.restrict(Customer.objects, path="").filter(pk=customer_id).first()


def customer_months(
    *, viewer: Viewer, customer_id: int, first: date | None, last: date | None
) -> list[CustomerPeriod]:
    """The stored months of one visible customer between ``first`` and ``last`` (inclusive)."""
    queryset = viewer.restrict(CustomerPeriod.objects).filter(
        customer_id=customer_id, period_kind=PeriodKind.MONTH
    )
    if first is not None:
        queryset = queryset.filter(period_start__gte=first)
    if last is not None:
        queryset = queryset.filter(period_start__lte=last)
    return list(queryset.order_by("period_start"))


def finding_page(
    *,
    viewer: Viewer,
    after: int = 0,
    limit: int,
    language: str,
    customer_id: int | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[dict[str, Any]]:
    """Visible findings with id > ``after``, as sentences with recommendation and status."""
    queryset = viewer.restrict(Finding.objects).select_related("customer").filter(pk__gt=after)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if first is not None:
        queryset = queryset.filter(period_start__gte=first)
    if last is not None:
        queryset = queryset.filter(period_start__lte=last)
    rows = list(queryset.order_by("pk")[:limit])
    return [
        {
            "id": view.id,
            "kind": view.kind,
            "severity": view.severity,
            "customer_id": view.customer_id,
            "customer": view.customer_name,
            "sentence": view.text,
            "recommendation": view.recommendation,
            "status": view.status,
            "period_start": view.period_start,
        }
        for view in finding_views(rows, language=language)
    ]


def sla_rows(
    *,
    viewer: Viewer,
    after: int = 0,
    limit: int,
    customer_id: int | None = None,
    created_from: Any = None,
    created_before: Any = None,
) -> QuerySet[TicketSla]:
    """Stored SLA verdicts of visible tickets with ticket id > ``after``, in the database."""
    queryset = (
        viewer.restrict(TicketSla.objects, path="ticket__customer")
        .filter(ticket_id__gt=after)
        .select_related("ticket", "ticket__customer")
    )
    if customer_id is not None:
        queryset = queryset.filter(ticket__customer_id=customer_id)
    if created_from is not None:
        queryset = queryset.filter(ticket__created_at__gte=created_from)
    if created_before is not None:
        queryset = queryset.filter(ticket__created_at__lt=created_before)
    return queryset.order_by("ticket_id")[:limit]


def renewal_page(
    *,
    viewer: Viewer,
    after: int = 0,
    limit: int,
    days: int,
    customer_id: int | None = None,
    level: str | None = None,
) -> list[dict[str, Any]]:
    """Renewal risks of the latest renewal fit with id > ``after``: the running contracts of
    visible customers whose renewal or notice date falls in the next ``days`` days (counted
    from the fit's day), with their reasons as sentences. Empty before the first analysis."""
    fit = latest_fit()
    if fit is None:
        return []
    until = fit.as_of + timedelta(days=days)
    due = Q(notice_date__gte=fit.as_of, notice_date__lte=until) | Q(
        renewal_date__gte=fit.as_of, renewal_date__lte=until
    )
    risks = viewer.restrict(RenewalRisk.objects.filter(fit=fit)).filter(due, pk__gt=after)
    if customer_id is not None:
        risks = risks.filter(customer_id=customer_id)
    if level is not None:
        risks = risks.filter(level=level)
    rows = risks.select_related("customer", "contract").order_by("pk")[:limit]
    return [
        {
            "id": risk.pk,
            "customer_id": risk.customer_id,
            "customer": risk.customer.name,
            "contract_id": risk.contract_id,
            "contract": risk.contract.name,
            "renewal_date": risk.renewal_date,
            "notice_date": risk.notice_date,
            "annual_revenue": risk.annual_revenue,
            "revenue_at_risk": risk.revenue_at_risk,
            "level": risk.level,
            "risk": risk.risk,
            "risk_low": risk.risk_low,
            "risk_high": risk.risk_high,
            "method": fit.method,
            "as_of": fit.as_of,
            "reasons": [renewal_texts.reason(item) for item in risk.reasons or []],
        }
        for risk in rows
    ]
