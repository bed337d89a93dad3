"""Secret-token iCal feeds, outside /w/: calendar apps cannot log in, the token is the credential."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
