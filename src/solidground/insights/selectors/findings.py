"""Findings as a service manager acts on them: the sentence, what to do, and the decision.

Findings are rewritten by every analysis; a user's decision (done, dismissed) is kept in
``FindingDecision`` by customer, kind and evidence fingerprint. A finding is open unless a
decision with the same fingerprint exists, so a dismissed finding comes back only when its
evidence changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from solidground.accounts.selectors import Viewer
from solidground.insights import messages
from solidground.insights.models import Finding, FindingDecision, evidence_fingerprint


class Recommendation:
    """What a finding asks the provider to do (DOMAIN.md: bill it, put it in the contract, or
    talk about expectations; reliability and satisfaction findings ask for a fix or a call)."""

    BILL = "bill"
    ADD_TO_CONTRACT = "add_to_contract"
    TALK_EXPECTATIONS = "talk_expectations"
    FIX_RELIABILITY = "fix_reliability"
    CALL_CUSTOMER = "call_customer"
    REVIEW_PRICE = "review_price"
    ASK_FOR_FEEDBACK = "ask_for_feedback"


RECOMMENDATION_TEXT: dict[str, Promise] = {
    Recommendation.BILL: _("Bill this work from now on, or put it in the contract."),
    Recommendation.ADD_TO_CONTRACT: _(
        "Add this to the contract at a price, or agree that it is billed."
    ),
    Recommendation.TALK_EXPECTATIONS: _(
        "Talk about expectations: what the contract includes and how requests reach you."
    ),
    Recommendation.FIX_RELIABILITY: _(
        "Fix reliability first: look at the breached tickets and the cause behind them."
    ),
    Recommendation.CALL_CUSTOMER: _("Call the customer and ask what went wrong."),
    Recommendation.REVIEW_PRICE: _("Review the price or the scope: the customer costs more."),
    Recommendation.ASK_FOR_FEEDBACK: _(
        "Ask for feedback: without answers, satisfaction is unknown."
    ),
}

RECOMMENDATION_OF_KIND: dict[str, str] = {
    "out_of_scope_free": Recommendation.BILL,
    "goodwill_high": Recommendation.ADD_TO_CONTRACT,
    "goodwill_creeping": Recommendation.ADD_TO_CONTRACT,
    "contact_high": Recommendation.TALK_EXPECTATIONS,
    "tickets_rising": Recommendation.TALK_EXPECTATIONS,
    "tickets_up": Recommendation.TALK_EXPECTATIONS,
    "sla_resolution_low": Recommendation.FIX_RELIABILITY,
    "sla_response_low": Recommendation.FIX_RELIABILITY,
    "sla_resolution_down": Recommendation.FIX_RELIABILITY,
    "sla_response_down": Recommendation.FIX_RELIABILITY,
    "reopen_high": Recommendation.FIX_RELIABILITY,
    "noticed_high": Recommendation.FIX_RELIABILITY,
    "unhappy_high": Recommendation.CALL_CUSTOMER,
    "csat_down": Recommendation.CALL_CUSTOMER,
    "csat_falling": Recommendation.CALL_CUSTOMER,
    "margin_falling": Recommendation.REVIEW_PRICE,
    "margin_low": Recommendation.REVIEW_PRICE,
    "margin_negative": Recommendation.REVIEW_PRICE,
    "no_answers": Recommendation.ASK_FOR_FEEDBACK,
    "contact_low": Recommendation.ASK_FOR_FEEDBACK,
}


@dataclass(frozen=True)
class FindingView:
    id: int
    customer_id: int
    customer_name: str
    kind: str
    severity: int
    severity_label: str
    period_start: date
    text: str  # the sentence, without the customer's name
    recommendation: str  # a Recommendation value ("" when none fits)
    recommendation_text: str
    status: str  # "open", "done" or "dismissed"
    note: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None


def _decisions(
    findings: list[Finding],
) -> dict[tuple[int, str, str], FindingDecision]:
    customers = {f.customer_id for f in findings}
    if not customers:
        return {}
    rows = FindingDecision.objects.filter(customer_id__in=customers).select_related("decided_by")
    return {(d.customer_id, d.kind, d.fingerprint): d for d in rows}


def _view(finding: Finding, decision: FindingDecision | None) -> FindingView:
    recommendation = RECOMMENDATION_OF_KIND.get(finding.kind, "")
    return FindingView(
        id=finding.pk,
        customer_id=finding.customer_id,
        customer_name=finding.customer.name,
        kind=finding.kind,
        severity=finding.severity,
        severity_label=str(Finding.Severity(finding.severity).label),
        period_start=finding.period_start,
        text=messages.render(finding.kind, finding.params, finding.period_start),
        recommendation=recommendation,
        recommendation_text=str(RECOMMENDATION_TEXT.get(recommendation, "")),
        status=decision.status if decision else "open",
        note=decision.note if decision else "",
        decided_by=(decision.decided_by.get_username() if decision and decision.decided_by else ""),
        decided_at=decision.decided_at if decision else None,
    )


def finding_views(
    findings: QuerySet[Finding] | list[Finding], *, language: str | None = None
) -> list[FindingView]:
    """Render stored findings (customer loaded) with their decisions, in ``language``."""
    rows = list(findings)
    decided = _decisions(rows)
    with translation.override(language or translation.get_language()):
        return [
            _view(f, decided.get((f.customer_id, f.kind, evidence_fingerprint(f.kind, f.params))))
            for f in rows
        ]


def visible_findings(
    *,
    viewer: Viewer,
    customer_id: int | None = None,
    min_severity: int = 1,
) -> QuerySet[Finding]:
    """Findings of the customers this viewer may see, most severe first, then by customer."""
    queryset = (
        viewer.restrict(Finding.objects)
        .select_related("customer")
        .filter(severity__gte=min_severity)
    )
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    return queryset.order_by("-severity", "customer__name", "kind", "pk")


def customer_findings(
    *, viewer: Viewer, customer_id: int, language: str | None = None
) -> list[FindingView]:
    """One customer's findings, open ones first, for the customer page."""
    views = finding_views(
        visible_findings(viewer=viewer, customer_id=customer_id), language=language
    )
    return sorted(views, key=lambda f: (f.status != "open", -f.severity))
