"""A review's trends: each figure against the period before and the year before, as the
analysis stored them (``CustomerTrend``) or, for an earlier period, with the same test on
the stored counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.utils.translation import gettext, gettext_noop

from solidground.engine.stats import newcombe_difference, poisson_rate_test
from solidground.insights import formatting
from solidground.insights.models import CustomerTrend, PeriodKind
from solidground.insights.selectors.common import Rate, month_minus
from solidground.insights.selectors.customer import PeriodFigures
from solidground.reports.periods import ReportPeriod
from solidground.reports.review_types import Trend


@dataclass(frozen=True)
class _Figure:
    key: str  # the figure's name in CustomerTrend
    label: str  # gettext_noop'd English name, translated when used
    share: str | None = None  # PeriodFigures attribute (a Rate) for shares
    count: str | None = None  # PeriodFigures attribute for counts
    amount: str | None = None  # PeriodFigures attribute for amounts (no test)
    money: bool = False


_CUSTOMER_FIGURES = (
    _Figure("sla_response", gettext_noop("First response in time"), share="sla_response"),
    _Figure("sla_resolution", gettext_noop("Resolution in time"), share="sla_resolution"),
    _Figure("csat", gettext_noop("Satisfaction (CSAT)"), share="csat"),
    _Figure("tickets", gettext_noop("Tickets"), count="tickets"),
)
_INTERNAL_FIGURES = (
    _Figure("goodwill_share", gettext_noop("Goodwill share"), amount="goodwill_share"),
    _Figure("margin_share", gettext_noop("Agreement margin"), amount="margin_share"),
    _Figure(
        "effective_hourly_rate",
        gettext_noop("Effective hourly rate"),
        amount="effective_hourly_rate",
        money=True,
    ),
)


def _trends(
    customer_id: int,
    period: ReportPeriod,
    figures: PeriodFigures | None,
    previous: PeriodFigures | None,
    year_before: PeriodFigures | None,
    wanted: tuple[_Figure, ...],
) -> list[Trend]:
    """Each figure against the period before and the year before.

    The analysis stores these comparisons for each customer's latest complete month and
    quarter (``CustomerTrend``); they are used as stored. For an earlier period the same test
    (Newcombe for shares, the Poisson rate test for counts) is applied to the stored counts.
    """
    if figures is None:
        return []
    stored = {
        (row.figure, row.baseline): row
        for row in CustomerTrend.objects.filter(
            customer_id=customer_id,
            period_kind=period.kind,
            period_start=period.start,
            figure__in=[f.key for f in wanted],
        )
    }
    result = []
    for figure in wanted:
        for baseline, reference in (
            (CustomerTrend.Baseline.PREVIOUS, previous),
            (CustomerTrend.Baseline.YEAR_BEFORE, year_before),
        ):
            result.append(
                _trend(figure, baseline, figures, reference, stored.get((figure.key, baseline)))
            )
    return result


def _value_text(figure: _Figure, value: float | Decimal | None) -> str:
    if value is None:
        return gettext("no data")
    if figure.count is not None:
        return formatting.count(int(value))
    if figure.money:
        return formatting.money(value, 2)
    return formatting.percent(float(value))


def _trend(
    figure: _Figure,
    baseline: str,
    now: PeriodFigures,
    before: PeriodFigures | None,
    stored: CustomerTrend | None,
) -> Trend:
    label = gettext(figure.label)
    before_label = _period_label(before) if before else ""
    if before is None:
        start = now.start
        text = gettext("%(figure)s: nothing to compare with (no figures for %(before)s).") % {
            "figure": label,
            "before": _period_label_of(now, baseline, start),
        }
        return Trend(label, baseline, text, None)
    value, reference, significant = _compare(figure, now, before, stored)
    parts = {
        "figure": label,
        "value": _value_text(figure, value),
        "reference": _value_text(figure, reference),
        "period": _period_label(now),
        "before": before_label,
    }
    if value is None or reference is None:
        text = gettext("%(figure)s: no comparison (no data in %(period)s or %(before)s).") % parts
        return Trend(label, baseline, text, None)
    if significant is None:
        text = (
            gettext(
                "%(figure)s: %(value)s in %(period)s against %(reference)s in %(before)s "
                "(no statistical test for hours and money)."
            )
            % parts
        )
    elif significant and value > reference:
        text = gettext("%(figure)s rose from %(reference)s in %(before)s to %(value)s.") % parts
    elif significant:
        text = gettext("%(figure)s fell from %(reference)s in %(before)s to %(value)s.") % parts
    else:
        text = (
            gettext(
                "%(figure)s: %(value)s against %(reference)s in %(before)s, within what chance "
                "explains: no change."
            )
            % parts
        )
    return Trend(label, baseline, text, significant)


def _period_label(p: PeriodFigures) -> str:
    return p.label


def _period_label_of(now: PeriodFigures, baseline: str, start: date) -> str:
    step = 3 if now.kind == PeriodKind.QUARTER else 1
    back = step if baseline == CustomerTrend.Baseline.PREVIOUS else 12
    shifted = month_minus(start, back)
    return (
        formatting.quarter(shifted) if now.kind == PeriodKind.QUARTER else formatting.month(shifted)
    )


def _compare(
    figure: _Figure, now: PeriodFigures, before: PeriodFigures, stored: CustomerTrend | None
) -> tuple[float | None, float | None, bool | None]:
    """Value, reference and significance: the stored trend if there is one, else the same
    test on the stored counts."""
    if figure.share is not None:
        a: Rate = getattr(now, figure.share)
        b: Rate = getattr(before, figure.share)
        if stored is not None:
            return stored.value, stored.reference, stored.significant
        if a.share is None or b.share is None:
            return a.share, b.share, None
        result = newcombe_difference(a.successes, a.n, b.successes, b.n)
        return a.share, b.share, bool(np.asarray(result.significant).item())
    if figure.count is not None:
        x, y = getattr(now, figure.count), getattr(before, figure.count)
        if stored is not None:
            return stored.value, stored.reference, stored.significant
        days_now, days_before = _days(now), _days(before)
        _ratio, p_value = poisson_rate_test(x, days_now, y, days_before)
        p = float(np.asarray(p_value).item())
        return float(x), float(y), (not math.isnan(p)) and p < 0.05
    value = getattr(now, figure.amount or "")
    reference = getattr(before, figure.amount or "")
    return (
        float(value) if value is not None else None,
        float(reference) if reference is not None else None,
        None,
    )


def _days(p: PeriodFigures) -> float:
    months = 3 if p.kind == PeriodKind.QUARTER else 1
    return float((month_minus(p.start, -months) - p.start).days)
