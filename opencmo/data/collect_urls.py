"""The public first-party collection endpoint, outside /w/ (sites post to it without a login)."""

from django.urls import path

from opencmo.data.collect import collect

urlpatterns = [path("", collect, name="collect")]
