from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from solidground.surveys.models import SurveyAnswer

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
