from django.apps import AppConfig


class BudgetConfig(AppConfig):
    name = "opencmo.budget"
    label = "budget"
    verbose_name = "Budget"

    def ready(self) -> None:
        # Reallocations follow their approval: applied when approved, rejected when rejected.
        from opencmo.budget.services import on_approval_decided
        from opencmo.org.approvals import on_decision

        on_decision(on_approval_decided)
