"""Writes for tasks and deliverables: the task and its RACI activity, Kanban moves, checklists, comments,
attachments and the approval of deliverables. Who may do what: opencmo/work/permissions.py.

Every service is keyword-only, runs in one transaction, checks permission (`actor=None` is the system)
and records each change in the audit log. Kanban positions are dense and unique per column: 0, 1, 2, …
in every (workspace, status), whatever sequence of creates, moves and deletes happened.
"""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from opencmo.campaigns.models import Campaign
from opencmo.core import audit
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.notifications import notify
from opencmo.core.permissions import require_member
from opencmo.org import approvals, raci
from opencmo.org.models import Activity, ApprovalRequest, DecisionKind, Letter, Person, RaciEntry, Role
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.work import uploads
from opencmo.work.models import Attachment, ChecklistItem, Comment, Task
from opencmo.work.permissions import can_move, has_approval_flow, rights

Status = Task.Status
OPEN_REQUEST = (ApprovalRequest.Status.CONSULTING, ApprovalRequest.Status.PENDING)
EDITABLE = ("title", "description", "kind", "deliverable_type", "due_date", "campaign", "restricted")


# --- helpers --------------------------------------------------------------------------------------


def task_url(task: Task) -> str:
    return reverse("task_detail", kwargs={"ws": task.workspace.slug, "task_pk": task.pk})


def _label(actor) -> str:
    if actor is None:
        return "OpenCMO"
    return actor.get_full_name() or actor.email


def _users_of(task: Task, letters: str = "RACI") -> list:
    resolved = raci.resolve(task.activity)
    ids = set().union(*(resolved[letter] for letter in letters))
    people = Person.objects.filter(pk__in=ids, is_active=True, user__isnull=False).select_related("user")
    return [p.user for p in people]


def _tell(task: Task, actor, subject: str, body: str = "", letters: str = "RACI") -> None:
    notify(
        workspace=task.workspace,
        users=_users_of(task, letters),
        exclude=actor,
        subject=subject,
        body=body,
        url=task_url(task),
    )


def _need(actor, task: Task, what: str) -> None:
    """Raise PermissionDenied unless the actor has the right `what` (an attribute of TaskRights)."""
    if actor is None:
        return
    granted = rights(actor, task)
    if not granted.view:
        raise PermissionDenied("You cannot see this task.")
    if not getattr(granted, what):
        reasons = {
            "edit": "Only the Responsible or Accountable people change this task"
            + (" (it is done: move it out of Done first)." if task.status == Status.DONE else "."),
            "work": "Only the Responsible or Accountable people work on this task.",
            "delete": "Only an administrator or the Accountable person deletes a task.",
            "people": "Only an administrator or the Accountable person changes who does what on a task.",
            "comment": "You cannot comment on this task.",
        }
        raise PermissionDenied(reasons.get(what, "You may not do this."))


def _same_workspace(workspace: Workspace, objects: Iterable, field: str) -> None:
    for obj in objects:
        if obj is not None and obj.workspace_id != workspace.pk:
            raise ValidationError({field: f"That {obj._meta.verbose_name} belongs to another workspace."})


def _holders(value) -> list:
    """None / one person or role / an iterable of them -> a list without duplicates, order kept."""
    if value is None:
        return []
    items = [value] if isinstance(value, Person | Role) else list(value)
    seen, out = set(), []
    for item in items:
        key = (type(item).__name__, item.pk)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _campaign_accountable(campaign: Campaign | None) -> Person | None:
    if campaign is None:
        return None
    ids = raci.resolve(campaign.activity)["A"]
    return Person.objects.filter(pk__in=ids, is_active=True).first() if len(ids) == 1 else None


def _check_letters(workspace: Workspace, letters: dict[str, list]) -> None:
    """The task's own rules on top of org.rules: exactly one Accountable person, at least one
    Responsible, nobody both Accountable and Informed, only active people of this workspace."""
    for letter, holders in letters.items():
        field = Letter(letter).label.lower()
        _same_workspace(workspace, holders, field)
        for holder in holders:
            if isinstance(holder, Person) and not holder.is_active:
                raise ValidationError({field: f"{holder.name} is no longer active."})
    if len(letters["A"]) != 1 or not isinstance(letters["A"][0], Person):
        raise ValidationError({"accountable": "Name the one person Accountable for this task."})
    if not letters["R"]:
        raise ValidationError({"responsible": "Name at least one Responsible person."})
    both = {h.pk for h in letters["A"]} & {h.pk for h in letters["I"] if isinstance(h, Person)}
    if both:
        raise ValidationError({"informed": f"{letters['A'][0].name} is Accountable, so not also Informed."})


def _grant_initial(*, actor, task: Task, letters: dict[str, list]) -> None:
    """The RACI a task is born with. `raci_set` is for changes afterwards: it lets only an administrator
    or the activity's Accountable person set letters, which nobody is before the first letter exists,
    and it would tell the creator about their own letters. Here the creator's right comes from creating
    the task; each entry is audited under the creator and each new holder (not the creator) is told
    once, with a link to the task."""
    workspace = task.workspace
    told: dict[int, tuple] = {}
    for letter in "RACI":
        for holder in letters[letter]:
            person = holder if isinstance(holder, Person) else None
            role = holder if isinstance(holder, Role) else None
            entry = RaciEntry.objects.create(
                workspace=workspace, activity=task.activity, letter=letter, person=person, role=role
            )
            audit.record_create(actor=actor, workspace=workspace, obj=entry)
            people = [person] if person else list(role.people.filter(is_active=True))
            for p in people:
                if p.user_id is not None:
                    told.setdefault(p.user_id, (p.user, []))[1].append(Letter(letter).label)
    for user, names in told.values():
        due = f", due {task.due_date:%Y-%m-%d}" if task.due_date else ""
        notify(
            workspace=workspace,
            users=[user],
            exclude=actor,
            url=task_url(task),
            subject=f"You are {' and '.join(names)} on “{task.title}”",
            body=f"{_label(actor)} created the {task.get_kind_display().lower()} “{task.title}”{due}.",
        )


def _column(workspace_id: int, status: str, *, exclude: int | None = None) -> list[Task]:
    qs = Task.objects.select_for_update().filter(workspace_id=workspace_id, status=status)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("position", "pk"))


def _renumber(tasks: list[Task]) -> None:
    """Positions 0..n-1 in list order; only rows whose position changes are written."""
    changed = []
    for index, task in enumerate(tasks):
        if task.position != index:
            task.position = index
            changed.append(task)
    if changed:
        Task.objects.bulk_update(changed, ["position"])


def _set_activity(actor, task: Task, **fields) -> None:
    """Keep the task's activity in step (name, restriction, open/closed), audited."""
    activity = task.activity
    before = audit.snapshot(activity)
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.save()
    audit.record_update(actor=actor, workspace=task.workspace, obj=activity, before=before)


def _visible_campaign(actor, workspace: Workspace, campaign: Campaign | None) -> None:
    if campaign is None:
        return
    _same_workspace(workspace, [campaign], "campaign")
    if actor is not None and not raci.can_view(actor, campaign.activity):
        raise ValidationError({"campaign": "No such campaign."})


# --- tasks ----------------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor,
    workspace: Workspace,
    title: str,
    campaign: Campaign | None = None,
    kind: str = Task.Kind.TASK,
    deliverable_type: str = "",
    due_date: date | None = None,
    description: str = "",
    status: str = Status.TODO,
    responsible=(),
    accountable: Person | None = None,
    consulted=(),
    informed=(),
) -> Task:
    """Create a task (or deliverable), its RACI activity and its RACI letters together.

    Defaults: the creator is Responsible when nobody is named; the Accountable person is the
    campaign's Accountable person, else the creator. The activity is restricted when the campaign's is.
    """
    require_member(actor, workspace, write=True)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the task a title."})
    if kind not in Task.Kind.values:
        raise ValidationError({"kind": f"Unknown kind “{kind}”."})
    if status not in Status.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    if status == Status.DONE:
        raise ValidationError({"status": "A new task cannot start as done: create it, then finish it."})
    _visible_campaign(actor, workspace, campaign)
    creator = raci.person_for(actor, workspace)
    letters = {
        "R": _holders(responsible) or ([creator] if creator else []),
        "A": _holders(accountable) or _holders(_campaign_accountable(campaign) or creator),
        "C": _holders(consulted),
        "I": _holders(informed),
    }
    _check_letters(workspace, letters)

    activity = activity_create(
        actor=actor,
        workspace=workspace,
        name=title[:200],
        kind=Activity.Kind.TASK,
        restricted=bool(campaign and campaign.activity.restricted),
    )
    position = Task.objects.filter(workspace=workspace, status=status).count()
    task = Task(
        workspace=workspace,
        title=title,
        description=description.strip(),
        kind=kind,
        deliverable_type=deliverable_type.strip() if kind == Task.Kind.DELIVERABLE else "",
        campaign=campaign,
        status=status,
        due_date=due_date,
        position=position,
        activity=activity,
    )
    task.full_clean(exclude=["workspace", "activity", "campaign"])
    task.save()
    audit.record_create(actor=actor, workspace=workspace, obj=task)
    _grant_initial(actor=actor, task=task, letters=letters)
    return task


@transaction.atomic
def task_update(*, actor, task: Task, **fields) -> Task:
    """Change a task's fields (title, description, kind, deliverable_type, due_date, campaign, and
    `restricted`, which the administrators and the Accountable person set). The column is changed with
    `task_move`, the people with `task_set_people`."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown task fields: {', '.join(sorted(unknown))}.")
    if set(fields) - {"restricted"}:
        _need(actor, task, "edit")
    if "restricted" in fields and fields["restricted"] != task.activity.restricted:
        _need(actor, task, "people")
    workspace = task.workspace
    restricted = fields.pop("restricted", task.activity.restricted)
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            raise ValidationError({"title": "Give the task a title."})
    if "kind" in fields and fields["kind"] not in Task.Kind.values:
        raise ValidationError({"kind": f"Unknown kind “{fields['kind']}”."})
    if "campaign" in fields and fields["campaign"] != task.campaign:
        _visible_campaign(actor, workspace, fields["campaign"])
        if fields["campaign"] is not None and fields["campaign"].activity.restricted:
            restricted = True  # work for a restricted campaign stays among its people
    for text in ("description", "deliverable_type"):
        if text in fields:
            fields[text] = (fields[text] or "").strip()
    before = audit.snapshot(task)
    for name, value in fields.items():
        setattr(task, name, value)
    if task.kind != Task.Kind.DELIVERABLE:
        task.deliverable_type = ""
    task.full_clean(exclude=["workspace", "activity", "campaign"])
    task.save()
    event = audit.record_update(actor=actor, workspace=workspace, obj=task, before=before)
    activity_changes = {}
    if task.activity.name != task.title[:200]:
        activity_changes["name"] = task.title[:200]
    if task.activity.restricted != bool(restricted):
        activity_changes["restricted"] = bool(restricted)
    if activity_changes:
        _set_activity(actor, task, **activity_changes)
    if event is not None:
        changed = ", ".join(k.replace("_", " ") for k in event.changes)
        _tell(
            task,
            actor,
            f"“{task.title}” changed ({changed})",
            f"{_label(actor)} changed {changed} on “{task.title}”.",
        )
    return task


def _latest_content_approval(task: Task) -> ApprovalRequest | None:
    return (
        task.activity.approval_requests.filter(kind=DecisionKind.CONTENT)
        .order_by("-created_at", "-pk")
        .first()
    )


def check_can_finish(task: Task) -> None:
    """The approval gate in front of Done (for everyone, the system included)."""
    open_request = task.activity.approval_requests.filter(status__in=OPEN_REQUEST).first()
    if open_request is not None:
        raise ValidationError(
            f"“{task.title}” has an approval request open ({open_request.get_status_display().lower()}): "
            "it can be done once that is decided or withdrawn."
        )
    if task.kind == Task.Kind.DELIVERABLE:
        latest = _latest_content_approval(task)
        if latest is None:
            raise ValidationError(
                f"“{task.title}” is a deliverable: ask for its content to be approved before it is done."
            )
        if latest.status != ApprovalRequest.Status.APPROVED:
            raise ValidationError(
                f"The latest content approval of “{task.title}” was {latest.get_status_display().lower()}: "
                "ask again and have it approved before it is done."
            )


def _place(actor, task: Task, status: str, position: int) -> Task:
    """Put `task` at `position` in column `status`, keeping both columns dense; audited and told."""
    old_status = task.status
    before = audit.snapshot(task)
    target = _column(task.workspace_id, status, exclude=task.pk)
    position = max(0, min(int(position), len(target)))
    if old_status != status:
        _renumber(_column(task.workspace_id, old_status, exclude=task.pk))
    _renumber([*target[:position], task, *target[position:]])  # writes the neighbours that shift
    task.status = status
    if status == Status.DONE and old_status != Status.DONE:
        task.completed_at = timezone.now()
    elif status != Status.DONE:
        task.completed_at = None
    task.save()
    audit.record_update(actor=actor, workspace=task.workspace, obj=task, before=before)
    if (status == Status.DONE) != (old_status == Status.DONE):
        finished = status == Status.DONE
        _set_activity(actor, task, is_open=not finished, closed_at=timezone.now() if finished else None)
    if old_status != status:
        subject = (
            f"Done: “{task.title}”"
            if status == Status.DONE
            else f"“{task.title}” is {Status(status).label.lower()}"
        )
        _tell(
            task,
            actor,
            subject,
            f"{_label(actor)} moved “{task.title}” from {Status(old_status).label} "
            f"to {Status(status).label}.",
        )
    return task


@transaction.atomic
def task_move(*, actor, task: Task, status: str, position: int) -> Task:
    """Move a card to `position` (0 = top) in column `status`: within its column or across. Done sets
    completed_at and closes the task's activity; leaving Done clears it and reopens the activity."""
    if status not in Status.values:
        raise ValidationError({"status": f"Unknown column “{status}”."})
    task = Task.objects.select_for_update().select_related("workspace", "activity").get(pk=task.pk)
    if actor is not None:
        granted = rights(actor, task)
        if not granted.view:
            raise PermissionDenied("You cannot see this task.")
        if not can_move(granted, task, status):
            if not granted.work:
                raise PermissionDenied("Only the Responsible or Accountable people move this task.")
            flow = " (it has an approval flow)" if has_approval_flow(task) else ""
            verb = "finishes" if status == Status.DONE else "reopens"
            raise PermissionDenied(f"Only the Accountable person {verb} “{task.title}”{flow}.")
    if status == Status.DONE and task.status != Status.DONE:
        check_can_finish(task)
    return _place(actor, task, status, position)


def on_activity_closed(actor, activity) -> bool:
    """Close hook (registered in WorkConfig.ready): closing a task's activity from the organisation pages
    finishes the task, so the Kanban card moves to Done and work's rules (who finishes, approval flow)
    apply exactly as on the board."""
    task = Task.objects.filter(activity=activity).first()
    if task is None:
        return False
    if task.status != Status.DONE:
        task_move(actor=actor, task=task, status=Status.DONE, position=0)
    return True


@transaction.atomic
def task_set_people(
    *,
    actor,
    task: Task,
    responsible=(),
    accountable: Person | None = None,
    consulted=(),
    informed=(),
) -> Task:
    """Replace the people (not roles) holding letters on the task, through `raci_set` (administrators
    and the Accountable person). Letters given to roles (set in the RACI matrix) stay as they are."""
    _need(actor, task, "people")
    wanted = {
        "R": _holders(responsible),
        "A": _holders(accountable),
        "C": _holders(consulted),
        "I": _holders(informed),
    }
    roles = {letter: [] for letter in "RACI"}
    for entry in task.activity.raci.filter(role__isnull=False).select_related("role"):
        roles[entry.letter].append(entry.role)
    _check_letters(task.workspace, {k: wanted[k] + roles[k] for k in "RACI"})
    target: dict[int, set[str]] = {}
    people: dict[int, Person] = {}
    for letter, holders in wanted.items():
        for person in holders:
            target.setdefault(person.pk, set()).add(letter)
            people[person.pk] = person
    for entry in task.activity.raci.filter(person__isnull=False).select_related("person"):
        target.setdefault(entry.person_id, set())
        people[entry.person_id] = entry.person
    me = raci.person_for(actor, task.workspace)
    # The actor's own letters last: an Accountable person handing over their A keeps the right to do
    # the rest of the change until the end.
    order = sorted(target, key=lambda pk: (me is not None and pk == me.pk, people[pk].name))
    for pk in order:
        current = set(task.activity.raci.filter(person_id=pk).values_list("letter", flat=True))
        if current != target[pk]:
            raci_set(actor=actor, activity=task.activity, person=people[pk], letters=target[pk])
    return task


@transaction.atomic
def task_delete(*, actor, task: Task) -> None:
    _need(actor, task, "delete")
    workspace, activity = task.workspace, task.activity
    files = [a.file.name for a in task.attachments.all()]
    _tell(task, actor, f"Deleted: “{task.title}”", f"{_label(actor)} deleted “{task.title}”.")
    for item in task.checklist.all():
        audit.record_delete(actor=actor, workspace=workspace, obj=item)
    for comment in task.comments.all():
        audit.record_delete(actor=actor, workspace=workspace, obj=comment)
    for attachment in task.attachments.all():
        audit.record(
            actor=actor,
            workspace=workspace,
            action=AuditEvent.Action.DELETE,
            obj=attachment,
            changes={k: [v, None] for k, v in _attachment_snapshot(attachment).items()},
        )
    audit.record_delete(actor=actor, workspace=workspace, obj=task)
    status = task.status
    task.delete()
    for entry in activity.raci.all():
        audit.record_delete(actor=actor, workspace=workspace, obj=entry)
    audit.record_delete(actor=actor, workspace=workspace, obj=activity)
    activity.delete()
    _renumber(_column(workspace.pk, status))
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files if name])


# --- approvals of deliverables ---------------------------------------------------------------------


@transaction.atomic
def task_approval_request(*, actor, task: Task, summary: str, kind: str = DecisionKind.CONTENT, amount=None):
    """Ask for approval of the task's work (a deliverable's content, usually). A deliverable still in
    Backlog, To do or In progress moves to In review."""
    request = approvals.approval_request(
        actor=actor, activity=task.activity, kind=kind, summary=summary, amount=amount
    )
    task.refresh_from_db()
    if task.kind == Task.Kind.DELIVERABLE and task.status in (Status.BACKLOG, Status.TODO, Status.DOING):
        _place(
            actor, task, Status.REVIEW, Task.objects.filter(workspace=task.workspace, status="review").count()
        )
    return request


def on_approval_decided(request: ApprovalRequest, actor) -> None:
    """Decision hook (registered in WorkConfig.ready): a rejected (or objected) deliverable in review goes
    back to In progress for the Responsible people to rework."""
    task = (
        Task.objects.filter(activity_id=request.activity_id).select_related("workspace", "activity").first()
    )
    if task is None or request.status != ApprovalRequest.Status.REJECTED or task.status != Status.REVIEW:
        return
    _place(actor, task, Status.DOING, 0)


# --- checklist ------------------------------------------------------------------------------------


def _checklist(task: Task) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.select_for_update().filter(task=task).order_by("position", "pk"))


@transaction.atomic
def checklist_add(*, actor, task: Task, text: str) -> ChecklistItem:
    _need(actor, task, "edit")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write what is to be done."})
    item = ChecklistItem(workspace=task.workspace, task=task, text=text, position=len(_checklist(task)))
    item.full_clean(exclude=["workspace", "task"])
    item.save()
    audit.record_create(actor=actor, workspace=task.workspace, obj=item)
    return item


@transaction.atomic
def checklist_toggle(*, actor, item: ChecklistItem, done: bool | None = None) -> ChecklistItem:
    _need(actor, item.task, "edit")
    before = audit.snapshot(item)
    item.done = (not item.done) if done is None else bool(done)
    item.save()
    audit.record_update(actor=actor, workspace=item.workspace, obj=item, before=before)
    return item


@transaction.atomic
def checklist_move(*, actor, item: ChecklistItem, position: int) -> ChecklistItem:
    _need(actor, item.task, "edit")
    items = [i for i in _checklist(item.task) if i.pk != item.pk]
    position = max(0, min(int(position), len(items)))
    before = audit.snapshot(item)
    items.insert(position, item)
    _renumber_items(items)
    item.refresh_from_db()
    audit.record_update(actor=actor, workspace=item.workspace, obj=item, before=before)
    return item


def _renumber_items(items: list[ChecklistItem]) -> None:
    changed = []
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index
            changed.append(item)
    if changed:
        ChecklistItem.objects.bulk_update(changed, ["position"])


@transaction.atomic
def checklist_delete(*, actor, item: ChecklistItem) -> None:
    task = item.task
    _need(actor, task, "edit")
    audit.record_delete(actor=actor, workspace=item.workspace, obj=item)
    item.delete()
    _renumber_items(_checklist(task))


# --- comments -------------------------------------------------------------------------------------


@transaction.atomic
def comment_add(*, actor, task: Task, body: str) -> Comment:
    """Anyone who may see the task comments; its RACI people are told."""
    _need(actor, task, "comment")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment."})
    comment = Comment.objects.create(workspace=task.workspace, task=task, author=actor, body=body)
    audit.record_create(actor=actor, workspace=task.workspace, obj=comment)
    excerpt = body if len(body) <= 300 else body[:299] + "…"
    _tell(task, actor, f"Comment on “{task.title}”", f"{_label(actor)} wrote: {excerpt}")
    return comment


@transaction.atomic
def comment_edit(*, actor, comment: Comment, body: str) -> Comment:
    """Only the author edits a comment."""
    if actor is not None and comment.author_id != actor.pk:
        raise PermissionDenied("Only its author edits a comment.")
    _need(actor, comment.task, "comment")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "A comment cannot be empty; delete it instead."})
    before = audit.snapshot(comment)
    comment.body = body
    comment.save()
    audit.record_update(actor=actor, workspace=comment.workspace, obj=comment, before=before)
    return comment


@transaction.atomic
def comment_delete(*, actor, comment: Comment) -> None:
    """The author removes their comment; an administrator may remove any (moderation)."""
    if actor is not None and comment.author_id != actor.pk and not rights(actor, comment.task).is_admin:
        raise PermissionDenied("Only its author or an administrator deletes a comment.")
    audit.record_delete(actor=actor, workspace=comment.workspace, obj=comment)
    comment.delete()


# --- attachments ----------------------------------------------------------------------------------


def _attachment_snapshot(attachment: Attachment) -> dict:
    """What the audit log keeps of an attachment (audit.snapshot cannot serialise a FieldFile)."""
    return {
        "task": attachment.task_id,
        "file": attachment.file.name,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_by": attachment.uploaded_by_id,
    }


@transaction.atomic
def attachment_add(*, actor, task: Task, upload) -> Attachment:
    """Attach an uploaded file (R/A): size-limited, type-checked by extension and content, stored under
    a random name in MEDIA_ROOT and only ever served through the permission-checked download view."""
    _need(actor, task, "edit")
    name, kind = uploads.check_upload(upload)
    ext = uploads.extension_of(name)
    upload.seek(0)
    attachment = Attachment(
        workspace=task.workspace,
        task=task,
        original_name=name,
        content_type=kind.content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    attachment.file.save(f"{task.workspace_id}-{get_random_string(24)}{ext}", upload, save=False)
    try:
        attachment.save()
        audit.record(
            actor=actor,
            workspace=task.workspace,
            action=AuditEvent.Action.CREATE,
            obj=attachment,
            changes={k: [None, v] for k, v in _attachment_snapshot(attachment).items()},
        )
        _tell(
            task,
            actor,
            f"New file on “{task.title}”: {name}",
            f"{_label(actor)} attached {name} ({uploads.human_size(upload.size)}).",
        )
    except Exception:
        default_storage.delete(attachment.file.name)  # no row, no file
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, actor, attachment: Attachment) -> None:
    _need(actor, attachment.task, "edit")
    name = attachment.file.name
    audit.record(
        actor=actor,
        workspace=attachment.workspace,
        action=AuditEvent.Action.DELETE,
        obj=attachment,
        changes={k: [v, None] for k, v in _attachment_snapshot(attachment).items()},
    )
    attachment.delete()
    transaction.on_commit(lambda: default_storage.delete(name))
