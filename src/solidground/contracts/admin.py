from django.contrib import admin

from solidground.contracts.models import (
    BusinessCalendar,
    CalendarSpecialDay,
    CalendarWindow,
    CatalogueItem,
    Contract,
    ContractEvent,
    RevenueLine,
    SlaPolicy,
    SlaTarget,
)


class CalendarWindowInline(admin.TabularInline):
    model = CalendarWindow
    extra = 0


class CalendarSpecialDayInline(admin.TabularInline):
    model = CalendarSpecialDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "holiday_country", "holiday_subdivision")
    inlines = [CalendarWindowInline, CalendarSpecialDayInline]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "pause_first_response", "near_breach_share")
    inlines = [SlaTargetInline]


class CatalogueItemInline(admin.TabularInline):
    model = CatalogueItem
    extra = 0
    fields = ("code", "name", "included", "rate", "unit", "keywords")


class ContractEventInline(admin.TabularInline):
    model = ContractEvent
    extra = 0
    fields = ("kind", "occurred_on", "monthly_fee_change", "note")


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "kind", "status", "monthly_fee", "renewal_date")
    list_filter = ("kind", "status", "auto_renew")
    search_fields = ("name", "customer__name", "external_id")
    list_select_related = ("customer",)
    inlines = [CatalogueItemInline, ContractEventInline]


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("name", "contract", "included", "rate", "unit")
    list_filter = ("included", "unit")
    search_fields = ("name", "code", "keywords")


@admin.register(ContractEvent)
class ContractEventAdmin(admin.ModelAdmin):
    list_display = ("contract", "kind", "occurred_on", "monthly_fee_change")
    list_filter = ("kind",)
    date_hierarchy = "occurred_on"


@admin.register(RevenueLine)
class RevenueLineAdmin(admin.ModelAdmin):
    list_display = ("customer", "period", "kind", "amount", "direct_cost")
    list_filter = ("kind",)
    search_fields = ("customer__name",)
    date_hierarchy = "period"
    list_select_related = ("customer",)
