"""Reads for workspaces, memberships and the audit log, always scoped."""

from django.db.models import QuerySet

from opencmo.core.models import AuditEvent, Membership, Workspace


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("workspace")


def workspaces_of(user) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user, memberships__is_active=True)


def workspace_members(workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace=workspace).select_related("user")


def audit_events(
    workspace: Workspace, *, object_type: str = "", actor: str = "", action: str = ""
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(workspace=workspace)
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if action:
        events = events.filter(action=action)
    return events


def audit_object_types(workspace: Workspace) -> list[str]:
    return list(
        AuditEvent.objects.filter(workspace=workspace)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
