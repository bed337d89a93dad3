"""Routes under /w/<ws>/data/ (filled by the import pages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
