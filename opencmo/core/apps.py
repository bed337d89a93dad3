from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opencmo.core"
    label = "core"
    verbose_name = "OpenCMO core"

    def ready(self) -> None:
        from opencmo.core import throttle

        throttle.connect()
