"""Routes of the insights app (mounted under /w/<ws>/insights/)."""

from django.urls import path

from opencmo.insights import views

urlpatterns = [
    path("", views.insights_home, name="insights_home"),
    path("manager/", views.insights_manager, name="insights_manager"),
    path("channel/", views.insights_channel, name="insights_channel"),
    path("campaign/<int:campaign_pk>/", views.insights_campaign, name="insights_campaign"),
    path("feed/", views.insights_feed, name="insights_feed"),
]
