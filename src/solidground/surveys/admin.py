from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from solidground.surveys.models import (
    Campaign,
    Invitation,
    InvitationEvent,
    SurveyAnswer,
    SurveySettings,
    Unsubscribe,
)

COMMENT_CHARS = 80  # enough to tell a complaint from a thank-you; the page shows it whole


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(admin.ModelAdmin):
    list_display = (
        "sent_at",
        "customer",
        "kind",
        "score",
        "scale_max",
        "answered_at",
        "comment_start",
    )
    list_filter = ("kind", "language")
    search_fields = ("customer__name", "comment")
    date_hierarchy = "sent_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "contact", "ticket")

    @admin.display(description=_("comment"), ordering="comment")
    def comment_start(self, obj: SurveyAnswer) -> str:
        return Truncator(obj.comment).chars(COMMENT_CHARS) or "–"


class InvitationEventInline(admin.TabularInline):
    model = InvitationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "event", "detail")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The send log of each invitation; the dashboard's surveys page sums them up."""

    list_display = ("created_at", "kind", "customer", "email", "state", "attempts", "sent_at")
    list_filter = ("kind", "state")
    search_fields = ("customer__name", "email")
    date_hierarchy = "created_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "contact", "ticket", "campaign", "answer", "nps_answer")
    exclude = ("key",)  # a part of every link: not shown
    inlines = [InvitationEventInline]


@admin.register(InvitationEvent)
class InvitationEventAdmin(admin.ModelAdmin):
    list_display = ("at", "invitation", "event", "detail")
    list_filter = ("event",)
    raw_id_fields = ("invitation",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("created_at", "name", "customer", "segment", "ask_nps")
    raw_id_fields = ("customer", "created_by")


@admin.register(Unsubscribe)
class UnsubscribeAdmin(admin.ModelAdmin):
    list_display = ("at", "email")
    search_fields = ("email",)
    raw_id_fields = ("invitation",)


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    list_display = ("provider_name", "sender", "ticket_surveys_enabled", "updated_at")
