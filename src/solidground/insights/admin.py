from django.contrib import admin

from solidground.insights.models import AnalysisRun, CustomerPeriod, TicketSla


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
