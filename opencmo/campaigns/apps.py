from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "opencmo.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
