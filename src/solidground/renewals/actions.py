"""Fit the renewal model on the stored figures and keep the results (the renewals write side).

``do_fit_renewals`` runs at the end of every full analysis (``insights.actions.analyze``):

1. read the stored quarterly figures, the contracts and their events;
2. build the survival data (``engine.survival.contract_quarters``) and the operational groups
   (``engine.thesis``);
3. with enough history, fit the Cox model, check proportional hazards, measure calibration on
   held-out time and draw Kaplan-Meier curves per segment; otherwise use the rules only and
   store what is missing;
4. score every running contract (risk in the next twelve months, level, reasons);
5. answer the thesis questions;
6. replace the previous results in one transaction.

A re-analysis of a few customers after an import does not refit: the model is a portfolio
result, like the scope classifier.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from solidground.contracts.models import Contract, ContractEvent
from solidground.engine import survival, thesis
from solidground.engine.periods import add_months, last_complete_quarter
from solidground.engine.stats import newcombe_difference, wilson_interval
from solidground.insights.models import AnalysisRun, CustomerSegment
from solidground.renewals.models import RenewalFit, RenewalRisk, RiskLevel, ThesisAnswer

Progress = Callable[[str], None]

HORIZON_MONTHS = 12
HIGH_RISK = 0.25  # model: a one-in-four chance of cancelling within a year
ELEVATED_RISK = 0.10
NOTICED_USUAL = 0.125  # about one ticket in eight is noticed negatively (docs/analysis.md)
GOODWILL_CREEP = 0.03  # goodwill share up at least 3 points on the year before
REVENUE_SHRINK = 0.9
PH_CHECK_FAILED = "ph_check_failed"  # the note's key when the check could not be fitted

# Which model covariate speaks for which reason (its hazard ratio is shown with the reason).
REASON_COVARIATES = {
    "reliability": "noticed_negatively",
    "unhappy": "unhappy",
    "silent": "silent",
    "revenue_shrinking": "revenue_shrinking",
}


def _quarter_figures() -> pl.DataFrame:
    kind = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    columns = ", ".join(
        f"CAST({c} AS {kind})" if c not in ("customer_id", "period_start") else c
        for c in thesis.QUARTER_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM insights_customerperiod "  # noqa: S608 (constant names)
            "WHERE period_kind = 'quarter' ORDER BY customer_id, period_start"
        )
        rows = cursor.fetchall()
    schema: dict[str, Any] = dict.fromkeys(thesis.QUARTER_COLUMNS, pl.Float64)
    schema |= {"customer_id": pl.Int64, "period_start": pl.Date}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _contracts() -> pl.DataFrame:
    rows = Contract.objects.values_list(
        "id",
        "customer_id",
        "name",
        "kind",
        "status",
        "start_date",
        "end_date",
        "renewal_date",
        "notice_period_days",
        "monthly_fee",
    )
    return pl.DataFrame(
        [(*row[:-1], float(row[-1])) for row in rows],
        schema={
            "contract_id": pl.Int64,
            "customer_id": pl.Int64,
            "name": pl.String,
            "kind": pl.String,
            "status": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "renewal_date": pl.Date,
            "notice_period_days": pl.Int64,
            "monthly_fee": pl.Float64,
        },
        orient="row",
    )


def _events() -> pl.DataFrame:
    rows = ContractEvent.objects.values_list("contract_id", "kind", "occurred_on")
    return pl.DataFrame(
        list(rows),
        schema={"contract_id": pl.Int64, "kind": pl.String, "occurred_on": pl.Date},
        orient="row",
    )


def _segments() -> pl.DataFrame:
    rows = CustomerSegment.objects.values_list("customer_id", "segment")
    return pl.DataFrame(
        list(rows), schema={"customer_id": pl.Int64, "segment": pl.String}, orient="row"
    )


def _next_renewal(row: dict[str, Any], today: date) -> date | None:
    """The contract's next renewal date: the stored one, moved on by whole years while it
    lies in the past; for a contract without one, its end date if that is still ahead."""
    renewal = row["renewal_date"]
    if renewal is not None:
        while renewal < today:
            renewal = date(renewal.year + 1, renewal.month, min(renewal.day, 28))
        return renewal
    end = row["end_date"]
    return end if end is not None and end >= today else None


def _reasons(
    window: dict[str, Any], downgraded: bool, rules: thesis.GroupRules
) -> list[dict[str, Any]]:
    """The warning signs of a contract's latest window, each with its figure."""
    reasons: list[dict[str, Any]] = []
    tickets = window.get("tickets") or 0.0
    noticed = window.get("noticed_negatively") or 0.0
    low = window.get("noticed_low")
    if tickets > 0 and low is not None and low > NOTICED_USUAL:
        reasons.append({"key": "reliability", "value": noticed / tickets, "low": low, "n": tickets})
    group = window.get("group")
    if group == "unhappy":
        reasons.append(
            {
                "key": "unhappy",
                "value": window.get("unhappy_share"),
                "negative": window.get("csat_negative"),
                "n": window.get("csat_responses"),
            }
        )
    positive, answers = window.get("csat_positive") or 0, window.get("csat_responses") or 0
    before_positive = window.get("csat_positive_before") or 0
    before_answers = window.get("csat_responses_before") or 0
    change_high = window.get("csat_change_high")
    if answers and before_answers and change_high is not None and change_high < 0:
        reasons.append(
            {
                "key": "satisfaction_falling",
                "value": positive / answers,
                "before": before_positive / before_answers,
                "n": answers,
            }
        )
    if group == "silent":
        reasons.append({"key": "silent", "value": window.get("contact_intensity")})
    revenue, before = window.get("revenue") or 0.0, window.get("revenue_before") or 0.0
    if (before > 0 and revenue < REVENUE_SHRINK * before) or downgraded:
        reasons.append(
            {
                "key": "revenue_shrinking",
                "value": revenue,
                "before": before if before > 0 else None,
                "downgraded": downgraded,
            }
        )
    goodwill = window.get("goodwill_share")
    goodwill_before = window.get("goodwill_share_before")
    if (
        goodwill is not None
        and goodwill >= rules.goodwill_share
        and goodwill_before is not None
        and goodwill - goodwill_before >= GOODWILL_CREEP
    ):
        reasons.append({"key": "goodwill_creep", "value": goodwill, "before": goodwill_before})
    return reasons


def _with_reason_statistics(latest: pl.DataFrame) -> pl.DataFrame:
    """The intervals the reasons test, for all windows at once: the lower Wilson bound of the
    share noticed negatively, the upper Newcombe bound of the CSAT change on a year before."""
    if latest.height == 0:
        return latest.with_columns(noticed_low=pl.lit(None), csat_change_high=pl.lit(None))
    noticed_low, _high = wilson_interval(
        latest["noticed_negatively"].to_numpy(), latest["tickets"].to_numpy()
    )
    change = newcombe_difference(
        latest["csat_positive"].to_numpy(),
        latest["csat_responses"].to_numpy(),
        latest["csat_positive_before"].fill_null(0).to_numpy(),
        latest["csat_responses_before"].fill_null(0).to_numpy(),
    )
    return latest.with_columns(
        noticed_low=pl.Series(noticed_low).fill_nan(None),
        csat_change_high=pl.Series(change.high).fill_nan(None),
    )


def _level(risk: float | None, reasons: list[dict[str, Any]]) -> str:
    if risk is not None:
        # On the risk as shown (rounded to 5 points), so that the level and the number agree.
        risk = round(risk * 20) / 20
        if risk >= HIGH_RISK:
            return RiskLevel.HIGH
        return RiskLevel.ELEVATED if risk >= ELEVATED_RISK else RiskLevel.LOW
    if len(reasons) >= 2:
        return RiskLevel.HIGH
    return RiskLevel.ELEVATED if reasons else RiskLevel.LOW


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))) if math.isfinite(value) else Decimal("0")


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinity as null, NumPy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _clean(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def do_fit_renewals(
    *, run: AnalysisRun, now: date | None = None, progress: Progress | None = None
) -> RenewalFit:
    """Fit, score and answer on the stored figures of ``run`` (a finished full analysis)."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    today = now or timezone.localdate()
    as_of_month = run.as_of or add_months(date(today.year, today.month, 1), -1)
    last_quarter = last_complete_quarter(as_of_month)
    until = add_months(last_quarter, 3)
    rules = thesis.GroupRules()

    say("Renewals: reading figures, contracts and events")
    figures = _quarter_figures().filter(pl.col("period_start") <= last_quarter)
    contracts = _contracts()
    events = _events()
    quarters = sorted(figures["period_start"].unique().to_list())
    windows = thesis.assign_groups(thesis.window_figures(figures), rules)
    rows = thesis.with_covariates(
        survival.contract_quarters(contracts, events, quarters=quarters, until=until), windows
    )
    history = survival.history_of(rows, events, contracts=contracts.height)
    shortfall = history.shortfall()

    model, ph_check, calibration, note, shortfall = _fit_model(rows, until, shortfall, say)
    curves = _segment_curves(rows, contracts)

    say("Renewals: scoring running contracts")
    risks = _score(contracts, events, windows, model, today=today, last_quarter=last_quarter)
    say("Renewals: the thesis test")
    latest = thesis.latest_windows(windows, last_quarter)
    answers = thesis.answer_questions(rows, events, latest, model)

    say("Renewals: storing")

    with transaction.atomic():
        RenewalFit.objects.all().delete()
        fit = RenewalFit.objects.create(
            run=run,
            created_at=timezone.now(),
            as_of=today,
            last_quarter=last_quarter if quarters else None,
            method=RenewalFit.Method.MODEL if model is not None else RenewalFit.Method.RULES,
            history=history.as_dict(),
            shortfall=shortfall,
            model=_clean(model.as_dict()) if model is not None else {},
            ph_check=_clean(ph_check),
            calibration=_clean(calibration),
            curves=_clean([c.as_dict() for c in curves]),
            groups=thesis.group_counts(latest) if latest.height else {},
            rules=_clean(
                {
                    "groups": rules.as_dict(),
                    "horizon_months": HORIZON_MONTHS,
                    "high_risk": HIGH_RISK,
                    "elevated_risk": ELEVATED_RISK,
                    "equivalence": thesis.EQUIVALENCE,
                }
            ),
            note=note,
        )
        RenewalRisk.objects.bulk_create(
            [RenewalRisk(fit=fit, **risk) for risk in risks], batch_size=2000
        )
        _store_answers(fit, answers)
        fit.seconds = round(time.perf_counter() - started, 3)
        fit.save(update_fields=["seconds"])
    return fit


def _fit_model(
    rows: pl.DataFrame, until: date, shortfall: list[str], say: Progress
) -> tuple[survival.CoxResult | None, list[dict[str, Any]], dict[str, Any], str, list[str]]:
    """The Cox model when the history suffices, its proportional-hazards check and held-out
    calibration; a note on what failed, and the shortfall (``["fit"]`` if the fit failed)."""
    model: survival.CoxResult | None = None
    ph_check: list[dict[str, Any]] = []
    calibration: dict[str, Any] = {}
    note = ""
    if not shortfall:
        say("Renewals: fitting the survival model")
        try:
            model = survival.fit_cox(rows, thesis.RISK_COVARIATES)
        except survival.FitFailed as exc:
            note = str(exc)
            shortfall = ["fit"]
    if model is not None:
        say("Renewals: checking the model")
        try:
            ph_check = [c.as_dict() for c in survival.proportional_hazards_check(rows, model)]
        except survival.FitFailed as exc:
            note = f"{PH_CHECK_FAILED}: {exc}"
        held = survival.held_out_calibration(
            rows,
            model.names,
            until=until,
            start_from=dict(zip(model.names, model.beta, strict=True)),
        )
        calibration = held.as_dict() if held is not None else {}
    return model, ph_check, calibration, note, shortfall


def _segment_curves(rows: pl.DataFrame, contracts: pl.DataFrame) -> list[survival.Curve]:
    """Kaplan-Meier curves by the customers' current segment ("unclassified" if none)."""
    segments = _segments()
    contract_segments = contracts.select("contract_id", "customer_id").join(
        segments, on="customer_id", how="left"
    )
    return survival.kaplan_meier(
        rows,
        contract_segments.select(
            "contract_id", pl.col("segment").fill_null("unclassified").alias("group")
        ),
    )


def _store_answers(fit: RenewalFit, answers: list[thesis.Answer]) -> None:
    ThesisAnswer.objects.bulk_create(
        [
            ThesisAnswer(
                fit=fit,
                question=answer.question,
                verdict=answer.verdict,
                n=_clean(answer.n),
                measures=_clean([m.as_dict() for m in answer.measures]),
                note=answer.note,
            )
            for answer in answers
        ]
    )


def _score(
    contracts: pl.DataFrame,
    events: pl.DataFrame,
    windows: pl.DataFrame,
    model: survival.CoxResult | None,
    *,
    today: date,
    last_quarter: date,
) -> list[dict[str, Any]]:
    """Risk, level and reasons of every running contract (not cancelled, not ended)."""
    cancelled = survival.cancellation_dates(contracts, events)
    running = contracts.join(cancelled, on="contract_id", how="left").filter(
        pl.col("cancelled_on").is_null()
        & (pl.col("status") != "cancelled")
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= today))
    )
    if running.height == 0:
        return []
    current = thesis.with_covariates(
        running.select(
            "contract_id",
            "customer_id",
            pl.lit(last_quarter).alias("covariate_quarter"),
            pl.lit(0.0).alias("start"),
            pl.lit(1.0).alias("stop"),
            pl.lit(False).alias("event"),
        ),
        windows,
    )
    predicted = model.risk(current, HORIZON_MONTHS) if model is not None else None
    latest = _with_reason_statistics(thesis.latest_windows(windows, last_quarter))
    by_customer = {row["customer_id"]: row for row in latest.iter_rows(named=True)}
    year_ago = add_months(date(today.year, today.month, 1), -12)
    downgraded = set(
        events.filter((pl.col("kind") == "downgraded") & (pl.col("occurred_on") >= year_ago))[
            "contract_id"
        ].to_list()
    )
    hazard = {c.name: c for c in model.coefficients} if model is not None else {}
    rules = thesis.GroupRules()
    risks = []
    for index, row in enumerate(running.iter_rows(named=True)):
        window = by_customer.get(row["customer_id"], {"group": "silent"})
        reasons = _reasons(window, row["contract_id"] in downgraded, rules)
        for reason in reasons:
            term = hazard.get(REASON_COVARIATES.get(reason["key"], ""))
            if term is not None:
                reason["hr"], reason["hr_low"], reason["hr_high"] = term.hr, term.low, term.high
        risk = low = high = None
        if predicted is not None:
            risk = float(predicted["risk"][index])
            low = float(predicted["risk_low"][index])
            high = float(predicted["risk_high"][index])
        revenue = window.get("revenue") or 0.0
        quarters = window.get("quarters") or 0
        annual = revenue * 4 / quarters if quarters and revenue > 0 else row["monthly_fee"] * 12
        level = _level(risk, reasons)
        at_risk = annual * risk if risk is not None else (annual if level != RiskLevel.LOW else 0)
        renewal = _next_renewal(row, today)
        notice = renewal - timedelta(days=int(row["notice_period_days"])) if renewal else None
        risks.append(
            {
                "contract_id": row["contract_id"],
                "customer_id": row["customer_id"],
                "renewal_date": renewal,
                "notice_date": notice,
                "annual_revenue": _money(annual),
                "risk": risk,
                "risk_low": low,
                "risk_high": high,
                "level": level,
                "revenue_at_risk": _money(at_risk),
                "group": str(window.get("group") or ""),
                "reasons": _clean(reasons),
            }
        )
    return risks
