"""Inbox routes, under /w/<ws>/inbox/."""

from django.urls import path

from opencmo.core import inbox_views

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
]
