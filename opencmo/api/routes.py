"""The REST API (django-ninja). Every workspace route resolves the workspace through the caller's
memberships, exactly like the web views, so a foreign workspace answers 404."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.security import django_auth

from opencmo.api.schemas import ErrorOut, PersonOut, RoleOut, WorkspaceOut
from opencmo.core.selectors import memberships_of
from opencmo.core.tenancy import membership_for, scoped_or_404
from opencmo.org import selectors as org_selectors
from opencmo.org.models import Person

api = NinjaAPI(title="OpenCMO API", version="1", auth=django_auth, urls_namespace="api")


def _workspace(request: HttpRequest, ws: str):
    return membership_for(request.user, ws).workspace


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.get("/workspaces", response=list[WorkspaceOut], tags=["workspaces"])
def list_workspaces(request: HttpRequest):
    return [
        WorkspaceOut(
            slug=s.workspace.slug, name=s.workspace.name, currency=s.workspace.currency, access=s.access
        )
        for s in memberships_of(request.user)
    ]


@api.get("/w/{ws}/roles", response={200: list[RoleOut], 404: ErrorOut}, tags=["organisation"])
def list_roles(request: HttpRequest, ws: str):
    return org_selectors.roles(_workspace(request, ws))


@api.get("/w/{ws}/people", response={200: list[PersonOut], 404: ErrorOut}, tags=["organisation"])
def list_people(request: HttpRequest, ws: str, q: str = "", role: str = ""):
    return org_selectors.people(_workspace(request, ws), query=q, role_key=role)


@api.get("/w/{ws}/people/{person_pk}", response={200: PersonOut, 404: ErrorOut}, tags=["organisation"])
def get_person(request: HttpRequest, ws: str, person_pk: int):
    return scoped_or_404(Person, _workspace(request, ws), person_pk)
