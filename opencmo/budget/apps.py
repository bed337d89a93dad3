from django.apps import AppConfig


class BudgetConfig(AppConfig):
    name = "opencmo.budget"
    label = "budget"
    verbose_name = "Budget"
