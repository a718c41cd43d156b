"""The stored renewal results as rows of text for the pages, the command line and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext

from solidground.insights.formatting import money, number, percent
from solidground.renewals import texts
from solidground.renewals.actions import PH_CHECK_FAILED
from solidground.renewals.selectors import PortfolioStatistics, RenewalCalendar, RenewalRow


def _date(value: Any) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "–"


@dataclass(frozen=True)
class CalendarRow:
    customer_id: int
    customer: str
    contract: str
    notice: str
    renewal: str
    level: str
    level_key: str
    risk: str
    revenue: str
    at_risk: str
    group: str
    reasons: list[str]


def _notice(row: RenewalRow, today: date | None) -> str:
    text = _date(row.notice_date)
    if row.notice_date is not None and today is not None and row.notice_date < today:
        return gettext("%(date)s (passed)") % {"date": text}
    return text


def calendar_rows(calendar: RenewalCalendar) -> list[CalendarRow]:
    today = calendar.fit.as_of if calendar.fit is not None else None
    return [
        CalendarRow(
            customer_id=row.customer_id,
            customer=row.customer_name,
            contract=row.contract_name,
            notice=_notice(row, today),
            renewal=_date(row.renewal_date),
            level=texts.label(texts.LEVELS, row.level),
            level_key=row.level,
            risk=texts.risk(row.risk, row.risk_low, row.risk_high),
            revenue=money(row.annual_revenue),
            at_risk=money(row.revenue_at_risk),
            group=texts.label(texts.GROUPS, row.group),
            reasons=[texts.reason(reason) for reason in row.reasons],
        )
        for row in calendar.rows
    ]


@dataclass
class ModelRows:
    method: str
    history: str
    note: str
    coefficients: list[list[str]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    ph_check: list[list[str]] = field(default_factory=list)
    ph_holds: bool = True
    calibration: dict[str, str] = field(default_factory=dict)
    calibration_bins: list[list[str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ph_failed: str = ""


def _history(history: dict[str, Any]) -> str:
    return gettext(
        "%(contracts)s contracts observed over %(quarters)s quarters, %(cancellations)s "
        "cancellations, %(renewals)s renewals and expansions."
    ) % {
        "contracts": number(history.get("contracts", 0)),
        "quarters": number(history.get("quarters", 0)),
        "cancellations": number(history.get("cancellations", 0)),
        "renewals": number(history.get("renewals", 0)),
    }


def model_rows(statistics: PortfolioStatistics) -> ModelRows:
    fit = statistics.fit
    rows = ModelRows(
        method=fit.get_method_display(),
        history=_history(fit.history),
        note=texts.shortfall(fit.history, fit.shortfall) if fit.shortfall else "",
    )
    if fit.note.startswith(PH_CHECK_FAILED):
        rows.ph_failed = gettext(
            "The proportional hazards check could not be fitted on this history (its "
            "interaction terms are too collinear), so the model's assumption is unchecked."
        )
    for item in statistics.coefficients:
        rows.coefficients.append(
            [
                texts.label(texts.COVARIATES, item["name"]),
                number(item["hr"], 2) if item.get("hr") is not None else "–",
                (
                    f"{number(item['low'], 2)} – {number(item['high'], 2)}"
                    if item.get("low") is not None and item.get("high") is not None
                    else "–"
                ),
                number(item["p"], 3) if item.get("p") is not None else "–",
            ]
        )
    model = fit.model or {}
    rows.left_out = [
        texts.label(texts.COVARIATES, name)
        for name in [*model.get("dropped", []), *model.get("separated", [])]
    ]
    rows.warnings = list(model.get("warnings", []))
    for check in statistics.ph_check:
        rows.ph_check.append(
            [
                texts.label(texts.COVARIATES, check["name"]),
                number(check["p"], 3) if check.get("p") is not None else "–",
                gettext("holds") if check.get("holds") else gettext("violated"),
            ]
        )
    rows.ph_holds = statistics.ph_holds
    calibration = statistics.calibration
    if calibration:
        concordance = calibration.get("concordance")
        rows.calibration = {
            "cutoff": _date(_parse(calibration["cutoff"])),
            "months": number(calibration["months"], 1),
            "contracts": number(calibration["contracts"]),
            "cancellations": number(calibration["cancellations"]),
            "training": number(calibration["training_cancellations"]),
            "concordance": number(concordance, 2) if concordance is not None else "–",
        }
        for item in calibration.get("bins", []):
            rows.calibration_bins.append(
                [
                    number(item["contracts"]),
                    percent(item["predicted"], 1),
                    number(item["cancelled"]),
                    f"{percent(item['observed'], 0)} ({percent(item['low'], 0)}–"
                    f"{percent(item['high'], 0)})",
                ]
            )
    return rows


def _parse(text: str) -> Any:
    return date.fromisoformat(text)


@dataclass(frozen=True)
class AnswerRow:
    question: int
    text: str
    thesis: str
    verdict: str
    verdict_key: str
    measures: list[list[str]]
    note: str


def thesis_rows(statistics: PortfolioStatistics) -> list[AnswerRow]:
    answers = []
    for answer in statistics.answers:
        measures = []
        for item in answer.measures:
            key = item["key"]
            measures.append(
                [
                    texts.label(texts.MEASURES, key),
                    texts.measure_value(key, item.get("fan_like"))
                    if item.get("fan_like") is not None
                    else "",
                    texts.measure_value(key, item.get("satisfied"))
                    if item.get("satisfied") is not None
                    else "",
                    texts.effect(item),
                ]
            )
        answers.append(
            AnswerRow(
                question=answer.question,
                text=str(texts.QUESTIONS.get(answer.question, "")),
                thesis=str(texts.THESIS.get(answer.question, "")),
                verdict=texts.verdict(answer.verdict, answer.n),
                verdict_key=answer.verdict,
                measures=measures,
                note=answer.note,
            )
        )
    return answers
