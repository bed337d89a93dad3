"""Who may do what with a task. A task's RACI lives on its own `org.Activity`, so the letters decide
(docs/raci.md), through `opencmo.org.raci`:

* **view**: whoever may view the task's activity (`raci.can_view`): its RACI people, the people asked to
  sign off or decide its approvals, administrators, and every other member unless the task is
  restricted; external (agency) people only what they hold a letter on.
* **work** (edit the fields, the checklist and the files; move the card between open columns): the
  Responsible and Accountable people.
* **finish** (move a card into Done, or back out of it): the Accountable person. The Responsible people
  may finish a task that has no approval flow: a plain task on which nobody ever asked for approval.
  A deliverable, or a task with an approval request, is finished by its Accountable person only, and a
  deliverable only once its latest content approval is approved (the gate is in services).
* A finished task is closed: nothing changes on it until it is moved out of Done again.
* **delete**: administrators and the Accountable person.
* **people** (change the task's RACI): administrators and the Accountable person, as for any activity.
* **comment**: everyone who may view it.

`None` as the user is the system (the demo loader, imports, scheduled jobs) and may do everything.
"""

from dataclasses import dataclass

from opencmo.core.models import Access, Membership
from opencmo.org import raci
from opencmo.work.models import Task

WORK_LETTERS = frozenset({"R", "A"})


@dataclass(frozen=True)
class TaskRights:
    letters: frozenset[str]
    view: bool = False
    work: bool = False
    edit: bool = False
    finish: bool = False
    delete: bool = False
    people: bool = False
    comment: bool = False
    is_admin: bool = False

    @property
    def letters_text(self) -> str:
        return "".join(letter for letter in "RACI" if letter in self.letters)


SYSTEM = TaskRights(
    letters=frozenset(),
    view=True,
    work=True,
    edit=True,
    finish=True,
    delete=True,
    people=True,
    comment=True,
    is_admin=True,
)
NOTHING = TaskRights(letters=frozenset())


def has_approval_flow(task: Task) -> bool:
    """Deliverables are approved before they are done; so is a task on which approval was asked."""
    return task.kind == Task.Kind.DELIVERABLE or task.activity.approval_requests.exists()


def rights(
    user,
    task: Task,
    *,
    letters: set[str] | None = None,
    seat: Membership | None = None,
    visible: bool | None = None,
    flow: bool | None = None,
) -> TaskRights:
    """What `user` may do with `task`. Lists that already know the user's letters, seat, whether the task
    is visible and whether it has an approval flow pass them in to save queries."""
    if user is None:
        return SYSTEM
    if seat is None:
        seat = Membership.objects.filter(user=user, workspace_id=task.workspace_id, is_active=True).first()
    if seat is None:
        return NOTHING
    held = frozenset(raci.letters_of(user, task.activity) if letters is None else letters)
    is_admin = seat.access == Access.ADMIN
    view = bool(held) or is_admin or (raci.can_view(user, task.activity) if visible is None else visible)
    if not view:
        return NOTHING
    work = bool(held & WORK_LETTERS)
    done = task.status == Task.Status.DONE
    if flow is None and "A" not in held and "R" in held:
        flow = has_approval_flow(task)
    finish = "A" in held or ("R" in held and not flow)
    return TaskRights(
        letters=held,
        view=True,
        work=work,
        edit=work and not done,
        finish=finish,
        delete=is_admin or "A" in held,
        people=is_admin or "A" in held,
        comment=True,
        is_admin=is_admin,
    )


def can_move(rights_: TaskRights, task: Task, status: str) -> bool:
    """May these rights put `task` in column `status`? Entering or leaving Done needs `finish`."""
    if not rights_.work:
        return False
    crosses_done = (status == Task.Status.DONE) != (task.status == Task.Status.DONE)
    return rights_.finish if crosses_done else True
