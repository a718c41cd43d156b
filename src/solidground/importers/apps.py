from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportersConfig(AppConfig):
    name = "solidground.importers"
    verbose_name = _("Imports")
    label = "importers"
    default_auto_field = "django.db.models.BigAutoField"
