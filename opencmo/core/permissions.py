"""Workspace-level permission checks shared by services (RACI refines these per activity)."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import Access, Membership, Workspace


def membership(actor, workspace: Workspace) -> Membership | None:
    if actor is None:
        return None
    return Membership.objects.filter(user=actor, workspace=workspace, is_active=True).first()


def require_admin(actor, workspace: Workspace) -> None:
    """Raise PermissionDenied unless `actor` administers `workspace`. `None` is the system itself
    (demo loader, migrations, scheduled jobs) and is always allowed."""
    if actor is None:
        return
    seat = membership(actor, workspace)
    if seat is None or seat.access != Access.ADMIN:
        raise PermissionDenied(f"{actor} is not an administrator of {workspace}.")


def require_member(actor, workspace: Workspace, *, write: bool = False) -> Membership | None:
    if actor is None:
        return None
    seat = membership(actor, workspace)
    if seat is None or (write and seat.access == Access.VIEWER):
        raise PermissionDenied(f"{actor} may not {'change' if write else 'see'} {workspace}.")
    return seat


def check_fields(fields: dict, allowed: Iterable[str], what: str) -> None:
    """Refuse keyword fields a service does not accept (mass assignment: workspace_id, created_at...)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"Unknown {what} fields: {', '.join(sorted(unknown))}.")
