from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "solidground.insights"
    verbose_name = _("Analysis results")
    label = "insights"
    default_auto_field = "django.db.models.BigAutoField"
