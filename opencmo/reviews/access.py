"""Who may do what with reviews. Members see every review of their workspace; viewers only read.
Cycles are set up by administrators and CMOs; a meeting is run (decisions, actions, reallocations,
closing) by the cycle's chair, a CMO or an administrator."""

from opencmo.core.models import Access, Workspace
from opencmo.core.permissions import membership
from opencmo.org.models import Person
from opencmo.reviews.models import ReviewCycle


def _seat(user, workspace: Workspace):
    return membership(user, workspace) if user is not None and user.is_authenticated else None


def _is_cmo(user, workspace: Workspace) -> bool:
    return Person.objects.filter(workspace=workspace, user=user, is_active=True, roles__key="cmo").exists()


def can_manage_cycles(user, workspace: Workspace) -> bool:
    if user is None:
        return True  # the system (demo loader, jobs)
    seat = _seat(user, workspace)
    if seat is None or seat.access == Access.VIEWER:
        return False
    return seat.access == Access.ADMIN or _is_cmo(user, workspace)


def can_run(user, cycle: ReviewCycle) -> bool:
    """Record decisions, actions and reallocations; start and close the meeting."""
    if user is None:
        return True
    seat = _seat(user, cycle.workspace)
    if seat is None or seat.access == Access.VIEWER:
        return False
    if seat.access == Access.ADMIN or _is_cmo(user, cycle.workspace):
        return True
    return cycle.chair.user_id == user.pk


def can_follow_up(user, decision) -> bool:
    """The decision's owner updates its follow-up, as may whoever runs the meeting."""
    if can_run(user, decision.review.cycle):
        return True
    seat = _seat(user, decision.workspace)
    if seat is None or seat.access == Access.VIEWER:
        return False
    return decision.owner is not None and decision.owner.user_id == user.pk
