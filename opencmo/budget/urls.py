"""Routes under /w/<ws>/budget/."""

from django.urls import path

from opencmo.budget import views

urlpatterns = [
    path("", views.budget_home, name="budget_home"),
    path("plans/<int:budgetplan_pk>/", views.budget_plan, name="budget_plan"),
    path("plans/<int:budgetplan_pk>/export.csv", views.budget_plan_csv, name="budget_plan_csv"),
    path("plans/<int:budgetplan_pk>/export.xlsx", views.budget_plan_xlsx, name="budget_plan_xlsx"),
    path("plans/<int:budgetplan_pk>/reallocations/", views.budget_reallocations, name="budget_reallocations"),
    path("lines/<int:budgetline_pk>/", views.budget_line, name="budget_line"),
    path("lines/<int:budgetline_pk>/pacing.csv", views.budget_line_pacing_csv, name="budget_line_pacing_csv"),
    path(
        "lines/<int:budgetline_pk>/burndown.csv",
        views.budget_line_burndown_csv,
        name="budget_line_burndown_csv",
    ),
    path("commitments/<int:commitment_pk>/", views.budget_commitment_edit, name="budget_commitment_edit"),
    path(
        "commitments/<int:commitment_pk>/delete/",
        views.budget_commitment_delete,
        name="budget_commitment_delete",
    ),
    path("spend/", views.budget_spend, name="budget_spend"),
    path("spend.csv", views.budget_spend_csv, name="budget_spend_csv"),
    path("spend/<int:spendentry_pk>/delete/", views.budget_spend_delete, name="budget_spend_delete"),
    path("unmatched/", views.budget_unmatched, name="budget_unmatched"),
    path(
        "mappings/<int:platformcampaign_pk>/delete/",
        views.budget_mapping_delete,
        name="budget_mapping_delete",
    ),
    path("rates/", views.budget_rates, name="budget_rates"),
    path("rates/<int:exchangerate_pk>/", views.budget_rate_edit, name="budget_rate_edit"),
    path("rates/<int:exchangerate_pk>/delete/", views.budget_rate_delete, name="budget_rate_delete"),
]
