"""Import runs, jobs, saved mappings and sync cursors in the admin: visible, never edited by
hand (a saved mapping may be deleted; the imports page saves them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from solidground.importers.models import (
    AuditEntry,
    ImportJob,
    ImportRun,
    SavedMapping,
    SyncCursor,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "kind",
        "source",
        "preset",
        "file_name",
        "status",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "user",
        "started_by",
    ]
    list_filter = ["status", "kind", "source"]
    search_fields = ["file_name", "preset", "source"]
    date_hierarchy = "started_at"


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ["source", "kind", "cursor", "updated_at"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "original_name", "mapping_name", "status", "user", "run"]
    list_filter = ["status"]
    search_fields = ["original_name", "mapping_name"]


@admin.register(SavedMapping)
class SavedMappingAdmin(ReadOnlyAdmin):
    list_display = ["name", "source", "kind", "user", "saved_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Django's own permission check, not ReadOnlyAdmin's "never".
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "action",
        "actor",
        "token_label",
        "source",
        "status",
        "rows",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "remote_addr",
    ]
    list_filter = ["action", "status"]
    search_fields = ["actor", "token_label", "source"]
