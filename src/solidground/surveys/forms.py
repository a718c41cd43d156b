"""Forms of the survey settings and of a new relationship campaign (the dashboard)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from solidground.surveys.models import SurveySettings

SEGMENTS = [
    ("at_risk", _("at risk")),
    ("service_trap", _("service trap")),
    ("solid", _("solid")),
    ("quiet", _("quiet")),
    ("unprofitable", _("unprofitable")),
]


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = [
            "provider_name",
            "brand_colour",
            "accent_colour",
            "sender",
            "reply_to",
            "ticket_surveys_enabled",
            "period_days",
            "window_hours",
            "reminder_days",
            "excluded_words",
            "notify_account_manager",
            "subject_de",
            "intro_de",
            "subject_en",
            "intro_en",
        ]
        widgets = {
            "brand_colour": forms.TextInput(attrs={"placeholder": "#1f4e79", "size": 8}),
            "accent_colour": forms.TextInput(attrs={"placeholder": "#e8f0f8", "size": 8}),
            "intro_de": forms.Textarea(attrs={"rows": 5, "cols": 60}),
            "intro_en": forms.Textarea(attrs={"rows": 5, "cols": 60}),
        }
        help_texts = {
            "subject_de": _(
                "Placeholders: {subject} (the ticket), {contact}, {provider}, {customer}."
            ),
            "excluded_words": _(
                "Comma-separated; compared with the ticket's category and its statuses in "
                "the source."
            ),
        }


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    customer = forms.TypedChoiceField(
        label=_("Customer"), coerce=int, required=False, empty_value=None
    )
    segment = forms.ChoiceField(
        label=_("or every customer in the segment"), choices=[("", "–"), *SEGMENTS], required=False
    )
    ask_nps = forms.BooleanField(label=_("Also ask the NPS question"), required=False)

    def __init__(self, *args: Any, customers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "–"), *customers]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("customer")) == bool(data.get("segment")):
            raise forms.ValidationError(_("Choose either one customer or one segment."))
        return data
