from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "solidground.renewals"
    verbose_name = _("Renewals and the thesis test")
    label = "renewals"
    default_auto_field = "django.db.models.BigAutoField"
