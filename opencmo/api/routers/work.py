"""Tasks and deliverables (RACI-visible only)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opencmo.api.common import (
    Input,
    PageIn,
    choices,
    get_or_404,
    optional_ref,
    ordering,
    page_of,
    paginate,
    refs,
    responses,
    workspace_for,
)
from opencmo.campaigns.models import Campaign
from opencmo.org.models import Person
from opencmo.work import selectors, services
from opencmo.work.models import Task

router = Router(tags=["work"])


class TaskOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    deliverable_type: str
    status: str
    position: int
    due_date: dt.date | None
    completed_at: dt.datetime | None
    campaign_id: int | None
    activity_id: int


class TaskIn(Input):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=10_000)
    kind: choices(Task.Kind) = Task.Kind.TASK.value
    deliverable_type: str = Field("", max_length=60)
    due_date: dt.date | None = None
    status: choices(Task.Status) = Task.Status.TODO.value
    campaign_id: int | None = None
    accountable_id: int | None = None
    responsible_ids: list[int] = Field(default_factory=list, max_length=50)


class TaskPatch(Input):
    """Only the fields sent are changed; `status` moves the card (to the bottom of the column unless
    `position` is given)."""

    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    kind: choices(Task.Kind) | None = None
    deliverable_type: str | None = Field(None, max_length=60)
    due_date: dt.date | None = None
    campaign_id: int | None = None
    status: choices(Task.Status) | None = None
    position: int | None = Field(None, ge=0, le=100_000)


def _task(request: HttpRequest, ws: str, task_pk: int, *, write: bool = False) -> Task:
    workspace = workspace_for(request, ws, "work", write=write).workspace
    try:
        return get_or_404(Task, workspace, task_pk, selectors.visible_tasks(request.user, workspace))
    except Http404:
        raise Http404("No such task.") from None


@router.get("/w/{ws}/tasks", response=responses(page_of(TaskOut)))
def list_tasks(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    status: choices(Task.Status) | None = None,
    kind: choices(Task.Kind) | None = None,
    campaign: int | None = None,
    due_before: dt.date | None = None,
    order: ordering("due_date", "title", "status", "id") = "due_date",
):
    rows = selectors.visible_tasks(request.user, workspace_for(request, ws, "work").workspace)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if campaign is not None:
        rows = rows.filter(campaign_id=campaign)
    if due_before:
        rows = rows.filter(due_date__lte=due_before)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/tasks/{task_pk}", response=responses(TaskOut))
def get_task(request: HttpRequest, ws: str, task_pk: int):
    return _task(request, ws, task_pk)


@router.post("/w/{ws}/tasks", response=responses(TaskOut, 201))
def create_task(request: HttpRequest, ws: str, body: TaskIn):
    """The caller is Responsible unless others are named; the Accountable person defaults to the
    campaign's, else the caller."""
    workspace = workspace_for(request, ws, "work", write=True).workspace
    task = services.task_create(
        actor=request.user,
        workspace=workspace,
        title=body.title,
        description=body.description,
        kind=body.kind,
        deliverable_type=body.deliverable_type,
        due_date=body.due_date,
        status=body.status,
        campaign=optional_ref(Campaign, workspace, body.campaign_id, "campaign_id"),
        accountable=optional_ref(Person, workspace, body.accountable_id, "accountable_id"),
        responsible=refs(Person, workspace, body.responsible_ids, "responsible_ids"),
    )
    return Status(201, task)


@router.patch("/w/{ws}/tasks/{task_pk}", response=responses(TaskOut))
def update_task(request: HttpRequest, ws: str, task_pk: int, body: TaskPatch):
    task = _task(request, ws, task_pk, write=True)
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationError("Send at least one field to change.")
    status, position = sent.pop("status", None), sent.pop("position", None)
    if "campaign_id" in sent:
        sent["campaign"] = optional_ref(Campaign, task.workspace, sent.pop("campaign_id"), "campaign_id")
    for required in ("title", "kind", "description", "deliverable_type"):
        if required in sent and sent[required] is None:
            sent.pop(required)
    if sent:
        task = services.task_update(actor=request.user, task=task, **sent)
    if status is not None or position is not None:
        target = status or task.status
        if position is None:
            position = (
                Task.objects.filter(workspace=task.workspace, status=target).exclude(pk=task.pk).count()
            )
        services.task_move(actor=request.user, task=task, status=target, position=position)
    return _task(request, ws, task_pk)


@router.delete("/w/{ws}/tasks/{task_pk}", response=responses(None, 204))
def delete_task(request: HttpRequest, ws: str, task_pk: int):
    services.task_delete(actor=request.user, task=_task(request, ws, task_pk, write=True))
    return Status(204, None)
