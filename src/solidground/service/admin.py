from django.contrib import admin

from solidground.service.models import (
    Highlight,
    Interaction,
    Ticket,
    TicketStatusChange,
    TimeEntry,
)


class StatusChangeInline(admin.TabularInline):
    model = TicketStatusChange
    extra = 0
    fields = ("changed_at", "status", "source_status")


class TimeEntryInline(admin.TabularInline):
    model = TimeEntry
    extra = 0
    fields = ("started_at", "technician", "minutes", "billing", "billed_amount")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("reference", "subject", "customer", "priority", "status", "created_at")
    list_filter = ("priority", "status", "channel", "is_special_request", "is_escalated")
    search_fields = ("reference", "subject", "customer__name", "external_id")
    date_hierarchy = "created_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "contact", "contract", "catalogue_item", "sla_policy")
    inlines = [StatusChangeInline, TimeEntryInline]


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ("started_at", "customer", "technician", "minutes", "billing")
    list_filter = ("billing",)
    search_fields = ("customer__name", "technician", "description")
    date_hierarchy = "started_at"
    list_select_related = ("customer",)
    raw_id_fields = ("ticket", "customer")


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "customer", "kind", "direction", "duration_minutes")
    list_filter = ("kind", "direction")
    date_hierarchy = "occurred_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "contact", "ticket")


@admin.register(Highlight)
class HighlightAdmin(admin.ModelAdmin):
    list_display = ("occurred_on", "customer", "title")
    search_fields = ("title", "customer__name")
    raw_id_fields = ("customer", "ticket")


@admin.register(TicketStatusChange)
class TicketStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("ticket", "changed_at", "status", "source_status")
    list_filter = ("status",)
    raw_id_fields = ("ticket",)
