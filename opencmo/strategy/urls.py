"""Routes under /w/<ws>/strategy/ (filled by the strategy pages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
