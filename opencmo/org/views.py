"""People and roles pages. Thin: validate with a form, call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import selectors, services
from opencmo.org.forms import PersonForm, RoleForm
from opencmo.org.models import Person, Role


@workspace_view()
def people_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    role_key = request.GET.get("role", "")
    people = selectors.people(
        request.workspace, query=query, role_key=role_key, include_inactive=request.GET.get("inactive") == "1"
    )
    context = {
        "people": people,
        "query": query,
        "role_key": role_key,
        "roles": selectors.roles(request.workspace),
    }
    template = "org/_people_table.html" if request.htmx else "org/people_list.html"
    return render(request, template, context)


@workspace_view()
def people_export(request: HttpRequest) -> HttpResponse:
    rows = (
        [
            p.name,
            p.email,
            p.title,
            p.organisation,
            p.reports_to.name if p.reports_to else "",
            "; ".join(r.name for r in p.roles.all()),
            "yes" if p.is_active else "no",
        ]
        for p in selectors.people(request.workspace, include_inactive=True)
    )
    return csv_response(
        f"{request.workspace.slug}-people.csv",
        ["name", "email", "title", "organisation", "reports_to", "roles", "active"],
        rows,
    )


@workspace_view()
def person_detail(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = scoped_or_404(Person, request.workspace, person_pk)
    chain, manager = [], person.reports_to
    while manager is not None and manager not in chain:
        chain.append(manager)
        manager = manager.reports_to
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "chain": chain,
            "reports": person.direct_reports.filter(is_active=True),
        },
    )


def _person_form_view(request: HttpRequest, person: Person | None) -> HttpResponse:
    form = PersonForm(request.POST or None, instance=person, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        roles = data.pop("roles")
        try:
            if person is None:
                person = services.person_create(
                    actor=request.user, workspace=request.workspace, roles=roles, **data
                )
            else:
                # A fresh copy: the form has already written its values into `person`.
                fresh = Person.objects.get(pk=person.pk)
                person = services.person_update(actor=request.user, person=fresh, roles=roles, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{person.name} saved.")
            return redirect("person_detail", ws=request.workspace.slug, person_pk=person.pk)
    return render(request, "org/person_form.html", {"form": form, "person": person})


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    return _person_form_view(request, None)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_pk: int) -> HttpResponse:
    return _person_form_view(request, scoped_or_404(Person, request.workspace, person_pk))


@workspace_view(admin_only=True)
@require_POST
def person_delete(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = scoped_or_404(Person, request.workspace, person_pk)
    try:
        services.person_delete(actor=request.user, person=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("person_detail", ws=request.workspace.slug, person_pk=person.pk)
    messages.success(request, f"{person.name} removed; their direct reports now report to their manager.")
    return redirect("people_list", ws=request.workspace.slug)


@workspace_view()
@require_http_methods(["GET", "POST"])
def role_list(request: HttpRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.is_admin:
            messages.error(request, "Only workspace administrators may add roles.")
            return redirect("role_list", ws=request.workspace.slug)
        if form.is_valid():
            try:
                role = services.role_create(
                    actor=request.user, workspace=request.workspace, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Role {role.name} added.")
                return redirect("role_list", ws=request.workspace.slug)
    return render(request, "org/role_list.html", {"roles": selectors.roles(request.workspace), "form": form})


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, role_pk: int) -> HttpResponse:
    role = scoped_or_404(Role, request.workspace, role_pk)
    form = RoleForm(request.POST or None, instance=Role.objects.get(pk=role.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.role_update(actor=request.user, role=role, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Role {role.name} saved.")
            return redirect("role_list", ws=request.workspace.slug)
    return render(request, "org/role_form.html", {"form": form, "role": role})


@workspace_view(admin_only=True)
@require_POST
def role_delete(request: HttpRequest, role_pk: int) -> HttpResponse:
    role = scoped_or_404(Role, request.workspace, role_pk)
    try:
        services.role_delete(actor=request.user, role=role)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Role {role.name} deleted.")
    return redirect("role_list", ws=request.workspace.slug)
