"""Org chart and role review routes, under /w/<ws>/org/."""

from django.urls import path

from opencmo.org import chart_views, review_views

urlpatterns = [
    path("chart/", chart_views.org_chart, name="org_chart"),
    path("review/", review_views.role_review, name="role_review"),
]
