from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opencmo.core"
    label = "core"
    verbose_name = "OpenCMO core"
