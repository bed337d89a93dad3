"""Routes of the mmm app (mounted under /w/<ws>/insights/models/)."""

from django.urls import path

from opencmo.mmm import views

urlpatterns = [
    path("", views.runs_home, name="mmm_runs"),
    path("runs/<int:modelrun_pk>/", views.run_detail, name="mmm_run"),
    path("runs/<int:modelrun_pk>/optimise/", views.optimise_view, name="mmm_optimise"),
    path("recommendations/<int:recommendation_pk>/", views.recommendation_detail, name="mmm_recommendation"),
    path(
        "recommendations/<int:recommendation_pk>/request/",
        views.recommendation_request,
        name="mmm_recommendation_request",
    ),
]
