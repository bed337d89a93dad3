"""Secret-token iCal feeds, outside /w/: calendar apps cannot log in, the token is the credential."""

from django.urls import path

from opencmo.campaigns import views

urlpatterns = [
    path("<str:token>.ics", views.ical_feed, name="ical_feed"),
]
