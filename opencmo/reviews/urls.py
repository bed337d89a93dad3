"""Routes of the reviews app (mounted under /w/<ws>/reviews/)."""

from django.urls import path

from opencmo.reviews import views

urlpatterns = [
    path("", views.review_list, name="review_list"),
    path("cycles/<int:reviewcycle_pk>/schedule/", views.review_cycle_schedule, name="review_cycle_schedule"),
    path("<int:review_pk>/", views.review_detail, name="review_detail"),
    path("<int:review_pk>/start/", views.review_start, name="review_start"),
    path("<int:review_pk>/close/", views.review_close, name="review_close"),
    path("<int:review_pk>/decisions/", views.review_decision_add, name="review_decision_add"),
    path(
        "<int:review_pk>/decisions/<int:reviewdecision_pk>/follow-up/",
        views.review_decision_follow_up,
        name="review_decision_follow_up",
    ),
    path("<int:review_pk>/actions/", views.review_action_add, name="review_action_add"),
    path("<int:review_pk>/reallocations/", views.review_reallocation_add, name="review_reallocation_add"),
    path("<int:review_pk>/board-report.pdf", views.review_pdf, name="review_pdf"),
    path("<int:review_pk>/export.csv", views.review_export, name="review_export"),
]
