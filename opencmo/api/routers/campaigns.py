"""Campaigns (RACI-visible only), their lifecycle, and channels."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
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
from opencmo.campaigns import selectors, services
from opencmo.campaigns.models import Campaign, Channel
from opencmo.org.models import Person
from opencmo.strategy.models import Objective, Segment

router = Router(tags=["campaigns"])


class ChannelOut(Schema):
    id: int
    key: str
    name: str
    is_builtin: bool


class CampaignOut(Schema):
    id: int
    name: str
    code: str
    description: str
    status: str
    start_date: dt.date
    end_date: dt.date
    agency: str
    segment_id: int | None
    activity_id: int
    restricted: bool
    channel_ids: list[int]
    objective_ids: list[int]
    next_statuses: list[str]

    @staticmethod
    def resolve_restricted(obj: Campaign) -> bool:
        return obj.activity.restricted

    @staticmethod
    def resolve_channel_ids(obj: Campaign) -> list[int]:
        return sorted(c.pk for c in obj.channels.all())

    @staticmethod
    def resolve_objective_ids(obj: Campaign) -> list[int]:
        return sorted(o.pk for o in obj.objectives.all())

    @staticmethod
    def resolve_next_statuses(obj: Campaign) -> list[str]:
        return list(services.next_statuses(obj))


class CampaignIn(Input):
    name: str = Field(max_length=200)
    code: str = Field("", max_length=80)
    start_date: dt.date
    end_date: dt.date
    description: str = Field("", max_length=10_000)
    agency: str = Field("", max_length=150)
    status: choices(Campaign.Status) = Campaign.Status.IDEA.value
    channel_ids: list[int] = Field(default_factory=list, max_length=50)
    objective_ids: list[int] = Field(default_factory=list, max_length=50)
    segment_id: int | None = None
    accountable_id: int | None = None
    responsible_ids: list[int] = Field(default_factory=list, max_length=50)
    restricted: bool = False
    creates_leads: bool = False


class CampaignPatch(Input):
    """Only the fields sent are changed."""

    name: str | None = Field(None, max_length=200)
    code: str | None = Field(None, max_length=80)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    description: str | None = Field(None, max_length=10_000)
    agency: str | None = Field(None, max_length=150)
    channel_ids: list[int] | None = Field(None, max_length=50)
    objective_ids: list[int] | None = Field(None, max_length=50)
    segment_id: int | None = None
    restricted: bool | None = None
    creates_leads: bool | None = None


class StatusIn(Input):
    status: choices(Campaign.Status)
    note: str = Field("", max_length=2000)
    force: bool = False


def _campaign(request: HttpRequest, ws: str, campaign_pk: int, *, write: bool = False) -> Campaign:
    workspace = workspace_for(request, ws, "campaigns", write=write).workspace
    try:
        return get_or_404(
            Campaign, workspace, campaign_pk, selectors.visible_campaigns(request.user, workspace)
        )
    except Http404:
        raise Http404("No such campaign.") from None


@router.get("/w/{ws}/channels", response=responses(list[ChannelOut]))
def list_channels(request: HttpRequest, ws: str):
    return selectors.channels(workspace_for(request, ws, "campaigns").workspace).order_by("name")


@router.get("/w/{ws}/campaigns", response=responses(page_of(CampaignOut)))
def list_campaigns(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    status: choices(Campaign.Status) | None = None,
    channel: int | None = None,
    objective: int | None = None,
    q: str = Query("", max_length=200),
    order: ordering("name", "start_date", "end_date", "status", "id") = "start_date",
):
    """Campaigns the caller may see; filter by status, channel id, objective id or text."""
    workspace = workspace_for(request, ws, "campaigns").workspace
    rows = selectors.campaigns(request.user, workspace, selectors.Filters(status=status or "", query=q or ""))
    if channel is not None:
        rows = rows.filter(channels__pk=channel)
    if objective is not None:
        rows = rows.filter(objectives__pk=objective)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/campaigns/{campaign_pk}", response=responses(CampaignOut))
def get_campaign(request: HttpRequest, ws: str, campaign_pk: int):
    return _campaign(request, ws, campaign_pk)


@router.post("/w/{ws}/campaigns", response=responses(CampaignOut, 201))
def create_campaign(request: HttpRequest, ws: str, body: CampaignIn):
    """A campaign and its RACI activity; the Accountable person defaults to the caller's."""
    workspace = workspace_for(request, ws, "campaigns", write=True).workspace
    campaign = services.campaign_create(
        actor=request.user,
        workspace=workspace,
        name=body.name,
        code=body.code,
        start_date=body.start_date,
        end_date=body.end_date,
        description=body.description,
        agency=body.agency,
        status=body.status,
        channels=refs(Channel, workspace, body.channel_ids, "channel_ids"),
        objectives=refs(Objective, workspace, body.objective_ids, "objective_ids"),
        segment=optional_ref(Segment, workspace, body.segment_id, "segment_id"),
        accountable=optional_ref(Person, workspace, body.accountable_id, "accountable_id"),
        responsible=refs(Person, workspace, body.responsible_ids, "responsible_ids"),
        restricted=body.restricted,
        creates_leads=body.creates_leads,
    )
    return Status(201, _campaign(request, ws, campaign.pk))


@router.patch("/w/{ws}/campaigns/{campaign_pk}", response=responses(CampaignOut))
def update_campaign(request: HttpRequest, ws: str, campaign_pk: int, body: CampaignPatch):
    """Change the plan (Responsible, Accountable or administrators). Status moves go through /status."""
    campaign = _campaign(request, ws, campaign_pk, write=True)
    workspace = campaign.workspace
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationError("Send at least one field to change.")
    fields = {k: v for k, v in sent.items() if k not in {"channel_ids", "objective_ids", "segment_id"}}
    if "channel_ids" in sent:
        fields["channels"] = refs(Channel, workspace, sent["channel_ids"], "channel_ids")
    if "objective_ids" in sent:
        fields["objectives"] = refs(Objective, workspace, sent["objective_ids"], "objective_ids")
    if "segment_id" in sent:
        fields["segment"] = optional_ref(Segment, workspace, sent["segment_id"], "segment_id")
    for required in ("name", "start_date", "end_date", "restricted", "creates_leads"):
        if required in fields and fields[required] is None:
            fields.pop(required)
    services.campaign_update(actor=request.user, campaign=campaign, **fields)
    return _campaign(request, ws, campaign_pk)


@router.post("/w/{ws}/campaigns/{campaign_pk}/status", response=responses(CampaignOut))
def set_campaign_status(request: HttpRequest, ws: str, campaign_pk: int, body: StatusIn):
    """Move the campaign along its lifecycle (idea → planned → approved → live → done → evaluated).
    Launching needs an approved launch request unless forced by the Accountable person."""
    campaign = _campaign(request, ws, campaign_pk, write=True)
    services.campaign_set_status(
        actor=request.user, campaign=campaign, status=body.status, note=body.note, force=body.force
    )
    return _campaign(request, ws, campaign_pk)


@router.delete("/w/{ws}/campaigns/{campaign_pk}", response=responses(None, 204))
def delete_campaign(request: HttpRequest, ws: str, campaign_pk: int):
    """Only ideas and planned campaigns can be deleted; later ones keep their history."""
    campaign = _campaign(request, ws, campaign_pk, write=True)
    with transaction.atomic():
        services.campaign_delete(actor=request.user, campaign=campaign)
    return Status(204, None)
