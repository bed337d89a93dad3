"""Routes under /w/<ws>/strategy/: goals, objectives and KPIs, segments and the brand strategy."""

from django.urls import path

from opencmo.strategy import views

urlpatterns = [
    path("", views.strategy_home, name="strategy_home"),
    path("goals/new/", views.goal_create, name="goal_create"),
    path("goals/<int:companygoal_pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:companygoal_pk>/delete/", views.goal_delete, name="goal_delete"),
    path("objectives/", views.objective_list, name="objective_list"),
    path("objectives/new/", views.objective_create, name="objective_create"),
    path("objectives/<int:objective_pk>/", views.objective_detail, name="objective_detail"),
    path("objectives/<int:objective_pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:objective_pk>/delete/", views.objective_delete, name="objective_delete"),
    path("objectives/<int:objective_pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<int:kpi_pk>/", views.kpi_detail, name="kpi_detail"),
    path("kpis/<int:kpi_pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("kpis/<int:kpi_pk>/delete/", views.kpi_delete, name="kpi_delete"),
    path("actuals/<int:kpiactual_pk>/delete/", views.kpi_actual_delete, name="kpi_actual_delete"),
    path("segments/", views.segment_list, name="strategy_segment_list"),
    path("segments/<int:segment_pk>/edit/", views.segment_edit, name="strategy_segment_edit"),
    path("segments/<int:segment_pk>/delete/", views.segment_delete, name="strategy_segment_delete"),
    path("brand/", views.strategy_brand, name="strategy_brand"),
    path("brand/draft/", views.strategy_draft_start, name="strategy_draft_start"),
    path("brand/<int:strategyversion_pk>/", views.strategy_version_detail, name="strategy_version_detail"),
    path("brand/<int:strategyversion_pk>/edit/", views.strategy_draft_edit, name="strategy_draft_edit"),
]
