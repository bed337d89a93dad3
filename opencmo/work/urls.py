"""Routes under /w/<ws>/work/ (filled by the work pages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
