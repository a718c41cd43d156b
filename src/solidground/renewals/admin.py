from django.contrib import admin

from solidground.renewals.models import RenewalFit, RenewalRisk, ThesisAnswer


@admin.register(RenewalFit)
class RenewalFitAdmin(admin.ModelAdmin[RenewalFit]):
    list_display = ("as_of", "method", "created_at", "seconds")
    readonly_fields = [f.name for f in RenewalFit._meta.fields]


@admin.register(RenewalRisk)
class RenewalRiskAdmin(admin.ModelAdmin[RenewalRisk]):
    list_display = ("customer", "contract", "level", "risk", "revenue_at_risk", "notice_date")
    list_filter = ("level",)
    readonly_fields = [f.name for f in RenewalRisk._meta.fields]


@admin.register(ThesisAnswer)
class ThesisAnswerAdmin(admin.ModelAdmin[ThesisAnswer]):
    list_display = ("question", "verdict", "fit")
    readonly_fields = [f.name for f in ThesisAnswer._meta.fields]
