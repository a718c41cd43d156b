"""The customer page's figure sections: stored periods as ``PeriodFigures``, the segment,
reliability, satisfaction, the extra-mile ledger, contact intensity and the trend notes.

Sums over stored months and rates of summed counts are the only arithmetic (see
``insights.selectors.customer``); each section costs a fixed number of queries.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.accounts.selectors import Viewer
from solidground.customers.models import Customer
from solidground.engine.periods import quarter_start
from solidground.engine.stats import nps_interval
from solidground.insights import formatting, messages
from solidground.insights.charts import SEGMENT_COLOURS
from solidground.insights.models import (
    CustomerPeriod,
    CustomerSegment,
    CustomerTrend,
    PeriodKind,
)
from solidground.insights.selectors.common import (
    Rate,
    month_minus,
)
from solidground.insights.selectors.customer_types import (
    EVENTS_SHOWN,
    MONTHLY_CSAT_MIN_MEDIAN,
    MONTHS_SHOWN,
    Comment,
    ContactIntensity,
    Ledger,
    NpsFigure,
    PeriodFigures,
    Reliability,
    Satisfaction,
    SegmentInfo,
)
from solidground.insights.selectors.findings import FindingView
from solidground.insights.selectors.sla import (
    SlaFilters,
    breach_details,
    breach_rows,
    sla_counts,
)
from solidground.surveys.models import SurveyAnswer


def _params(condition: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in condition.items() if k not in ("key", "met")}


def _figures(row: CustomerPeriod, complete: bool = True) -> PeriodFigures:
    return PeriodFigures(
        start=row.period_start,
        kind=row.period_kind,
        complete=complete,
        days_covered=row.days_covered,
        days_in_period=row.days_in_period,
        tickets=row.tickets,
        sla_response=Rate.stored(
            row.sla_response_met,
            row.sla_response_total,
            row.sla_response_share,
            row.sla_response_low,
            row.sla_response_high,
        ),
        sla_resolution=Rate.stored(
            row.sla_resolution_met,
            row.sla_resolution_total,
            row.sla_resolution_share,
            row.sla_resolution_low,
            row.sla_resolution_high,
        ),
        resolved=row.resolved,
        reopened=row.reopened,
        escalations=row.escalations,
        csat=Rate.stored(
            row.csat_positive, row.csat_responses, row.csat_share, row.csat_low, row.csat_high
        ),
        unhappy=Rate.stored(
            row.csat_negative,
            row.csat_responses,
            row.csat_unhappy_share,
            row.csat_unhappy_low,
            row.csat_unhappy_high,
        ),
        response=Rate.stored(
            row.surveys_answered,
            row.surveys_sent,
            row.response_share,
            row.response_low,
            row.response_high,
        ),
        hours_included=row.hours_included,
        hours_billed=row.hours_billed,
        hours_goodwill=row.hours_goodwill,
        hours_internal=row.hours_internal,
        goodwill_share=row.goodwill_share,
        goodwill_cost=row.goodwill_cost,
        out_of_scope_free_tickets=row.out_of_scope_free_tickets,
        out_of_scope_free_hours=row.out_of_scope_free_hours,
        out_of_scope_free_value=row.out_of_scope_free_value,
        contact_intensity=row.contact_intensity,
        interactions=row.interactions,
        special_requests=row.special_requests,
        revenue=row.revenue,
        revenue_extra=row.revenue_extra,
        labour_cost=row.labour_cost,
        direct_cost=row.direct_cost,
        cost_to_serve=row.cost_to_serve,
        margin=row.margin,
        margin_share=row.margin_share,
        hours_worked=row.hours_worked,
        effective_hourly_rate=row.effective_hourly_rate,
        nps_responses=row.nps_responses,
        nps_promoters=row.nps_promoters,
        nps_detractors=row.nps_detractors,
    )


def _months(rows: Sequence[CustomerPeriod], last: date | None) -> list[PeriodFigures]:
    """Every month from the customer's first stored one (within the window) to ``last``; a
    month without a row (no ticket, no time, no revenue) has zeros and "no data" shares."""
    if not rows or last is None:
        return []
    stored = {row.period_start: row for row in rows}
    first = max(rows[0].period_start, month_minus(last, MONTHS_SHOWN - 1))
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    result = []
    for back in range(count - 1, -1, -1):
        start = month_minus(last, back)
        row = stored.get(start)
        result.append(
            _figures(row) if row is not None else PeriodFigures(start, PeriodKind.MONTH, True)
        )
    return result


def _quarters(
    customer_id: int, months: Sequence[PeriodFigures], last: date | None
) -> list[PeriodFigures]:
    if not months or last is None:
        return []
    rows = CustomerPeriod.objects.filter(
        customer_id=customer_id,
        period_kind=PeriodKind.QUARTER,
        period_start__gte=quarter_start(months[0].start),
        period_start__lte=last,
    ).order_by("period_start")
    # The quarter that holds the "as of" month is not over yet unless that month ends it.
    return [_figures(row, complete=month_minus(row.period_start, -2) <= last) for row in rows]


def _sla_target(thresholds: object) -> float | None:
    if not isinstance(thresholds, dict):
        return None
    segments = thresholds.get("segments")
    if not isinstance(segments, dict):
        return None
    value = segments.get("sla_target")
    return float(value) if isinstance(value, int | float) else None


def _segment(row: CustomerSegment | None, context: messages.Context) -> SegmentInfo | None:
    if row is None:
        return None
    return SegmentInfo(
        key=row.segment,
        label=str(messages.SEGMENT_NAMES.get(row.segment, row.segment)),
        colour=SEGMENT_COLOURS.get(row.segment, SEGMENT_COLOURS["unclassified"]),
        reasons=[
            messages.render(c["key"], _params(c), row.window_end, context=context)
            for c in row.reasons
        ],
        movers=[
            messages.render(c["key"], _params(c), row.window_end, mover=True) for c in row.movers
        ],
        window_start=row.window_start,
        window_end=row.window_end,
        previous=row.previous_segment,
        previous_label=str(messages.SEGMENT_NAMES.get(row.previous_segment, ""))
        if row.previous_segment
        else "",
        window_label=formatting.quarter_window(row.window_start, row.window_end, context.coverage),
    )


# --------------------------------------------------------------------------------------------
# Reliability


def _reliability(
    viewer: Viewer,
    customer: Customer,
    months: list[PeriodFigures],
    year: list[PeriodFigures],
    target: float | None,
) -> Reliability:
    # The same rows, times and wording as the SLA page (selectors.sla), for this customer.
    filters = SlaFilters(customer_id=customer.pk)
    counts = sla_counts(viewer=viewer, filters=filters)
    events = breach_details(breach_rows(viewer=viewer, filters=filters)[:EVENTS_SHOWN])
    return Reliability(
        months=months,
        target=target,
        sla_response=Rate.of(
            sum(p.sla_response.successes for p in year), sum(p.sla_response.n for p in year)
        ),
        sla_resolution=Rate.of(
            sum(p.sla_resolution.successes for p in year), sum(p.sla_resolution.n for p in year)
        ),
        reopened=sum(p.reopened for p in year),
        resolved=sum(p.resolved for p in year),
        escalations=sum(p.escalations for p in year),
        events=events,
        events_total=counts.listed(filters),
        timezones=sorted({e.zone for e in events}),
    )


# --------------------------------------------------------------------------------------------
# Satisfaction


def _satisfaction(
    customer: Customer,
    months: list[PeriodFigures],
    year: list[PeriodFigures],
    quarters: list[PeriodFigures],
    comment_limit: int,
) -> Satisfaction:
    median = statistics.median(p.csat.n for p in year) if year else None
    by_quarter = median is None or median < MONTHLY_CSAT_MIN_MEDIAN
    answered = (
        SurveyAnswer.objects.filter(customer_id=customer.pk, answered_at__isnull=False)
        .exclude(comment="")
        .select_related("contact", "ticket")
    )
    total = answered.count()
    comments = [
        Comment.of_answer(
            row,
            answered_at=row.answered_at,
            contact=row.contact.name if row.contact else "",
            text=row.comment,
        )
        for row in answered.order_by("-answered_at", "-pk")[:comment_limit]
        if row.answered_at is not None
    ]
    return Satisfaction(
        periods=quarters if by_quarter else months,
        by_quarter=by_quarter,
        median_monthly_answers=float(median) if median is not None else None,
        csat=Rate.of(sum(p.csat.successes for p in year), sum(p.csat.n for p in year)),
        unhappy=Rate.of(sum(p.unhappy.successes for p in year), sum(p.unhappy.n for p in year)),
        response=Rate.of(sum(p.response.successes for p in year), sum(p.response.n for p in year)),
        nps=_nps(year),
        comments=comments,
        comments_total=total,
        comments_limit=comment_limit,
    )


def _nps(year: list[PeriodFigures]) -> NpsFigure | None:
    responses = sum(p.nps_responses for p in year)
    if responses == 0:
        return None
    promoters = sum(p.nps_promoters for p in year)
    detractors = sum(p.nps_detractors for p in year)
    score, low, high = nps_interval(
        np.array([promoters]), np.array([detractors]), np.array([responses])
    )
    return NpsFigure(
        score=float(score[0]),
        low=float(low[0]),
        high=float(high[0]),
        responses=responses,
        promoters=promoters,
        detractors=detractors,
        months=len(year),
    )


# --------------------------------------------------------------------------------------------
# Extra mile, contact, profit


def _ledger(months: list[PeriodFigures], year: list[PeriodFigures], notes: list[str]) -> Ledger:
    goodwill = sum(p.hours_goodwill for p in year)
    facing = sum(p.hours_facing for p in year)
    return Ledger(
        months=months,
        hours_goodwill=goodwill,
        hours_facing=facing,
        goodwill_share=goodwill / facing if facing else None,
        goodwill_cost=sum((p.goodwill_cost for p in year), Decimal("0")),
        out_of_scope_free_tickets=sum(p.out_of_scope_free_tickets for p in year),
        out_of_scope_free_hours=sum(p.out_of_scope_free_hours for p in year),
        out_of_scope_free_value=sum((p.out_of_scope_free_value for p in year), Decimal("0")),
        notes=notes,
    )


_GOODWILL_KINDS = ("goodwill_creeping", "goodwill_high")


def _goodwill_notes(
    row: CustomerSegment | None,
    findings: list[FindingView],
    trend_notes: list[str],
    context: messages.Context,
) -> list[str]:
    """Why goodwill matters here: the segment's goodwill conditions (creep, high), the same
    findings when the segment rules did not name them, then the latest quarter's trend."""
    notes: list[str] = []
    if row is not None:
        for condition in row.reasons:
            if condition.get("key") in _GOODWILL_KINDS and condition.get("met", True):
                notes.append(
                    messages.render(
                        condition["key"], _params(condition), row.window_end, context=context
                    )
                )
    for finding in findings:
        if finding.kind in _GOODWILL_KINDS and finding.text not in notes:
            notes.append(finding.text)
    return [capfirst(note) for note in [*notes, *trend_notes]]


def _contact(months: list[PeriodFigures], year: list[PeriodFigures]) -> ContactIntensity:
    known = [p for p in months if p.contact_intensity is not None]
    return ContactIntensity(
        months=months,
        interactions=sum(p.interactions for p in year),
        special_requests=sum(p.special_requests for p in year),
        tickets=sum(p.tickets for p in year),
        latest=known[-1].contact_intensity if known else None,
        latest_month=known[-1].start if known else None,
    )


_TREND_FIGURES: dict[str, object] = {
    "goodwill_share": _("Goodwill share"),
    "margin_share": _("Agreement margin"),
}


def _trend_notes(customer_id: int) -> dict[str, list[str]]:
    """The stored quarter trends of goodwill and margin as sentences, by figure."""
    rows = CustomerTrend.objects.filter(
        customer_id=customer_id,
        period_kind=PeriodKind.QUARTER,
        figure__in=list(_TREND_FIGURES),
    ).order_by("figure", "-period_start", "baseline")
    notes: dict[str, list[str]] = {}
    latest: dict[str, date] = {}
    for row in rows:
        # Only the latest quarter's comparisons: older ones are history the chart shows.
        if latest.setdefault(row.figure, row.period_start) != row.period_start:
            continue
        # An unchanged figure (often 0% against 0%) says nothing worth a line.
        if row.value is None or row.reference is None or row.value == row.reference:
            continue
        notes.setdefault(row.figure, []).append(
            gettext("%(figure)s %(value)s in %(period)s, against %(reference)s in %(before)s.")
            % {
                "figure": str(_TREND_FIGURES[row.figure]),
                "value": formatting.percent(row.value),
                "period": formatting.quarter(row.period_start),
                "reference": formatting.percent(row.reference),
                "before": formatting.quarter(row.reference_start),
            }
        )
    return notes


# --------------------------------------------------------------------------------------------
