"""RACI grid routes, under /w/<ws>/org/raci/."""

from django.urls import path

from opencmo.org import raci_views

urlpatterns = [
    path("", raci_views.raci_grid, name="raci_grid"),
    path("<int:activity_pk>/cell/", raci_views.raci_cell, name="raci_cell"),
    path("activities/new/", raci_views.raci_activity_create, name="raci_activity_create"),
    path("export.csv", raci_views.raci_export, name="raci_export"),
    path("import/", raci_views.raci_import, name="raci_import"),
]
