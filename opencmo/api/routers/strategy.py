"""Objectives, KPIs (with progress) and KPI actuals."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
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
from opencmo.org.models import Person
from opencmo.strategy import selectors, services
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective

router = Router(tags=["strategy"])


class ProgressOut(Schema):
    on: dt.date
    actual: Decimal | None
    expected_to_date: Decimal
    pct_of_target: Decimal | None
    on_track: bool
    projected_end: Decimal | None


class KpiOut(Schema):
    id: int
    objective_id: int
    name: str
    unit: str
    direction: str
    baseline: Decimal
    target: Decimal
    period_start: dt.date
    period_end: dt.date
    source: str
    cumulative: bool
    progress: ProgressOut

    @staticmethod
    def resolve_progress(obj: Kpi) -> ProgressOut:
        p = selectors.kpi_progress(obj)
        return ProgressOut(
            on=p.on,
            actual=p.actual,
            expected_to_date=p.expected_to_date,
            pct_of_target=p.pct_of_target,
            on_track=p.on_track,
            projected_end=p.projected_end,
        )


class ObjectiveOut(Schema):
    id: int
    title: str
    description: str
    horizon: str
    status: str
    owner_id: int | None
    start_date: dt.date
    end_date: dt.date
    goal_ids: list[int]
    kpi_ids: list[int]

    @staticmethod
    def resolve_goal_ids(obj: Objective) -> list[int]:
        return sorted(g.pk for g in obj.goals.all())

    @staticmethod
    def resolve_kpi_ids(obj: Objective) -> list[int]:
        return sorted(k.pk for k in obj.kpis.all())


class ObjectiveIn(Input):
    title: str = Field(max_length=200)
    start_date: dt.date
    end_date: dt.date
    horizon: choices(Objective.Horizon) = Objective.Horizon.SHORT.value
    owner_id: int | None = None
    goal_ids: list[int] = Field(default_factory=list, max_length=50)
    description: str = Field("", max_length=10_000)


class ActualOut(Schema):
    id: int
    kpi_id: int
    date: dt.date
    value: Decimal
    note: str


class ActualIn(Input):
    date: dt.date
    value: Decimal = Field(max_digits=16, decimal_places=4)
    note: str = Field("", max_length=300)


@router.get("/w/{ws}/objectives", response=responses(page_of(ObjectiveOut)))
def list_objectives(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    status: choices(Objective.Status) | None = None,
    horizon: choices(Objective.Horizon) | None = None,
    order: ordering("title", "start_date", "end_date", "id") = "start_date",
):
    workspace = workspace_for(request, ws, "strategy").workspace
    rows = selectors.objectives(workspace, status=status or "", horizon=horizon or "")
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/objectives/{objective_pk}", response=responses(ObjectiveOut))
def get_objective(request: HttpRequest, ws: str, objective_pk: int):
    workspace = workspace_for(request, ws, "strategy").workspace
    return get_or_404(Objective, workspace, objective_pk, selectors.objectives(workspace))


@router.post("/w/{ws}/objectives", response=responses(ObjectiveOut, 201))
def create_objective(request: HttpRequest, ws: str, body: ObjectiveIn):
    """Administrators and the CMO, executives and strategists create objectives."""
    workspace = workspace_for(request, ws, "strategy", write=True).workspace
    objective = services.objective_create(
        actor=request.user,
        workspace=workspace,
        title=body.title,
        start_date=body.start_date,
        end_date=body.end_date,
        horizon=body.horizon,
        owner=optional_ref(Person, workspace, body.owner_id, "owner_id"),
        goals=refs(CompanyGoal, workspace, body.goal_ids, "goal_ids"),
        description=body.description,
    )
    return Status(201, objective)


class ObjectivePatch(Input):
    """Only the fields sent are changed; `goal_ids` replaces the goals it serves."""

    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    horizon: choices(Objective.Horizon) | None = None
    status: choices(Objective.Status) | None = None
    owner_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    goal_ids: list[int] | None = Field(None, max_length=50)


def _objective(request: HttpRequest, ws: str, objective_pk: int) -> Objective:
    workspace = workspace_for(request, ws, "strategy", write=True).workspace
    return get_or_404(Objective, workspace, objective_pk, selectors.objectives(workspace))


@router.patch("/w/{ws}/objectives/{objective_pk}", response=responses(ObjectiveOut))
def update_objective(request: HttpRequest, ws: str, objective_pk: int, body: ObjectivePatch):
    """The objective's owner or an administrator; a new owner is told."""
    objective = _objective(request, ws, objective_pk)
    workspace = objective.workspace
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationError("Send at least one field to change.")
    fields = {k: v for k, v in sent.items() if k not in {"owner_id", "goal_ids"} and v is not None}
    if "owner_id" in sent:
        fields["owner"] = optional_ref(Person, workspace, sent["owner_id"], "owner_id")
    if sent.get("goal_ids") is not None:
        fields["goals"] = refs(CompanyGoal, workspace, sent["goal_ids"], "goal_ids")
    services.objective_update(actor=request.user, objective=objective, **fields)
    return get_or_404(Objective, workspace, objective_pk, selectors.objectives(workspace))


@router.delete("/w/{ws}/objectives/{objective_pk}", response=responses(None, 204))
def delete_objective(request: HttpRequest, ws: str, objective_pk: int):
    """With its KPIs and their actuals (each audited); campaigns are only unlinked."""
    objective = _objective(request, ws, objective_pk)
    with transaction.atomic():
        services.objective_delete(actor=request.user, objective=objective)
    return Status(204, None)


@router.get("/w/{ws}/kpis", response=responses(page_of(KpiOut)))
def list_kpis(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    objective: int | None = None,
    order: ordering("name", "period_start", "id") = "name",
):
    """KPIs with their progress today (actual, expected to date, % of target, on track, projection)."""
    rows = selectors.kpis(workspace_for(request, ws, "strategy").workspace)
    if objective is not None:
        rows = rows.filter(objective_id=objective)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/kpis/{kpi_pk}", response=responses(KpiOut))
def get_kpi(request: HttpRequest, ws: str, kpi_pk: int):
    workspace = workspace_for(request, ws, "strategy").workspace
    return get_or_404(Kpi, workspace, kpi_pk, selectors.kpis(workspace))


class KpiIn(Input):
    objective_id: int
    name: str = Field(min_length=1, max_length=150)
    target: Decimal = Field(max_digits=16, decimal_places=4)
    period_start: dt.date
    period_end: dt.date
    unit: choices(Kpi.Unit) = Kpi.Unit.COUNT.value
    direction: choices(Kpi.Direction) = Kpi.Direction.UP.value
    baseline: Decimal = Field(Decimal(0), max_digits=16, decimal_places=4)
    cumulative: bool = True


class KpiPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=150)
    target: Decimal | None = Field(None, max_digits=16, decimal_places=4)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    unit: choices(Kpi.Unit) | None = None
    direction: choices(Kpi.Direction) | None = None
    baseline: Decimal | None = Field(None, max_digits=16, decimal_places=4)
    cumulative: bool | None = None


@router.post("/w/{ws}/kpis", response=responses(KpiOut, 201))
def create_kpi(request: HttpRequest, ws: str, body: KpiIn):
    """A manual KPI on an objective (its owner or an administrator); actuals are recorded separately."""
    workspace = workspace_for(request, ws, "strategy", write=True).workspace
    objective = optional_ref(Objective, workspace, body.objective_id, "objective_id")
    kpi = services.kpi_create(
        actor=request.user, objective=objective, **body.model_dump(exclude={"objective_id"})
    )
    return Status(201, get_or_404(Kpi, workspace, kpi.pk, selectors.kpis(workspace)))


@router.patch("/w/{ws}/kpis/{kpi_pk}", response=responses(KpiOut))
def update_kpi(request: HttpRequest, ws: str, kpi_pk: int, body: KpiPatch):
    workspace = workspace_for(request, ws, "strategy", write=True).workspace
    kpi = get_or_404(Kpi, workspace, kpi_pk, selectors.kpis(workspace))
    fields = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not fields:
        raise ValidationError("Send at least one field to change.")
    services.kpi_update(actor=request.user, kpi=kpi, **fields)
    return get_or_404(Kpi, workspace, kpi_pk, selectors.kpis(workspace))


@router.delete("/w/{ws}/kpis/{kpi_pk}", response=responses(None, 204))
def delete_kpi(request: HttpRequest, ws: str, kpi_pk: int):
    workspace = workspace_for(request, ws, "strategy", write=True).workspace
    kpi = get_or_404(Kpi, workspace, kpi_pk)
    with transaction.atomic():
        services.kpi_delete(actor=request.user, kpi=kpi)
    return Status(204, None)


@router.get("/w/{ws}/kpis/{kpi_pk}/actuals", response=responses(page_of(ActualOut)))
def list_actuals(
    request: HttpRequest,
    ws: str,
    kpi_pk: int,
    page: Query[PageIn],
    since: dt.date | None = None,
    until: dt.date | None = None,
    order: ordering("date") = "date",
):
    kpi = get_or_404(Kpi, workspace_for(request, ws, "strategy").workspace, kpi_pk)
    rows = KpiActual.objects.filter(workspace=kpi.workspace, kpi=kpi)
    if since:
        rows = rows.filter(date__gte=since)
    if until:
        rows = rows.filter(date__lte=until)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.post("/w/{ws}/kpis/{kpi_pk}/actuals", response=responses(ActualOut, 201))
def record_actual(request: HttpRequest, ws: str, kpi_pk: int, body: ActualIn):
    """Record the value for a day (a second value for the same day replaces the first). The objective's
    owner, analysts and administrators may do this."""
    kpi = get_or_404(Kpi, workspace_for(request, ws, "strategy", write=True).workspace, kpi_pk)
    actual = services.kpi_actual_record(
        actor=request.user, kpi=kpi, date=body.date, value=body.value, note=body.note
    )
    return Status(201, actual)
