"""Routes under /w/<ws>/budget/ (filled by the budget pages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
