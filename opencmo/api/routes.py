"""The REST API (django-ninja). Every workspace route resolves the workspace through the caller's
memberships, exactly like the web views, so a foreign workspace answers 404."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.security import django_auth

from opencmo.api.schemas import (
    ActivityOut,
    ErrorOut,
    FindingOut,
    PersonOut,
    RaciSetIn,
    RaciSetOut,
    RoleOut,
    WorkspaceOut,
)
from opencmo.core.selectors import memberships_of
from opencmo.core.tenancy import membership_for, scoped_or_404
from opencmo.org import raci, raci_services
from opencmo.org import selectors as org_selectors
from opencmo.org.models import Activity, Person, Role

api = NinjaAPI(title="OpenCMO API", version="1", auth=django_auth, urls_namespace="api")


def _workspace(request: HttpRequest, ws: str):
    return membership_for(request.user, ws).workspace


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError):
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=422)


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


def _activity(request: HttpRequest, ws: str, activity_pk: int) -> Activity:
    activity = scoped_or_404(Activity, _workspace(request, ws), activity_pk)
    if not raci.can_view(request.user, activity):
        raise Http404("No such activity.")
    return activity


@api.get("/w/{ws}/activities", response={200: list[ActivityOut], 404: ErrorOut}, tags=["raci"])
def list_activities(request: HttpRequest, ws: str):
    return raci.visible_activities(request.user, _workspace(request, ws))


@api.get("/w/{ws}/activities/{activity_pk}", response={200: ActivityOut, 404: ErrorOut}, tags=["raci"])
def get_activity(request: HttpRequest, ws: str, activity_pk: int):
    return _activity(request, ws, activity_pk)


@api.get("/w/{ws}/raci/findings", response={200: list[FindingOut], 404: ErrorOut}, tags=["raci"])
def raci_findings(request: HttpRequest, ws: str):
    """Every RACI and organisation finding (errors first), the same list the grid and role review show.
    Findings about activities the caller may not see are left out."""
    workspace = _workspace(request, ws)
    visible = set(raci.visible_activities(request.user, workspace).values_list("pk", flat=True))
    return [f for f in raci.health(workspace).findings if f.activity_id is None or f.activity_id in visible]


@api.post(
    "/w/{ws}/activities/{activity_pk}/raci",
    response={200: RaciSetOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["raci"],
)
def set_raci(request: HttpRequest, ws: str, activity_pk: int, body: RaciSetIn):
    """Set the letters one person or role holds on an activity ("" removes them)."""
    activity = _activity(request, ws, activity_pk)
    person = scoped_or_404(Person, activity.workspace, body.person_id) if body.person_id else None
    role = scoped_or_404(Role, activity.workspace, body.role_id) if body.role_id else None
    letters = raci_services.raci_set(
        actor=request.user, activity=activity, person=person, role=role, letters=body.letters
    )
    findings = raci.health(activity.workspace).for_activity(activity.pk)
    return {"letters": sorted(letters, key="RACI".index), "findings": findings}
