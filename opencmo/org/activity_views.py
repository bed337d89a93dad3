"""Activity pages (placeholder)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org.models import Activity


@workspace_view()
def activity_list(request: HttpRequest) -> HttpResponse:
    return render(request, "org/activity_list.html", {})


@workspace_view()
def activity_detail(request: HttpRequest, activity_pk: int) -> HttpResponse:
    activity = scoped_or_404(Activity, request.workspace, activity_pk)
    return render(request, "org/activity_detail.html", {"activity": activity})


@workspace_view()
def authority(request: HttpRequest) -> HttpResponse:
    return render(request, "org/authority.html", {})
