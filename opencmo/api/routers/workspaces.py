"""Workspaces the caller belongs to (a token sees only its own workspace)."""

from django.http import HttpRequest
from ninja import Router, Schema

from opencmo.api.auth import token_of
from opencmo.api.common import responses, workspace_for
from opencmo.api.schemas import WorkspaceOut
from opencmo.core.selectors import memberships_of

router = Router(tags=["workspace"])


class WorkspaceDetailOut(WorkspaceOut):
    description: str
    members: int


class MemberOut(Schema):
    email: str
    name: str
    access: str


@router.get("/workspaces", response=responses(list[WorkspaceOut]))
def list_workspaces(request: HttpRequest):
    token = token_of(request)
    return [
        WorkspaceOut(
            slug=s.workspace.slug, name=s.workspace.name, currency=s.workspace.currency, access=s.access
        )
        for s in memberships_of(request.user)
        if token is None or s.workspace_id == token.workspace_id
    ]


@router.get("/w/{ws}", response=responses(WorkspaceDetailOut))
def get_workspace(request: HttpRequest, ws: str):
    seat = workspace_for(request, ws, "workspace")
    w = seat.workspace
    return WorkspaceDetailOut(
        slug=w.slug,
        name=w.name,
        currency=w.currency,
        access=seat.access,
        description=w.description,
        members=w.memberships.filter(is_active=True).count(),
    )


@router.get("/w/{ws}/members", response=responses(list[MemberOut]))
def list_members(request: HttpRequest, ws: str):
    seat = workspace_for(request, ws, "workspace")
    seats = seat.workspace.memberships.filter(is_active=True, user__is_active=True).select_related("user")
    return [
        MemberOut(email=s.user.email, name=s.user.get_full_name() or s.user.email, access=s.access)
        for s in seats.order_by("user__email")
    ]
