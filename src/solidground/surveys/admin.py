from django.contrib import admin

from solidground.surveys.models import SurveyAnswer


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "customer", "kind", "score", "scale_max", "answered_at")
    list_filter = ("kind", "language")
    search_fields = ("customer__name", "comment")
    date_hierarchy = "sent_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "contact", "ticket")
