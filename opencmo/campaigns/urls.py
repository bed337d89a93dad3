"""Routes under /w/<ws>/campaigns/: campaigns, the calendar (with its feed controls) and channels."""

from django.urls import path

from opencmo.campaigns import views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("export.csv", views.campaign_export, name="campaign_export"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:campaign_pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:campaign_pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:campaign_pk>/delete/", views.campaign_delete, name="campaign_delete"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/", views.calendar_feed, name="calendar_feed"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/<int:channel_pk>/edit/", views.channel_edit, name="channel_edit"),
    path("channels/<int:channel_pk>/delete/", views.channel_delete, name="channel_delete"),
]
