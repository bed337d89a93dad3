from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "opencmo.strategy"
    label = "strategy"
    verbose_name = "Strategy"
