"""The analysis results in the admin, read-only and readable: findings and segments as the
sentences the dashboard shows, evidence and figures as "label: value" with rounded numbers
(never raw keys or 16-digit floats)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.insights import formatting, messages
from solidground.insights.models import (
    AnalysisRun,
    CustomerPeriod,
    CustomerSegment,
    CustomerTrend,
    Finding,
    FindingDecision,
    TicketScope,
    TicketSla,
    WhalePoint,
)

# Labels for the evidence and figure keys the analysis writes; an unknown key (a newer
# engine) is shown as its name with spaces.
LABELS: dict[str, Promise] = {
    "value": _("value"),
    "low": _("lower bound (95%)"),
    "high": _("upper bound (95%)"),
    "n": _("n"),
    "threshold": _("threshold"),
    "bound": _("bound"),
    "reference": _("reference value"),
    "reference_start": _("reference period"),
    "baseline": _("baseline"),
    "change": _("change"),
    "change_low": _("change, lower bound (95%)"),
    "change_high": _("change, upper bound (95%)"),
    "window_start": _("window start"),
    "values": _("values"),
    "hours": _("hours"),
    "tickets": _("tickets"),
    "months": _("months"),
    "monthly_price": _("monthly price"),
    "rate": _("rate"),
    "ratio": _("ratio"),
    "item": _("catalogue item"),
    "interactions": _("interactions"),
    "csat_responses": _("CSAT answers"),
    "answers": _("survey answers"),
    "goodwill_share": _("goodwill share"),
    "margin_share": _("margin share"),
    "margin_share_year_before": _("margin share a year before"),
    "contact_intensity": _("contacts per ticket"),
    "contacts_per_seat": _("contacts per seat"),
    "revenue": _("revenue"),
    "margin": _("margin"),
    "hours_goodwill": _("goodwill hours"),
    "out_of_scope_free_value": _("free out-of-scope work, value"),
}
# Bounds and changes of a share that the sentences do not print, shown as percent like the share;
# the kinds whose value is a count or money (messages._PERCENT_KINDS_EXCEPT) keep plain numbers.
SHARE_BOUNDS = {"bound", "change_low", "change_high"}
SHARE_EXCEPT = {"tickets_up", "contact_high", "contact_low", "out_of_scope_free"}
# Keys shown with the evidence but saying nothing to a reader of the sentence.
HIDDEN = {"key", "met", "customer_id"}
SHORT = 120  # characters of a sentence in a change list; the page shows it whole


def label(key: str) -> str:
    known = LABELS.get(key)
    return str(known) if known is not None else key.replace("_", " ")


def number(value: object) -> str:
    """A figure as a reader reads it: rounded, in the locale's format; "no data" for none."""
    if value is None:
        return gettext("no data")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int):
        return number_format(value, 0, force_grouping=True)
    if isinstance(value, float | Decimal):
        return number_format(value, 2, force_grouping=True)
    if isinstance(value, list | tuple):
        return " → ".join(number(item) for item in value)
    return str(value)


def figure(key: str, value: object) -> str:
    """A segment figure by its kind: shares as percent, money as money, counts whole."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key.endswith("_share") or key.startswith("margin_share"):
            return formatting.percent(value)
        if key in ("revenue", "margin") or key.endswith("_value"):
            return formatting.money(value)
    return number(value)


def evidence(kind: str, params: Mapping[str, Any], period: object) -> list[tuple[str, str]]:
    """The evidence of a finding as (label, value) pairs, formatted the way the finding's
    sentence formats them (shares as percent, money as money), every other number rounded."""
    try:
        shown = messages.format_params(kind, params, period)
    except (TypeError, ValueError, ArithmeticError):  # an unexpected value: plain rounding
        shown = {}
    shares = kind not in SHARE_EXCEPT
    pairs = []
    for key, value in params.items():
        if key in HIDDEN:
            continue
        if value is None:
            text = gettext("no data")
        elif key in SHARE_BOUNDS and shares and isinstance(value, int | float):
            text = formatting.percent(value)
        elif key in shown and (key == "values" or not isinstance(value, list | dict)):
            text = shown[key]
        else:
            text = number(value)
        pairs.append((label(key), text))
    return pairs


def as_list(items: Iterable[tuple[str, str]]) -> SafeString:
    rows = list(items)
    if not rows:
        return format_html("{}", "–")
    return format_html(
        '<ul class="evidence">{}</ul>',
        format_html_join("", "<li>{}: {}</li>", rows),
    )


def sentences(texts: Iterable[str]) -> SafeString:
    rows = [(text,) for text in texts]
    if not rows:
        return format_html("{}", "–")
    return format_html('<ul class="sentences">{}</ul>', format_html_join("", "<li>{}</li>", rows))


def _conditions(conditions: object) -> list[dict[str, Any]]:
    return [c for c in conditions if isinstance(c, dict)] if isinstance(conditions, list) else []


def _params(condition: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in condition.items() if k not in ("key", "met")}


def segment_label(code: str) -> str:
    if not code:
        return "–"
    return str(messages.SEGMENT_NAMES.get(code, code))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Results are written by the analysis only; the admin shows them."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AnalysisRun)
class AnalysisRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "status", "customers", "tickets", "seconds")
    list_filter = ("status",)


@admin.register(CustomerPeriod)
class CustomerPeriodAdmin(ReadOnlyAdmin):
    list_display = (
        "customer",
        "period_kind",
        "period_start",
        "tickets",
        "goodwill_percent",
        "revenue",
        "margin_percent",
        "csat_percent",
    )
    list_filter = ("period_kind",)
    search_fields = ("customer__name",)
    list_select_related = ("customer",)

    # Shares are stored as fractions (0.12); the list shows them as the pages do (12 %).
    @admin.display(description=_("goodwill share"), ordering="goodwill_share")
    def goodwill_percent(self, obj: CustomerPeriod) -> str:
        return formatting.percent(obj.goodwill_share)

    @admin.display(description=_("agreement margin"), ordering="margin_share")
    def margin_percent(self, obj: CustomerPeriod) -> str:
        return formatting.percent(obj.margin_share)

    @admin.display(description=_("CSAT"), ordering="csat_share")
    def csat_percent(self, obj: CustomerPeriod) -> str:
        return formatting.percent(obj.csat_share)


@admin.register(TicketSla)
class TicketSlaAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "first_response_state", "resolution_state", "resolution_due")
    list_filter = ("first_response_state", "resolution_state")
    raw_id_fields = ("ticket",)


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(ReadOnlyAdmin):
    list_display = ("customer", "segment_name", "why", "window_start", "window_end")
    list_filter = ("segment",)
    search_fields = ("customer__name",)
    list_select_related = ("customer",)
    fields = (
        "customer",
        "segment_name",
        "previous_segment_name",
        "rule_name",
        "window_start",
        "window_end",
        "reason_sentences",
        "mover_sentences",
        "figure_list",
    )
    readonly_fields = fields

    @admin.display(description=_("segment"), ordering="segment")
    def segment_name(self, obj: CustomerSegment) -> str:
        return segment_label(obj.segment)

    @admin.display(description=_("rule"))
    def rule_name(self, obj: CustomerSegment) -> str:
        # Rules are named after the segment they place (a newer engine's: shown as named).
        return segment_label(obj.rule)

    @admin.display(description=_("segment a quarter before"))
    def previous_segment_name(self, obj: CustomerSegment) -> str:
        return segment_label(obj.previous_segment)

    @admin.display(description=_("why"))
    def why(self, obj: CustomerSegment) -> str:
        text = "; ".join(
            messages.render(c.get("key", ""), _params(c), obj.window_end)
            for c in _conditions(obj.reasons)
        )
        return Truncator(text).chars(SHORT) or "–"

    @admin.display(description=_("reasons"))
    def reason_sentences(self, obj: CustomerSegment) -> SafeString:
        return sentences(
            messages.render(c.get("key", ""), _params(c), obj.window_end)
            for c in _conditions(obj.reasons)
        )

    @admin.display(description=_("what would move it"))
    def mover_sentences(self, obj: CustomerSegment) -> SafeString:
        return sentences(
            messages.render(c.get("key", ""), _params(c), obj.window_end, mover=True)
            for c in _conditions(obj.movers)
        )

    @admin.display(description=_("figures"))
    def figure_list(self, obj: CustomerSegment) -> SafeString:
        figures = obj.figures if isinstance(obj.figures, dict) else {}
        return as_list((label(key), figure(key, value)) for key, value in figures.items())


class FindingKindFilter(admin.SimpleListFilter):
    """The kinds of the stored findings by their short names, never the raw keys."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        kinds = model_admin.get_queryset(request).order_by().values_list("kind", flat=True)
        names = {kind: messages.kind_name(kind) for kind in set(kinds)}
        return sorted(names.items(), key=lambda item: item[1].casefold())

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        value = self.value()
        return queryset.filter(kind=value) if value else queryset


class FindingText:
    """The sentence and evidence of a finding or a decision on one (same kind and params)."""

    @admin.display(description=_("finding"))
    def sentence(self, obj: Finding | FindingDecision) -> str:
        return Truncator(messages.render(obj.kind, obj.params, obj.period_start)).chars(SHORT)

    @admin.display(description=_("finding"))
    def full_sentence(self, obj: Finding | FindingDecision) -> str:
        return messages.render(obj.kind, obj.params, obj.period_start)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj: Finding | FindingDecision) -> str:
        return messages.kind_name(obj.kind)

    @admin.display(description=_("evidence"))
    def evidence_list(self, obj: Finding | FindingDecision) -> SafeString:
        params = obj.params if isinstance(obj.params, dict) else {}
        return as_list(evidence(obj.kind, params, obj.period_start))


@admin.register(Finding)
class FindingAdmin(FindingText, ReadOnlyAdmin):
    list_display = ("customer", "sentence", "severity", "period_start")
    list_filter = (FindingKindFilter, "severity")
    search_fields = ("customer__name",)
    list_select_related = ("customer",)
    fields = ("customer", "full_sentence", "severity", "period_start", "kind_name", "evidence_list")
    readonly_fields = fields


@admin.register(FindingDecision)
class FindingDecisionAdmin(FindingText, ReadOnlyAdmin):
    list_display = ("customer", "sentence", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("customer__name", "note")
    list_select_related = ("customer", "decided_by")
    fields = (
        "customer",
        "full_sentence",
        "status",
        "note",
        "decided_by",
        "decided_at",
        "period_start",
        "evidence_list",
    )
    readonly_fields = fields


@admin.register(CustomerTrend)
class CustomerTrendAdmin(ReadOnlyAdmin):
    list_display = ("customer", "period_kind", "period_start", "figure", "baseline", "change")
    list_filter = ("period_kind", "figure", "baseline", "significant")


@admin.register(TicketScope)
class TicketScopeAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "catalogue_item", "method", "keyword", "confidence")
    list_filter = ("method",)
    raw_id_fields = ("ticket", "catalogue_item")


@admin.register(WhalePoint)
class WhalePointAdmin(ReadOnlyAdmin):
    list_display = ("rank", "customer", "profit", "cumulative_share")
