from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "solidground.web"
    verbose_name = _("Dashboard")
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"
