from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "opencmo.data"
    label = "data"
    verbose_name = "Data import"
