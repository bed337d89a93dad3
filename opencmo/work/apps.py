from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "opencmo.work"
    label = "work"
    verbose_name = "Work"
