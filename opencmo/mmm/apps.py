from django.apps import AppConfig


class MmmConfig(AppConfig):
    name = "opencmo.mmm"
    label = "mmm"
    verbose_name = "Marketing-mix models"
