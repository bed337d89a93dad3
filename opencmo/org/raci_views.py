"""RACI grid pages (placeholder until the grid lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opencmo.core.tenancy import workspace_view


@workspace_view()
def raci_grid(request: HttpRequest) -> HttpResponse:
    return render(request, "org/raci_grid.html", {})
