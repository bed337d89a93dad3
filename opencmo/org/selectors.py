"""Reads for people and roles, always scoped to one workspace."""

from django.db.models import Count, Prefetch, Q, QuerySet

from opencmo.core.models import Workspace
from opencmo.org.models import Person, Role


def people(
    workspace: Workspace, *, query: str = "", role_key: str = "", include_inactive: bool = False
) -> QuerySet[Person]:
    qs = (
        Person.objects.filter(workspace=workspace)
        .select_related("reports_to", "user")
        .prefetch_related(Prefetch("roles", queryset=Role.objects.order_by("name")))
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(title__icontains=query)
            | Q(organisation__icontains=query)
            | Q(roles__name__icontains=query)
        ).distinct()
    if role_key:
        qs = qs.filter(roles__key=role_key).distinct()
    return qs


def roles(workspace: Workspace) -> QuerySet[Role]:
    return Role.objects.filter(workspace=workspace).annotate(
        holders=Count("assignments", filter=Q(assignments__person__is_active=True))
    )


def person_for_user(workspace: Workspace, user) -> Person | None:
    return Person.objects.filter(workspace=workspace, user=user).first()
