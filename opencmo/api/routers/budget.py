"""Budget plans, their lines, spend and reallocation requests (plans visible through RACI)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
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
    responses,
    workspace_for,
)
from opencmo.budget import access as budget_access
from opencmo.budget import selectors, services
from opencmo.budget.models import BudgetLine, BudgetPlan, ReallocationRequest, SpendEntry
from opencmo.campaigns.models import Campaign, Channel

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
