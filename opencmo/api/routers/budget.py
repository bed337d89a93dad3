"""Budget plans, their lines, spend and reallocation requests (plans visible through RACI)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
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
from opencmo.budget import access as budget_access
from opencmo.budget import selectors, services
from opencmo.budget.models import BudgetLine, BudgetPlan, ReallocationRequest, SpendEntry
from opencmo.campaigns.models import Campaign, Channel
from opencmo.org.models import Person
from opencmo.strategy.models import Objective

router = Router(tags=["budget"])


class PlanOut(Schema):
    id: int
    name: str
    start_date: dt.date
    end_date: dt.date
    status: str
    activity_id: int


class LineOut(Schema):
    id: int
    plan_id: int
    parent_id: int | None
    level: str
    name: str
    amount: Decimal
    objective_id: int | None
    channel_id: int | None
    campaign_id: int | None
    accountable_id: int | None


class PlanIn(Input):
    name: str = Field(max_length=200)
    start_date: dt.date
    end_date: dt.date
    total: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    accountable_id: int | None = Field(None, description="Default: a person wearing the CMO hat.")
    responsible_ids: list[int] = Field(
        [], max_length=50, description="Default: the marketing managers (or the Accountable person)."
    )
    restricted: bool = False


class PlanPatch(Input):
    """Only the fields sent are changed."""

    name: str | None = Field(None, max_length=200)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    status: choices(BudgetPlan.Status) | None = None
    restricted: bool | None = None


class LineIn(Input):
    parent_id: int = Field(description="The line this one is carved out of (the plan's total line first).")
    level: choices(BudgetLine.Level)
    name: str = Field("", max_length=200, description="Default: the objective's, channel's or campaign's.")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    objective_id: int | None = None
    channel_id: int | None = None
    campaign_id: int | None = None
    accountable_id: int | None = None


class LinePatch(Input):
    """`amount` resizes the line against its parent's reserve; the rest renames or reassigns it."""

    name: str | None = Field(None, max_length=200)
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    accountable_id: int | None = None


class PhasingIn(Input):
    planned: dict[dt.date, Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]] = Field(
        max_length=240,
        description='Per month, e.g. {"2026-01-01": "1000.00"}; a date anywhere in a month names it; '
        "months left out are 0.",
    )


class SpendOut(Schema):
    id: int
    date: dt.date
    amount: Decimal
    currency: str
    rate: Decimal
    amount_base: Decimal
    campaign_id: int | None
    channel_id: int | None
    line_id: int | None
    source: str
    platform: str
    description: str


class SpendIn(Input):
    date: dt.date
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    currency: str = Field("", max_length=3)
    line_id: int | None = None
    campaign_id: int | None = None
    channel_id: int | None = None
    description: str = Field("", max_length=300)


class ReallocationOut(Schema):
    id: int
    plan_id: int
    from_line_id: int
    to_line_id: int
    amount: Decimal
    reason: str
    status: str
    requested_by_id: int
    approval_id: int | None
    applied_at: dt.datetime | None
    created_at: dt.datetime


class ReallocationIn(Input):
    from_line_id: int
    to_line_id: int
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    reason: str = Field(max_length=5000)


def _plans(request: HttpRequest, workspace):
    return selectors.visible_plans(request.user, workspace)


def _plan(request: HttpRequest, ws: str, budgetplan_pk: int, *, write: bool = False) -> BudgetPlan:
    workspace = workspace_for(request, ws, "budget", write=write).workspace
    try:
        return get_or_404(BudgetPlan, workspace, budgetplan_pk, _plans(request, workspace))
    except Http404:
        raise Http404("No such budget plan.") from None


def _visible_spend(request: HttpRequest, workspace):
    plans = _plans(request, workspace).values("pk")
    return SpendEntry.objects.filter(workspace=workspace).filter(
        Q(line__isnull=True) | Q(line__plan__in=plans)
    )


@router.get("/w/{ws}/budgets", response=responses(page_of(PlanOut)))
def list_plans(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    status: choices(BudgetPlan.Status) | None = None,
    order: ordering("name", "start_date", "id") = "-start_date",
):
    rows = _plans(request, workspace_for(request, ws, "budget").workspace)
    if status:
        rows = rows.filter(status=status)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/budgets/{budgetplan_pk}", response=responses(PlanOut))
def get_plan(request: HttpRequest, ws: str, budgetplan_pk: int):
    return _plan(request, ws, budgetplan_pk)


@router.get("/w/{ws}/budgets/{budgetplan_pk}/lines", response=responses(list[LineOut]))
def list_lines(request: HttpRequest, ws: str, budgetplan_pk: int):
    """The plan's allocation tree, flattened (parent_id links a line to its parent)."""
    plan = _plan(request, ws, budgetplan_pk)
    return BudgetLine.objects.filter(workspace=plan.workspace, plan=plan).order_by("pk")


def _shapeable(request: HttpRequest, ws: str, budgetplan_pk: int) -> BudgetPlan:
    """The plan, for a change of its shape: the right is checked before the input (a caller without it
    learns nothing about the body)."""
    plan = _plan(request, ws, budgetplan_pk, write=True)
    if not budget_access.can_shape(request.user, plan):
        raise PermissionDenied("Only the plan's Accountable person or an administrator may.")
    return plan


def _line(plan: BudgetPlan, budgetline_pk: int) -> BudgetLine:
    try:
        return get_or_404(BudgetLine, plan.workspace, budgetline_pk, BudgetLine.objects.filter(plan=plan))
    except Http404:
        raise Http404("No such line in this budget plan.") from None


@router.post("/w/{ws}/budgets", response=responses(PlanOut, 201))
def create_plan(request: HttpRequest, ws: str, body: PlanIn):
    """Administrators create plans; the plan gets its RACI activity and a total line holding `total`."""
    workspace = workspace_for(request, ws, "budget", write=True).workspace
    plan = services.plan_create(
        actor=request.user,
        workspace=workspace,
        name=body.name,
        start_date=body.start_date,
        end_date=body.end_date,
        total=body.total,
        accountable=optional_ref(Person, workspace, body.accountable_id, "accountable_id"),
        responsible=refs(Person, workspace, body.responsible_ids, "responsible_ids"),
        restricted=body.restricted,
    )
    return Status(201, plan)


@router.patch("/w/{ws}/budgets/{budgetplan_pk}", response=responses(PlanOut))
def update_plan(request: HttpRequest, ws: str, budgetplan_pk: int, body: PlanPatch):
    """Rename, move the period (refused while spend or commitments fall outside it), change the status
    (draft → active → closed) or restrict the plan to its RACI."""
    plan = _shapeable(request, ws, budgetplan_pk)
    sent = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not sent:
        raise ValidationError("Send at least one field to change.")
    return services.plan_update(actor=request.user, plan=plan, **sent)


@router.delete("/w/{ws}/budgets/{budgetplan_pk}", response=responses(None, 204))
def delete_plan(request: HttpRequest, ws: str, budgetplan_pk: int):
    """Administrators delete a plan on which no money is booked (close it otherwise)."""
    plan = _plan(request, ws, budgetplan_pk, write=True)
    services.plan_delete(actor=request.user, plan=plan)
    return Status(204, None)


@router.post("/w/{ws}/budgets/{budgetplan_pk}/lines", response=responses(LineOut, 201))
def create_line(request: HttpRequest, ws: str, budgetplan_pk: int, body: LineIn):
    """Allocate a line under `parent_id`: its amount comes out of the parent's reserve (422 when the
    reserve is too small); a campaign line picks up the campaign's spend waiting for a line."""
    plan = _shapeable(request, ws, budgetplan_pk)
    workspace = plan.workspace
    parent = BudgetLine.objects.filter(plan=plan, pk=body.parent_id).first()
    if parent is None:
        raise ValidationError({"parent_id": f"No line {body.parent_id} in this plan."})
    line = services.line_allocate(
        actor=request.user,
        parent=parent,
        level=body.level,
        name=body.name,
        amount=body.amount,
        objective=optional_ref(Objective, workspace, body.objective_id, "objective_id"),
        channel=optional_ref(Channel, workspace, body.channel_id, "channel_id"),
        campaign=optional_ref(Campaign, workspace, body.campaign_id, "campaign_id"),
        accountable=optional_ref(Person, workspace, body.accountable_id, "accountable_id"),
    )
    return Status(201, line)


@router.patch("/w/{ws}/budgets/{budgetplan_pk}/lines/{budgetline_pk}", response=responses(LineOut))
def update_line(request: HttpRequest, ws: str, budgetplan_pk: int, budgetline_pk: int, body: LinePatch):
    """All or nothing: a resize refused by the ledger leaves the name and the accountable person too."""
    plan = _shapeable(request, ws, budgetplan_pk)
    line = _line(plan, budgetline_pk)
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationError("Send at least one field to change.")
    with transaction.atomic():
        if "name" in sent or "accountable_id" in sent:
            fields = {"name": sent.get("name")}
            if "accountable_id" in sent:
                fields["accountable"] = optional_ref(
                    Person, plan.workspace, sent["accountable_id"], "accountable_id"
                )
            line = services.line_update(actor=request.user, line=line, **fields)
        if sent.get("amount") is not None:
            line = services.line_resize(actor=request.user, line=line, amount=sent["amount"])
    return line


@router.delete("/w/{ws}/budgets/{budgetplan_pk}/lines/{budgetline_pk}", response=responses(None, 204))
def delete_line(request: HttpRequest, ws: str, budgetplan_pk: int, budgetline_pk: int):
    """With the lines under it; the amount goes back to the parent's reserve. Refused (422) when spend,
    commitments or reallocation history are on it."""
    plan = _shapeable(request, ws, budgetplan_pk)
    services.line_delete(actor=request.user, line=_line(plan, budgetline_pk))
    return Status(204, None)


@router.put("/w/{ws}/budgets/{budgetplan_pk}/lines/{budgetline_pk}/phasing", response=responses(None, 204))
def set_phasing(request: HttpRequest, ws: str, budgetplan_pk: int, budgetline_pk: int, body: PhasingIn):
    """Set the planned amount of the plan's months; they must add up to the line's amount."""
    plan = _shapeable(request, ws, budgetplan_pk)
    services.phasing_set(actor=request.user, line=_line(plan, budgetline_pk), planned=body.planned)
    return Status(204, None)


@router.get("/w/{ws}/budgets/{budgetplan_pk}/reallocations", response=responses(list[ReallocationOut]))
def list_reallocations(request: HttpRequest, ws: str, budgetplan_pk: int):
    plan = _plan(request, ws, budgetplan_pk)
    return ReallocationRequest.objects.filter(workspace=plan.workspace, plan=plan).order_by(
        "-created_at", "-pk"
    )


@router.post("/w/{ws}/budgets/{budgetplan_pk}/reallocations", response=responses(ReallocationOut, 201))
def request_reallocation(request: HttpRequest, ws: str, budgetplan_pk: int, body: ReallocationIn):
    """Ask to move money between two lines of the plan; it goes to approval and is applied when approved."""
    plan = _plan(request, ws, budgetplan_pk, write=True)
    if not budget_access.can_request(request.user, plan):  # the right first, then the input
        raise PermissionDenied("Only the plan's Responsible or Accountable people request reallocations.")
    lines = BudgetLine.objects.filter(plan=plan)
    from_line = optional_ref(BudgetLine, plan.workspace, body.from_line_id, "from_line_id")
    to_line = optional_ref(BudgetLine, plan.workspace, body.to_line_id, "to_line_id")
    if not lines.filter(pk=from_line.pk).exists():
        from django.core.exceptions import ValidationError

        raise ValidationError({"from_line_id": "That line is not in this plan."})
    realloc = services.reallocation_request(
        actor=request.user, from_line=from_line, to_line=to_line, amount=body.amount, reason=body.reason
    )
    return Status(201, realloc)


@router.get("/w/{ws}/spend", response=responses(page_of(SpendOut)))
def list_spend(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    plan: int | None = None,
    campaign: int | None = None,
    channel: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    source: choices(SpendEntry.Source) | None = None,
    order: ordering("date", "amount_base", "id") = "-date",
):
    workspace = workspace_for(request, ws, "budget").workspace
    rows = _visible_spend(request, workspace)
    filters = {
        "line__plan_id": plan,
        "campaign_id": campaign,
        "channel_id": channel,
        "date__gte": date_from,
        "date__lte": date_to,
        "source": source,
    }
    rows = rows.filter(**{k: v for k, v in filters.items() if v is not None})
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.post("/w/{ws}/spend", response=responses(SpendOut, 201))
def create_spend(request: HttpRequest, ws: str, body: SpendIn):
    """Spend on a budget line, or on a campaign (which finds its line); converted to the workspace
    currency at the stored rate of that day."""
    workspace = workspace_for(request, ws, "budget", write=True).workspace
    entry = services.spend_create(
        actor=request.user,
        workspace=workspace,
        date=body.date,
        amount=body.amount,
        currency=body.currency.upper(),
        line=optional_ref(BudgetLine, workspace, body.line_id, "line_id"),
        campaign=optional_ref(Campaign, workspace, body.campaign_id, "campaign_id"),
        channel=optional_ref(Channel, workspace, body.channel_id, "channel_id"),
        description=body.description,
    )
    return Status(201, entry)
