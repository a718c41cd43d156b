from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "solidground.contracts"
    verbose_name = _("Contracts")
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"
