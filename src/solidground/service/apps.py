from django.apps import AppConfig


class ServiceConfig(AppConfig):
    verbose_name = "Service"
    name = "solidground.service"
    label = "service"
    default_auto_field = "django.db.models.BigAutoField"
