from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "solidground.reports"
    verbose_name = _("Service reviews")
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"
