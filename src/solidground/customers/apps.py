from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "solidground.customers"
    verbose_name = _("Customers")
    label = "customers"
    default_auto_field = "django.db.models.BigAutoField"
