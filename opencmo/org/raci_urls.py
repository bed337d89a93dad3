"""RACI grid routes, under /w/<ws>/org/raci/."""

from django.urls import path

from opencmo.org import raci_views

urlpatterns = [
    path("", raci_views.raci_grid, name="raci_grid"),
]
