"""Who may change what in the strategy area (services enforce these; pages use them to show buttons).

* Company goals, segments and new objectives: workspace administrators and the people wearing a
  strategy hat (CMO, executive, strategist). Everyone else in the workspace reads.
* An objective, its KPIs and their targets: the objective's owner (the Accountable person) and
  administrators.
* KPI actuals: as for the objective, plus people wearing the analyst hat (they collect the numbers).
* Brand and strategy: anyone with write access (members and administrators, not viewers) drafts and
  proposes a new version; the approver is found by decision authority (opencmo.org.approvals.route).

`None` as the user is the system itself (demo loader, imports, scheduled jobs) and may do everything.
"""

from django.core.exceptions import PermissionDenied

from opencmo.core.models import Access, Membership, Workspace
from opencmo.org.models import Person

STRATEGY_HATS = frozenset({"cmo", "executive", "strategist"})
MEASURING_HATS = frozenset({"analyst"})


def _seat(user, workspace: Workspace) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, workspace=workspace, is_active=True).first()


def _person(user, workspace: Workspace) -> Person | None:
    if user is None:
        return None
    return Person.objects.filter(workspace=workspace, user=user, is_active=True).first()


def _hats(user, workspace: Workspace) -> set[str]:
    person = _person(user, workspace)
    return set(person.roles.values_list("key", flat=True)) if person else set()


def can_write(user, workspace: Workspace) -> bool:
    if user is None:
        return True
    seat = _seat(user, workspace)
    return seat is not None and seat.access != Access.VIEWER


def is_admin(user, workspace: Workspace) -> bool:
    if user is None:
        return True
    seat = _seat(user, workspace)
    return seat is not None and seat.access == Access.ADMIN


def can_edit_strategy(user, workspace: Workspace) -> bool:
    """Goals, segments and creating objectives."""
    if is_admin(user, workspace):
        return True
    return can_write(user, workspace) and bool(_hats(user, workspace) & STRATEGY_HATS)


def can_edit_objective(user, objective) -> bool:
    workspace = objective.workspace
    if is_admin(user, workspace):
        return True
    if not can_write(user, workspace) or objective.owner_id is None:
        return False
    person = _person(user, workspace)
    return person is not None and person.pk == objective.owner_id


def can_record_actuals(user, kpi) -> bool:
    if can_edit_objective(user, kpi.objective):
        return True
    return can_write(user, kpi.workspace) and bool(_hats(user, kpi.workspace) & MEASURING_HATS)


def can_draft(user, workspace: Workspace) -> bool:
    return can_write(user, workspace)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)
