from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "opencmo.data"
    label = "data"
    verbose_name = "Data import"

    def ready(self) -> None:
        from opencmo.crm.gdpr import register_erasure_handler
        from opencmo.data.erasure import erase_person

        register_erasure_handler(erase_person)
