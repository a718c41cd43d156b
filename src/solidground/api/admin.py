"""API tokens in the admin: visible and revocable there by deleting, never shown in full."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from solidground.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A token is made with `solidground token create` or on the settings page, where its
        # secret is shown once.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Appended for the webhook receivers (api/webhooks.py): the replay table, read-only.
from solidground.api.webhook_models import WebhookDelivery  # noqa: E402


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["receiver", "delivery_id", "received_at", "import_run_id"]
    list_filter = ["receiver"]
    search_fields = ["delivery_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
