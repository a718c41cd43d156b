from django.contrib import admin

from solidground.insights.models import (
    AnalysisRun,
    CustomerPeriod,
    CustomerSegment,
    CustomerTrend,
    Finding,
    TicketScope,
    TicketSla,
    WhalePoint,
)


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
        "goodwill_share",
        "revenue",
        "margin_share",
        "csat_share",
    )
    list_filter = ("period_kind",)
    search_fields = ("customer__name",)
    list_select_related = ("customer",)


@admin.register(TicketSla)
class TicketSlaAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "first_response_state", "resolution_state", "resolution_due")
    list_filter = ("first_response_state", "resolution_state")
    raw_id_fields = ("ticket",)


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(ReadOnlyAdmin):
    list_display = ("customer", "segment", "rule", "window_start", "window_end")
    list_filter = ("segment",)
    search_fields = ("customer__name",)


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("customer", "kind", "severity", "period_start")
    list_filter = ("kind", "severity")
    search_fields = ("customer__name",)


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
