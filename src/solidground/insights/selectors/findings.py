"""Findings as a service manager acts on them: the sentence, what to do, and the decision.

Findings are rewritten by every analysis; a user's decision (done, dismissed) is kept in
``FindingDecision`` by customer, kind and evidence fingerprint. A finding is open unless a
decision with the same fingerprint exists, so a dismissed finding comes back only when its
evidence changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.accounts.selectors import Viewer
from solidground.insights import formatting, messages
from solidground.insights.models import Finding, FindingDecision
from solidground.insights.selectors.common import message_context

OPEN = "open"
ALL = "all"
# The status filter of the findings page; "open" means: no decision on this evidence.
STATUSES: dict[str, Promise] = {
    OPEN: _("open"),
    FindingDecision.Status.DONE: _("done"),
    FindingDecision.Status.DISMISSED: _("dismissed"),
}
PAGE_SIZE = 50


class Recommendation:
    """What a finding asks the provider to do (docs/domain.md, "finding": bill it, put it in the
    contract, or talk about expectations; reliability and satisfaction findings ask for a fix
    or a call)."""

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

# Short names for the recommendation filter (the full sentences are too long for a select).
RECOMMENDATION_NAMES: dict[str, Promise] = {
    Recommendation.BILL: _("Bill it"),
    Recommendation.ADD_TO_CONTRACT: _("Add to the contract"),
    Recommendation.TALK_EXPECTATIONS: _("Talk about expectations"),
    Recommendation.FIX_RELIABILITY: _("Fix reliability"),
    Recommendation.CALL_CUSTOMER: _("Call the customer"),
    Recommendation.REVIEW_PRICE: _("Review price or scope"),
    Recommendation.ASK_FOR_FEEDBACK: _("Ask for feedback"),
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
    # What the finding speaks of: a quarter, or the months of free work up to a month.
    period_label: str = ""

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def _period_label(finding: Finding, context: messages.Context) -> str:
    if finding.kind == "out_of_scope_free" and isinstance(finding.params.get("months"), int):
        return gettext("%(months)s months to %(month)s") % {
            "months": finding.params["months"],
            "month": date_format(finding.period_start, "F Y"),
        }
    # A quarter the data cover only in part says so: "Q1 2026 (to 13 Mar)".
    return formatting.covered_quarter(finding.period_start, context.coverage)


def _decisions(
    findings: list[Finding],
) -> dict[tuple[int, str, str], FindingDecision]:
    """The decisions on exactly these findings (one query)."""
    if not findings:
        return {}
    rows = FindingDecision.objects.filter(
        customer_id__in={f.customer_id for f in findings},
        fingerprint__in={f.fingerprint for f in findings},
    ).select_related("decided_by")
    return {(d.customer_id, d.kind, d.fingerprint): d for d in rows}


def _view(
    finding: Finding, decision: FindingDecision | None, context: messages.Context
) -> FindingView:
    recommendation = RECOMMENDATION_OF_KIND.get(finding.kind, "")
    return FindingView(
        id=finding.pk,
        customer_id=finding.customer_id,
        customer_name=finding.customer.name,
        kind=finding.kind,
        severity=finding.severity,
        severity_label=str(Finding.Severity(finding.severity).label),
        period_start=finding.period_start,
        text=messages.render(finding.kind, finding.params, finding.period_start, context=context),
        recommendation=recommendation,
        recommendation_text=str(RECOMMENDATION_TEXT.get(recommendation, "")),
        status=decision.status if decision else OPEN,
        note=decision.note if decision else "",
        decided_by=(decision.decided_by.get_username() if decision and decision.decided_by else ""),
        decided_at=decision.decided_at if decision else None,
        period_label=_period_label(finding, context),
    )


def finding_views(
    findings: QuerySet[Finding] | list[Finding], *, language: str | None = None
) -> list[FindingView]:
    """Render stored findings (customer loaded) with their decisions, in ``language``."""
    rows = list(findings)
    decided = _decisions(rows)
    context = message_context() if rows else messages.Context()
    with translation.override(language or translation.get_language()):
        return [
            _view(f, decided.get((f.customer_id, f.kind, f.fingerprint)), context) for f in rows
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


# --------------------------------------------------------------------------------------------
# The findings page


@dataclass(frozen=True)
class FindingFilters:
    status: str = OPEN  # open, done, dismissed or all
    severity: int | None = None
    customer_id: int | None = None
    recommendation: str | None = None  # a Recommendation value


@dataclass(frozen=True)
class FindingGroup:
    severity: int
    label: str
    findings: list[FindingView]


@dataclass(frozen=True)
class FindingsPage:
    groups: list[FindingGroup]
    # Findings per status under the other filters; "all" is their sum.
    counts: dict[str, int]
    total: int  # findings under every filter, status included
    page: Page[Finding]
    page_adjusted: bool  # the page asked for was past the end; the last one is shown


def recommendation_choices() -> list[tuple[str, str]]:
    """(value, short name) of every recommendation some finding kind leads to, in a fixed
    order, for the recommendation filter."""
    used = dict.fromkeys(RECOMMENDATION_OF_KIND.values())
    return [(value, str(RECOMMENDATION_NAMES[value])) for value in used]


def _filtered(viewer: Viewer, filters: FindingFilters) -> QuerySet[Any]:
    """Visible findings under every filter but status, each annotated with its status
    (the decision whose customer, kind and evidence fingerprint match, else open)."""
    rows = visible_findings(viewer=viewer, customer_id=filters.customer_id)
    if filters.severity is not None:
        rows = rows.filter(severity=filters.severity)
    if filters.recommendation is not None:
        kinds = [k for k, r in RECOMMENDATION_OF_KIND.items() if r == filters.recommendation]
        rows = rows.filter(kind__in=kinds)
    decision = FindingDecision.objects.filter(
        customer_id=OuterRef("customer_id"),
        kind=OuterRef("kind"),
        fingerprint=OuterRef("fingerprint"),
    ).values("status")[:1]
    return rows.annotate(decision_status=Coalesce(Subquery(decision), Value(OPEN)))


def finding_counts(*, viewer: Viewer, filters: FindingFilters) -> dict[str, int]:
    """Findings per status (and "all") under every filter but status: one query."""
    grouped = (
        _filtered(viewer, filters)
        .order_by()
        .values("decision_status")
        .annotate(n=Count("pk"))
        .values_list("decision_status", "n")
    )
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in grouped:
        counts[status] = counts.get(status, 0) + n
    counts[ALL] = sum(counts.values())
    return counts


def findings_page(
    *,
    viewer: Viewer,
    filters: FindingFilters,
    page: int = 1,
    language: str | None = None,
) -> FindingsPage:
    """One page of visible findings, grouped by severity, with counts per status.

    Every filter, the status (matched by the evidence fingerprint the analysis stored),
    counting and paging happen in the database; only the page shown is rendered as sentences.
    """
    counts = finding_counts(viewer=viewer, filters=filters)
    chosen = _filtered(viewer, filters)
    if filters.status != ALL:
        chosen = chosen.filter(decision_status=filters.status)
    paginator: Paginator[Finding] = Paginator(chosen, PAGE_SIZE)
    number = min(max(page, 1), paginator.num_pages)
    shown = paginator.page(number)
    groups: list[FindingGroup] = []
    for view in finding_views(list(shown.object_list), language=language):
        if not groups or groups[-1].severity != view.severity:
            groups.append(FindingGroup(view.severity, view.severity_label, []))
        groups[-1].findings.append(view)
    return FindingsPage(
        groups=groups,
        counts=counts,
        total=paginator.count,
        page=shown,
        page_adjusted=number != page,
    )


def visible_finding(*, viewer: Viewer, finding_id: int) -> Finding | None:
    """The finding if this viewer may see its customer; None otherwise (also if unknown)."""
    return visible_findings(viewer=viewer).filter(pk=finding_id).first()


def finding_view(*, viewer: Viewer, finding_id: int, language: str | None = None) -> FindingView:
    """One visible finding with its decision (the block the findings page swaps after a
    decision). Raises ``Finding.DoesNotExist`` when the viewer may not see it."""
    finding = visible_finding(viewer=viewer, finding_id=finding_id)
    if finding is None:
        raise Finding.DoesNotExist
    return finding_views([finding], language=language)[0]
