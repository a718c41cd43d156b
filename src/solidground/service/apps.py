from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    verbose_name = _("Service")
    name = "solidground.service"
    label = "service"
    default_auto_field = "django.db.models.BigAutoField"
