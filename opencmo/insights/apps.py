from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "opencmo.insights"
    label = "insights"
    verbose_name = "Insights"
