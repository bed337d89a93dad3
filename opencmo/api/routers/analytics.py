"""Analytics results from the workspace's store: KPIs by period and dimension, and attribution."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from opencmo.analytics import kpis as engine
from opencmo.analytics.attribution import MODELS, make_model
from opencmo.api.common import responses, workspace_for
from opencmo.budget.selectors import store_rates
from opencmo.core.models import Workspace

router = Router(tags=["analytics"])
MAX_DAYS = 3 * 366
Grain = Literal[engine.GRAINS]  # type: ignore[valid-type]
Dimension = Literal[engine.DIMENSIONS[:2] + engine.DIMENSIONS[3:]]  # type: ignore[valid-type]
Model = Literal[tuple(sorted(MODELS))]  # type: ignore[valid-type]


class KpiRowOut(Schema):
    period: dt.date | None
    channel: str | None
    campaign_id: int | None
    campaign: str | None
    platform: str | None
    account: str | None
    currency: str | None
    spend: Decimal
    impressions: int
    clicks: int
    conversions: Decimal
    leads: int | None
    new_customers: int | None
    revenue: Decimal
    ctr: Decimal | None
    cpc: Decimal | None
    cpm: Decimal | None
    conversion_rate: Decimal | None
    cpl: Decimal | None
    cac: Decimal | None
    roas: Decimal | None
    roi: Decimal | None


class KpiReportOut(Schema):
    start: dt.date
    end: dt.date
    grain: str
    by: str
    currency: str
    note: str
    rows: list[KpiRowOut]


class CreditOut(Schema):
    channel: str
    conversions: float
    value: float
    share: float


class AttributionOut(Schema):
    start: dt.date
    end: dt.date
    model: str
    note: str
    credits: list[CreditOut]


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or timezone.localdate()
    start = start or end - dt.timedelta(days=365)
    if start > end:
        raise ValidationError({"start": "The start is after the end."})
    if (end - start).days > MAX_DAYS:
        raise ValidationError({"start": f"At most {MAX_DAYS} days at a time."})
    return start, end


def _store(workspace: Workspace):
    from opencmo.data.services import open_store

    store = open_store(workspace)
    if not store.path.exists():
        return None
    return open_store(workspace, read_only=True, timeout=10)


@router.get("/w/{ws}/analytics/kpis", response=responses(KpiReportOut))
def analytics_kpis(
    request: HttpRequest,
    ws: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    grain: Grain = "month",
    by: Dimension = "channel",
):
    """Spend, impressions, clicks, conversions, leads, customers, revenue and the ratios (CTR, CPC, CPM,
    conversion rate, CPL, CAC, ROAS, ROI) per period and channel, campaign, platform or account, in the
    workspace currency. Defaults: the last 365 days by month and channel."""
    workspace = workspace_for(request, ws, "analytics").workspace
    start, end = _period(start, end)
    report = {"start": start, "end": end, "grain": grain, "by": by, "currency": workspace.currency}
    store = _store(workspace)
    if store is None:
        return {**report, "note": "No analytics data imported yet.", "rows": []}
    with store:
        fx, note = store_rates(store, workspace, start, end)
        try:
            rows = engine.kpis(
                store, grain=grain, by=(by,), start=start, end=end, currency=workspace.currency, fx=fx
            )
        except ValueError as error:
            raise ValidationError(str(error)) from None
    return {**report, "note": note, "rows": [row.as_dict() for row in rows]}


@router.get("/w/{ws}/analytics/attribution", response=responses(AttributionOut))
def analytics_attribution(
    request: HttpRequest,
    ws: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    model: Model = "linear",
):
    """Channel credit for the conversions in the period under one attribution model (rule-based,
    Markov removal effect or Shapley), fitted on the customer journeys in the store."""
    from opencmo.analytics.paths import PathTable

    workspace = workspace_for(request, ws, "analytics").workspace
    start, end = _period(start, end)
    result = {"start": start, "end": end, "model": model}
    store = _store(workspace)
    if store is None:
        return {**result, "note": "No analytics data imported yet.", "credits": []}
    with store:
        fx, note = store_rates(store, workspace, start, end)
        try:
            table = PathTable.from_store(store, start=start, end=end, currency=workspace.currency, fx=fx)
            if table.n_paths == 0 or table.total_conversions <= 0:
                return {**result, "note": note or "No conversions in the period.", "credits": []}
            credits = make_model(model).fit(table).results()
        except ValueError as error:
            raise ValidationError(str(error)) from None
    return {**result, "note": note, "credits": [c.__dict__ for c in credits]}
