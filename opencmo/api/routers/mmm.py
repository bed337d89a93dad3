"""Marketing-mix model runs (start one; read status, fit, ROI and marginal ROI with intervals) and the
budget recommendations made from them. The same services as the pages under Insights → Models."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opencmo.api.common import (
    Input,
    PageIn,
    choices,
    get_or_404,
    ordering,
    page_of,
    paginate,
    responses,
    workspace_for,
)
from opencmo.mmm import selectors, services
from opencmo.mmm.models import ModelRun, Recommendation

router = Router(tags=["mmm"])


class ModelRunOut(Schema):
    id: int
    status: str
    progress: int
    message: str
    error: str
    config: dict[str, Any]
    fingerprint: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ModelRunDetailOut(ModelRunOut):
    """`summary`: per channel spend, contribution, ROI and marginal ROI (`mroi`) with the bounds of
    their 90 % intervals (`_lo`, `_hi`); `diagnostics`: R², MAPE (and r-hat, divergences for MCMC);
    `verdict`: the fit in plain words. Empty until the run is done."""

    summary: list[dict[str, Any]]
    diagnostics: dict[str, Any]
    verdict: str
    media_share: float | None

    @staticmethod
    def resolve_summary(obj: ModelRun) -> list:
        return (obj.results or {}).get("summary", [])

    @staticmethod
    def resolve_diagnostics(obj: ModelRun) -> dict:
        return (obj.results or {}).get("diagnostics", {})

    @staticmethod
    def resolve_verdict(obj: ModelRun) -> str:
        return (obj.results or {}).get("verdict", "")

    @staticmethod
    def resolve_media_share(obj: ModelRun) -> float | None:
        return (obj.results or {}).get("media_share")


class ModelRunIn(Input):
    channels: list[str] = Field(min_length=1, max_length=30)
    start: dt.date
    end: dt.date
    target: Literal["revenue", "conversions"] = "revenue"
    adstock: Literal["geometric", "weibull"] = "geometric"
    saturation: Literal["hill", "logistic"] = "hill"
    method: Literal["map", "bayes"] = "map"


class RecommendationOut(Schema):
    id: int
    run_id: int
    period_start: dt.date
    period_end: dt.date
    target: str
    total: float
    allocation: list[dict[str, Any]]
    predicted_outcome: float
    predicted_low: float | None
    predicted_high: float | None
    current_outcome: float | None
    requested_at: dt.datetime | None
    requests: list[int]
    created_at: dt.datetime


@router.get("/w/{ws}/mmm/runs", response=responses(page_of(ModelRunOut)))
def list_runs(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    status: choices(ModelRun.Status) | None = None,
    order: ordering("created_at", "id") = "-created_at",
):
    workspace = workspace_for(request, ws, "mmm").workspace
    services.modelruns_recover(workspace)  # a fit whose worker died reads as failed, not running
    rows = selectors.runs(workspace)
    if status:
        rows = rows.filter(status=status)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/mmm/runs/{modelrun_pk}", response=responses(ModelRunDetailOut))
def get_run(request: HttpRequest, ws: str, modelrun_pk: int):
    workspace = workspace_for(request, ws, "mmm").workspace
    services.modelruns_recover(workspace)
    return get_or_404(ModelRun, workspace, modelrun_pk)


@router.post("/w/{ws}/mmm/runs", response=responses(ModelRunOut, 202))
def start_run(request: HttpRequest, ws: str, body: ModelRunIn):
    """Queue a fit in the background (poll the run), or get the finished run on the same data and
    settings at once. Channels are channel keys with booked spend; the period covers at least 26 weeks."""
    workspace = workspace_for(request, ws, "mmm", write=True).workspace
    run = services.modelrun_create(
        actor=request.user,
        workspace=workspace,
        channels=body.channels,
        start=body.start,
        end=body.end,
        target=body.target,
        adstock=body.adstock,
        saturation=body.saturation,
        method=body.method,
    )
    return Status(202, run)


@router.get("/w/{ws}/mmm/recommendations", response=responses(page_of(RecommendationOut)))
def list_recommendations(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    order: ordering("created_at", "period_start", "id") = "-created_at",
):
    workspace = workspace_for(request, ws, "mmm").workspace
    return paginate(selectors.recommendations(workspace), limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/mmm/recommendations/{recommendation_pk}", response=responses(RecommendationOut))
def get_recommendation(request: HttpRequest, ws: str, recommendation_pk: int):
    workspace = workspace_for(request, ws, "mmm").workspace
    return get_or_404(Recommendation, workspace, recommendation_pk)
