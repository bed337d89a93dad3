"""The notification inbox (placeholder until the inbox lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opencmo.core.tenancy import workspace_view


@workspace_view()
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "core/inbox.html", {})
