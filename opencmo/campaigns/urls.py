"""Routes under /w/<ws>/campaigns/ (filled by the campaigns pages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
