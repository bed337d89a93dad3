"""Org chart and role review routes, under /w/<ws>/org/."""

from django.urls import path

from opencmo.org import chart_views, review_views

urlpatterns = [
    path("chart/", chart_views.org_chart, name="org_chart"),
    path("chart.svg", chart_views.org_chart_svg, name="org_chart_svg"),
    path("review/", review_views.role_review, name="role_review"),
    path("review/record/", review_views.role_review_record, name="role_review_record"),
    path("review/<int:rolereview_pk>/", review_views.role_review_detail, name="role_review_detail"),
]
