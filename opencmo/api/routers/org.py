"""People, roles, activities and RACI."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from opencmo.api.common import (
    Input,
    PageIn,
    choices,
    get_or_404,
    optional_ref,
    ordering,
    page_of,
    paginate,
    responses,
    workspace_for,
)
from opencmo.api.schemas import ActivityOut, FindingOut, PersonOut, RaciSetIn, RaciSetOut, RoleOut
from opencmo.org import raci, raci_services, services
from opencmo.org import selectors as org_selectors
from opencmo.org.models import Activity, Person, Role

router = Router(tags=["org"])
PersonOrder = ordering("name", "title", "id")
ActivityOrder = ordering("name", "kind", "id")


@router.get("/w/{ws}/roles", response=responses(list[RoleOut]))
def list_roles(request: HttpRequest, ws: str):
    return org_selectors.roles(workspace_for(request, ws, "org").workspace).order_by("name")


@router.get("/w/{ws}/people", response=responses(page_of(PersonOut)))
def list_people(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    q: str = "",
    role: str = "",
    include_inactive: bool = False,
    order: PersonOrder = "name",
):
    """People of the organisation; `q` searches name, email, title, organisation and role names,
    `role` filters by role key."""
    workspace = workspace_for(request, ws, "org").workspace
    rows = org_selectors.people(workspace, query=q, role_key=role, include_inactive=include_inactive)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/people/{person_pk}", response=responses(PersonOut))
def get_person(request: HttpRequest, ws: str, person_pk: int):
    return get_or_404(Person, workspace_for(request, ws, "org").workspace, person_pk)


class PersonIn(Input):
    name: str = Field(min_length=1, max_length=150)
    email: str = Field("", max_length=254)
    title: str = Field("", max_length=150)
    organisation: str = Field("", max_length=150)
    reports_to_id: int | None = None
    roles: list[str] = Field(default_factory=list, max_length=20, description="role keys (the hats worn)")
    is_active: bool = True


class PersonPatch(Input):
    """Only the fields sent are changed; `roles` replaces the hats worn."""

    name: str | None = Field(None, min_length=1, max_length=150)
    email: str | None = Field(None, max_length=254)
    title: str | None = Field(None, max_length=150)
    organisation: str | None = Field(None, max_length=150)
    reports_to_id: int | None = None
    roles: list[str] | None = Field(None, max_length=20)
    is_active: bool | None = None


def _roles(workspace, keys: list[str]) -> list[Role]:
    found = {r.key: r for r in Role.objects.filter(workspace=workspace, key__in=keys)}
    unknown = [k for k in keys if k not in found]
    if unknown:
        raise ValidationError({"roles": f"No role {', '.join(unknown)} in this workspace."})
    return [found[k] for k in dict.fromkeys(keys)]


@router.post("/w/{ws}/people", response=responses(PersonOut, 201))
def create_person(request: HttpRequest, ws: str, body: PersonIn):
    """Add someone to the organisation (administrators): a reporting line may not loop."""
    workspace = workspace_for(request, ws, "org", write=True).workspace
    fields = body.model_dump(exclude={"roles", "reports_to_id"})
    person = services.person_create(
        actor=request.user,
        workspace=workspace,
        roles=_roles(workspace, body.roles),
        reports_to=optional_ref(Person, workspace, body.reports_to_id, "reports_to_id"),
        **fields,
    )
    return Status(201, person)


@router.patch("/w/{ws}/people/{person_pk}", response=responses(PersonOut))
def update_person(request: HttpRequest, ws: str, person_pk: int, body: PersonPatch):
    workspace = workspace_for(request, ws, "org", write=True).workspace
    person = get_or_404(Person, workspace, person_pk)
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationError("Send at least one field to change.")
    roles = sent.pop("roles", None)
    if "reports_to_id" in sent:
        sent["reports_to"] = optional_ref(Person, workspace, sent.pop("reports_to_id"), "reports_to_id")
    fields = {k: v for k, v in sent.items() if v is not None or k == "reports_to"}
    services.person_update(
        actor=request.user,
        person=person,
        roles=_roles(workspace, roles) if roles is not None else None,
        **fields,
    )
    return get_or_404(Person, workspace, person_pk)


@router.delete("/w/{ws}/people/{person_pk}", response=responses(None, 204))
def delete_person(request: HttpRequest, ws: str, person_pk: int):
    """Remove someone (administrators); their direct reports move up to their manager. Someone who
    requested, approves or decided approvals is kept: deactivate them instead (`is_active: false`)."""
    workspace = workspace_for(request, ws, "org", write=True).workspace
    person = get_or_404(Person, workspace, person_pk)
    with transaction.atomic():
        services.person_delete(actor=request.user, person=person)
    return Status(204, None)


def _activity(request: HttpRequest, ws: str, activity_pk: int, *, write: bool = False) -> Activity:
    activity = get_or_404(Activity, workspace_for(request, ws, "org", write=write).workspace, activity_pk)
    if not raci.can_view(request.user, activity):
        raise Http404("No such activity.")
    return activity


@router.get("/w/{ws}/activities", response=responses(page_of(ActivityOut)))
def list_activities(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    kind: choices(Activity.Kind) | None = None,
    is_open: bool | None = None,
    order: ActivityOrder = "name",
):
    """Activities the caller may see (restricted ones only with a RACI letter or as administrator)."""
    rows = raci.visible_activities(request.user, workspace_for(request, ws, "org").workspace)
    if kind:
        rows = rows.filter(kind=kind)
    if is_open is not None:
        rows = rows.filter(is_open=is_open)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/activities/{activity_pk}", response=responses(ActivityOut))
def get_activity(request: HttpRequest, ws: str, activity_pk: int):
    return _activity(request, ws, activity_pk)


@router.get("/w/{ws}/raci/findings", response=responses(list[FindingOut]))
def raci_findings(request: HttpRequest, ws: str):
    """Every RACI and organisation finding (errors first), the same list the grid and role review show.
    Findings about activities the caller may not see are left out."""
    workspace = workspace_for(request, ws, "org").workspace
    visible = set(raci.visible_activities(request.user, workspace).values_list("pk", flat=True))
    return [f for f in raci.health(workspace).findings if f.activity_id is None or f.activity_id in visible]


@router.post("/w/{ws}/activities/{activity_pk}/raci", response=responses(RaciSetOut))
def set_raci(request: HttpRequest, ws: str, activity_pk: int, body: RaciSetIn):
    """Set the letters one person or role holds on an activity ("" removes them)."""
    activity = _activity(request, ws, activity_pk, write=True)
    person = optional_ref(Person, activity.workspace, body.person_id, "person_id")
    role = optional_ref(Role, activity.workspace, body.role_id, "role_id")
    letters = raci_services.raci_set(
        actor=request.user, activity=activity, person=person, role=role, letters=body.letters
    )
    findings = raci.health(activity.workspace).for_activity(activity.pk)
    return {"letters": sorted(letters, key="RACI".index), "findings": findings}
