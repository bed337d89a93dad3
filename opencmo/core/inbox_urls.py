"""Inbox routes, under /w/<ws>/inbox/."""

from django.urls import path

from opencmo.core import inbox_views

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
    path("read-all/", inbox_views.inbox_read_all, name="inbox_read_all"),
    path("<int:notification_pk>/read/", inbox_views.notification_read, name="notification_read"),
]
