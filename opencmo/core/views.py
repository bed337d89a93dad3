"""Home, workspace choice, workspace settings, members and the audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opencmo.core import selectors, services
from opencmo.core.forms import (
    AuditFilterForm,
    InviteForm,
    MembershipForm,
    WorkspaceForm,
    WorkspaceSettingsForm,
    apply_errors,
)
from opencmo.core.models import Membership
from opencmo.core.tenancy import SESSION_KEY, scoped_or_404, workspace_view
from opencmo.org import selectors as org_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Go to the last workspace used, else the only one, else the list."""
    seats = selectors.memberships_of(request.user)
    last = request.session.get(SESSION_KEY)
    for seat in seats:
        if seat.workspace.slug == last:
            return redirect("workspace_home", ws=last)
    if len(seats) == 1:
        return redirect("workspace_home", ws=seats[0].workspace.slug)
    return redirect("workspace_list")


@login_required
@require_http_methods(["GET", "POST"])
def workspace_list(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None, initial={"currency": "EUR"})
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Workspace {workspace.name} created. You are its administrator.")
            return redirect("workspace_home", ws=workspace.slug)
    return render(
        request, "core/workspace_list.html", {"seats": selectors.memberships_of(request.user), "form": form}
    )


@workspace_view()
def workspace_home(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    people = org_selectors.people(workspace)
    me = org_selectors.person_for_user(workspace, request.user)
    return render(
        request,
        "core/workspace_home.html",
        {
            "me": me,
            "people_count": people.count(),
            "roles": org_selectors.roles(workspace),
            "members_count": selectors.workspace_members(workspace).filter(is_active=True).count(),
            "recent": selectors.audit_events(workspace)[:8] if request.membership.is_admin else [],
        },
    )


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    settings_form = WorkspaceSettingsForm(instance=workspace)
    invite_form = InviteForm()
    if request.method == "POST":
        if "invite" in request.POST:
            invite_form = InviteForm(request.POST)
            if invite_form.is_valid():
                try:
                    seat = services.member_invite(
                        actor=request.user, workspace=workspace, request=request, **invite_form.cleaned_data
                    )
                except ValidationError as error:
                    apply_errors(invite_form, error)
                else:
                    messages.success(
                        request, f"{seat.user.email} now has {seat.get_access_display()} access."
                    )
                    return redirect("workspace_settings", ws=workspace.slug)
        else:
            settings_form = WorkspaceSettingsForm(
                request.POST, instance=workspace.__class__.objects.get(pk=workspace.pk)
            )
            if settings_form.is_valid():
                try:
                    services.workspace_update(
                        actor=request.user, workspace=workspace, **settings_form.cleaned_data
                    )
                except ValidationError as error:
                    apply_errors(settings_form, error)
                else:
                    messages.success(request, "Workspace settings saved.")
                    return redirect("workspace_settings", ws=workspace.slug)
    return render(
        request,
        "core/workspace_settings.html",
        {
            "settings_form": settings_form,
            "invite_form": invite_form,
            "members": selectors.workspace_members(workspace),
        },
    )


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def membership_edit(request: HttpRequest, membership_pk: int) -> HttpResponse:
    seat = scoped_or_404(Membership, request.workspace, membership_pk)
    form = MembershipForm(request.POST or None, instance=Membership.objects.get(pk=seat.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(actor=request.user, membership=seat, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Access for {seat.user.email} saved.")
            return redirect("workspace_settings", ws=request.workspace.slug)
    return render(request, "core/membership_edit.html", {"form": form, "seat": seat})


@workspace_view(admin_only=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = AuditFilterForm(request.GET or None, object_types=selectors.audit_object_types(workspace))
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events(workspace, **{k: v for k, v in filters.items() if v})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit_log.html", {"form": form, "page": page, "query": query.urlencode()})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for load balancers: no database, no session."""
    return HttpResponse("ok", content_type="text/plain")
