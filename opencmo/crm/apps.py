from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "opencmo.crm"
    label = "crm"
    verbose_name = "Customers"
