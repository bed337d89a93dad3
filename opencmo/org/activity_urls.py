"""Activities, approvals, decision authority and RACI policy, under /w/<ws>/org/."""

from django.urls import path

from opencmo.org import activity_views

urlpatterns = [
    path("activities/", activity_views.activity_list, name="activity_list"),
    path("activities/<int:activity_pk>/", activity_views.activity_detail, name="activity_detail"),
    path("authority/", activity_views.authority, name="authority"),
    path(
        "authority/<int:decisionauthority_pk>/revoke/",
        activity_views.authority_revoke,
        name="authority_revoke",
    ),
]
