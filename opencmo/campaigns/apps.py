from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "opencmo.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from opencmo.campaigns.services import launch_decided
        from opencmo.org.approvals import on_decision

        on_decision(launch_decided)  # an approved launch approves its planned campaign
