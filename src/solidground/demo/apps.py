from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Holds the `demo` command; the demo provider has no models of its own."""

    name = "solidground.demo"
    verbose_name = _("Demo data")
    label = "demo"
