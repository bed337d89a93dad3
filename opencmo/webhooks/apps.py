from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "opencmo.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
