from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "opencmo.work"
    label = "work"
    verbose_name = "Work"

    def ready(self) -> None:
        from opencmo.org.approvals import on_decision
        from opencmo.org.raci_services import on_close
        from opencmo.work.services import on_activity_closed, on_approval_decided

        on_decision(on_approval_decided)
        on_close(on_activity_closed)
