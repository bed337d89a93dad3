"""The public first-party collection endpoint, outside /w/ (sites post to it without a login)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
