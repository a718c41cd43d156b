"""Read routes: customers, one customer's months, findings, SLA verdicts (thin: selectors read)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext
from ninja import Query, Router

from solidground.api.auth import TokenAuth, caller
from solidground.api.errors import BadRequest
from solidground.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    next_cursor,
    parse_month,
)
from solidground.api.schemas import (
    ApiError,
    CustomerDetailOut,
    CustomerPage,
    FindingPage,
    RenewalPage,
    SlaPage,
)
from solidground.api.selectors import (
    CustomerItem,
    Figures,
    customer_items,
    customer_months,
    finding_page,
    renewal_page,
    sla_rows,
    visible_customer,
)
from solidground.insights.models import CustomerPeriod
from solidground.insights.selectors.common import Rate

router = Router(auth=TokenAuth())

ERRORS: dict[int, Any] = {400: ApiError, 401: ApiError, 404: ApiError, 422: ApiError, 429: ApiError}
Language = str


def _language(lang: str) -> str:
    return lang if lang in ("de", "en") else "en"


def _month(day: date | None) -> str | None:
    return f"{day:%Y-%m}" if day else None


def _rate(rate: Rate) -> dict[str, Any]:
    return {
        "successes": rate.successes,
        "n": rate.n,
        "share": rate.share,
        "low": rate.low,
        "high": rate.high,
        "small_sample": rate.small_sample,
    }


def _figures(figures: Figures) -> dict[str, Any]:
    return {
        "first_month": _month(figures.first_month),
        "last_month": _month(figures.last_month),
        "tickets": figures.tickets,
        "csat": _rate(figures.csat),
        "sla_response": _rate(figures.sla_response),
        "sla_resolution": _rate(figures.sla_resolution),
        "hours_goodwill": figures.hours_goodwill,
        "goodwill_share": figures.goodwill_share,
        "revenue": figures.revenue,
        "margin": figures.margin,
    }


def _customer(item: CustomerItem) -> dict[str, Any]:
    return {
        "id": item.customer.pk,
        "name": item.customer.name,
        "status": item.customer.status,
        "segment": item.segment,
        "last_12_months": _figures(item.figures),
    }


def _period(row: CustomerPeriod) -> dict[str, Any]:
    return {
        "month": f"{row.period_start:%Y-%m}",
        "tickets": row.tickets,
        "csat": _rate(Rate.of(row.csat_positive, row.csat_responses)),
        "sla_response": _rate(Rate.of(row.sla_response_met, row.sla_response_total)),
        "sla_resolution": _rate(Rate.of(row.sla_resolution_met, row.sla_resolution_total)),
        "hours_included": row.hours_included,
        "hours_billed": row.hours_billed,
        "hours_goodwill": row.hours_goodwill,
        "goodwill_share": row.goodwill_share,
        "revenue": row.revenue,
        "margin": row.margin,
        "margin_share": row.margin_share,
    }


@router.get(
    "/customers", response={200: CustomerPage, **ERRORS}, summary="List customers", tags=["read"]
)
def list_customers(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    lang: str = Query("en", pattern="^(de|en)$"),
) -> dict[str, Any]:
    """Visible customers by id: segment with reasons, and the last 12 stored months' figures."""
    items = customer_items(
        viewer=caller(request).viewer,
        after=decode_cursor(cursor),
        limit=limit,
        language=_language(lang),
    )
    return {
        "items": [_customer(item) for item in items],
        "next_cursor": next_cursor([item.customer.pk for item in items], limit),
    }


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerDetailOut, **ERRORS},
    summary="One customer",
    tags=["read"],
)
def get_customer(
    request: HttpRequest,
    customer_id: int,
    from_month: str | None = Query(None, alias="from"),
    to_month: str | None = Query(None, alias="to"),
    lang: str = Query("en", pattern="^(de|en)$"),
) -> dict[str, Any]:
    """One visible customer (404 otherwise) with its stored months ``from``..``to`` (YYYY-MM)."""
    viewer = caller(request).viewer
    if (
        not 0 < customer_id < 2**62
        or visible_customer(viewer=viewer, customer_id=customer_id) is None
    ):
        raise Http404
    first = parse_month("from", from_month)
    last = parse_month("to", to_month)
    if first and last and first > last:
        raise BadRequest("from", from_month or "", gettext("is after to"))
    item = customer_items(
        viewer=viewer, limit=1, language=_language(lang), customer_id=customer_id
    )[0]
    months = customer_months(viewer=viewer, customer_id=customer_id, first=first, last=last)
    return {**_customer(item), "months": [_period(row) for row in months]}


@router.get(
    "/findings", response={200: FindingPage, **ERRORS}, summary="List findings", tags=["read"]
)
def list_findings(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    customer: int | None = Query(None, ge=1, lt=2**62),
    from_month: str | None = Query(None, alias="from"),
    to_month: str | None = Query(None, alias="to"),
    lang: str = Query("en", pattern="^(de|en)$"),
) -> dict[str, Any]:
    """Stored findings of visible customers by id, as sentences with their recommendation and
    decision status; ``from``/``to`` filter by the period the finding speaks of."""
    viewer = caller(request).viewer
    rows = finding_page(
        viewer=viewer,
        after=decode_cursor(cursor),
        limit=limit,
        language=_language(lang),
        customer_id=customer,
        first=parse_month("from", from_month),
        last=parse_month("to", to_month),
    )
    return {"items": rows, "next_cursor": next_cursor([row["id"] for row in rows], limit)}


@router.get(
    "/renewals",
    response={200: RenewalPage, **ERRORS},
    summary="Renewals due, with their risk",
    tags=["read"],
)
def list_renewals(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    days: int = Query(90, ge=1, le=3660),
    customer: int | None = Query(None, ge=1, lt=2**62),
    level: str | None = Query(None, pattern="^(high|elevated|low)$"),
    lang: str = Query("en", pattern="^(de|en)$"),
) -> dict[str, Any]:
    """Running contracts of visible customers whose renewal or notice date falls in the next
    ``days`` days, by id, with the latest analysis's risk and reasons (in ``lang``)."""
    with translation.override(_language(lang)):
        rows = renewal_page(
            viewer=caller(request).viewer,
            after=decode_cursor(cursor),
            limit=limit,
            days=days,
            customer_id=customer,
            level=level,
        )
    return {"items": rows, "next_cursor": next_cursor([row["id"] for row in rows], limit)}


def _month_instant(day: date) -> datetime:
    # Months are cut in the provider's zone (ARCHITECTURE.md), stored instants are UTC.
    return datetime(day.year, day.month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@router.get(
    "/sla", response={200: SlaPage, **ERRORS}, summary="SLA verdicts per ticket", tags=["read"]
)
def list_sla(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    customer: int | None = Query(None, ge=1, lt=2**62),
    from_month: str | None = Query(None, alias="from"),
    to_month: str | None = Query(None, alias="to"),
) -> dict[str, Any]:
    """Stored SLA verdicts by ticket id; ``customer`` and created month ``from``..``to``."""
    first = parse_month("from", from_month)
    last = parse_month("to", to_month)
    rows = list(
        sla_rows(
            viewer=caller(request).viewer,
            after=decode_cursor(cursor),
            limit=limit,
            customer_id=customer,
            created_from=_month_instant(first) if first else None,
            created_before=_month_instant(_next_month(last)) if last else None,
        )
    )
    items = [
        {
            "ticket_id": row.ticket_id,
            "ticket": row.ticket.reference or row.ticket.external_id or str(row.ticket_id),
            "source": row.ticket.source,
            "external_id": row.ticket.external_id,
            "customer_id": row.ticket.customer_id,
            "customer": row.ticket.customer.name,
            "created_at": row.ticket.created_at.isoformat(),
            "priority": row.ticket.priority,
            "first_response_state": row.first_response_state,
            "resolution_state": row.resolution_state,
            "first_response_due": _iso(row.first_response_due),
            "resolution_due": _iso(row.resolution_due),
            "first_response_margin_seconds": row.first_response_margin_seconds,
            "resolution_margin_seconds": row.resolution_margin_seconds,
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": next_cursor([row.ticket_id for row in rows], limit)}
