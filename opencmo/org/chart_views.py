"""Org chart page (placeholder until the chart lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opencmo.core.tenancy import workspace_view


@workspace_view()
def org_chart(request: HttpRequest) -> HttpResponse:
    return render(request, "org/org_chart.html", {})
