"""Role review page (placeholder until the review lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opencmo.core.tenancy import workspace_view


@workspace_view()
def role_review(request: HttpRequest) -> HttpResponse:
    return render(request, "org/role_review.html", {})
