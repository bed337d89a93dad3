"""Who may do what with budgets. The plan's RACI (on its activity) decides:

- the plan's Accountable person and workspace administrators shape the tree (allocate, resize, delete,
  phase) and change the plan;
- its Responsible people (and A, and administrators) enter spend and commitments, set forecasts and
  request reallocations;
- everyone else who may see the activity (raci.can_view) reads; restricted plans are seen only by their
  RACI people and administrators;
- workspace-wide budget data (exchange rates, spend imports, the unmatched queue) is kept by
  administrators and by anyone who is R or A on a budget plan.

Viewers (read-only seats) never write. `user=None` is the system (demo loader, imports, jobs).
"""

from opencmo.core.models import Access, Membership, Workspace
from opencmo.org import raci
from opencmo.org.models import RaciEntry


def _seat(user, workspace: Workspace) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, workspace=workspace, is_active=True).first()


def is_admin(user, workspace: Workspace) -> bool:
    seat = _seat(user, workspace)
    return seat is not None and seat.access == Access.ADMIN


def _writer(user, workspace: Workspace) -> bool:
    seat = _seat(user, workspace)
    return seat is not None and seat.access != Access.VIEWER


def can_view(user, plan) -> bool:
    return user is None or raci.can_view(user, plan.activity)


def can_shape(user, plan) -> bool:
    """Allocate, resize, delete and phase lines; edit the plan."""
    if user is None:
        return True
    if not _writer(user, plan.workspace):
        return False
    return is_admin(user, plan.workspace) or "A" in raci.letters_of(user, plan.activity)


def can_operate(user, plan) -> bool:
    """Enter spend and commitments, set forecasts, request reallocations."""
    if user is None:
        return True
    if not _writer(user, plan.workspace):
        return False
    return is_admin(user, plan.workspace) or bool(raci.letters_of(user, plan.activity) & {"R", "A"})


def can_request(user, plan) -> bool:
    """Reallocations go through approvals, which only R or A may start (administrators too if they hold
    a letter: an approval needs a requester on the RACI)."""
    return (
        user is not None
        and _writer(user, plan.workspace)
        and bool(raci.letters_of(user, plan.activity) & {"R", "A"})
    )


def can_keep_data(user, workspace: Workspace) -> bool:
    """Exchange rates, spend imports, manual spend without a plan, mapping unmatched spend."""
    if user is None:
        return True
    if not _writer(user, workspace):
        return False
    if is_admin(user, workspace):
        return True
    from opencmo.budget.models import BudgetPlan

    person = raci.person_for(user, workspace)
    if person is None:
        return False
    activity_ids = BudgetPlan.objects.filter(workspace=workspace).values("activity_id")
    entries = RaciEntry.objects.filter(activity_id__in=activity_ids, letter__in=["R", "A"])
    if entries.filter(person=person).exists():
        return True
    return entries.filter(role__in=person.roles.all()).exists()
