from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "opencmo.org"
    label = "org"
    verbose_name = "Organisation"
