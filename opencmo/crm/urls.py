"""Routes under /w/<ws>/customers/ (filled by the customer pages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
