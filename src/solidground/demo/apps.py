from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Holds the `demo` command; the demo provider has no models of its own."""

    name = "solidground.demo"
    label = "demo"
