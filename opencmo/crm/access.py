"""Who may do what with customer data.

- Every active member (viewers too) reads contacts, companies, segments, feedback and the register.
- Members with write access (not viewers) manage contacts, companies, events, consents, lawful bases,
  feedback and segments, and export for a purpose (only contacts with a valid basis leave).
- Only people wearing the *sales* hat accept or reject a handed-over MQL.
- Only administrators change the CRM settings (stages, custom fields, scoring and assignment rules,
  SLA, retention), edit the register of processing activities, run a data-subject access export, erase
  a person or run the retention policy.
`actor=None` is the system (demo loader, scheduled jobs, the CLI) and may do everything.
"""

from django.core.exceptions import PermissionDenied

from opencmo.core.models import Access, Workspace
from opencmo.core.permissions import membership, require_admin, require_member
from opencmo.org.models import Person

SALES_ROLE = "sales"

__all__ = [
    "can_write",
    "is_admin",
    "is_sales",
    "require_admin",
    "require_member",
    "require_sales",
    "sales_people",
]


def is_admin(user, workspace: Workspace) -> bool:
    seat = membership(user, workspace)
    return seat is not None and seat.access == Access.ADMIN


def can_write(user, workspace: Workspace) -> bool:
    seat = membership(user, workspace)
    return seat is not None and seat.access != Access.VIEWER


def sales_people(workspace: Workspace):
    """Active people wearing the sales hat who can sign in (they must be able to accept a lead)."""
    return (
        Person.objects.filter(
            workspace=workspace,
            is_active=True,
            roles__key=SALES_ROLE,
            user__isnull=False,
            user__is_active=True,
        )
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def person_of(user, workspace: Workspace) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(workspace=workspace, user=user, is_active=True).first()


def is_sales(user, workspace: Workspace) -> bool:
    person = person_of(user, workspace)
    return (
        person is not None
        and membership(user, workspace) is not None
        and person.roles.filter(key=SALES_ROLE).exists()
    )


def require_sales(actor, workspace: Workspace) -> Person | None:
    """The acting sales person; PermissionDenied unless the actor wears the sales hat."""
    if actor is None:
        return None
    if not is_sales(actor, workspace):
        raise PermissionDenied("Only people wearing the sales hat accept or reject leads.")
    return person_of(actor, workspace)
