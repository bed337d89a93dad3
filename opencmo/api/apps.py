from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "opencmo.api"
    label = "api"
    verbose_name = "API"
