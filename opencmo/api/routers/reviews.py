"""Review cycles, reviews with their pack, and the decisions and actions recorded in the meeting.

Members read every review of their workspace (as on the web pages); recording a decision needs the
meeting's chair, a CMO or an administrator, and a decision's follow-up its owner or whoever runs the
meeting — the reviews services check both."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opencmo.api.common import (
    MAX_ID,
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
from opencmo.org.models import Person
from opencmo.reviews import services
from opencmo.reviews.models import Review, ReviewAction, ReviewCycle, ReviewDecision
from opencmo.reviews.pack import pack_for

router = Router(tags=["reviews"])


class ReviewCycleOut(Schema):
    id: int
    kind: str
    name: str
    cadence: str
    next_date: dt.date
    chair_id: int
    participant_ids: list[int]
    is_active: bool

    @staticmethod
    def resolve_participant_ids(obj: ReviewCycle) -> list[int]:
        return [p.pk for p in obj.participants.all()]


class ReviewOut(Schema):
    id: int
    cycle_id: int
    period_start: dt.date
    period_end: dt.date
    scheduled_for: dt.date
    status: str
    notes: str
    started_at: dt.datetime | None
    closed_at: dt.datetime | None


class ReviewDetailOut(ReviewOut):
    """With the pack: as frozen at the close for a closed review, else built from the live data."""

    pack: dict[str, Any]

    @staticmethod
    def resolve_pack(obj: Review) -> dict:
        return pack_for(obj)


class ReviewDecisionOut(Schema):
    id: int
    review_id: int
    text: str
    owner_id: int | None
    follow_up: str
    follow_up_notes: str
    recorded_by_id: int | None
    created_at: dt.datetime


class ReviewActionOut(Schema):
    id: int
    review_id: int
    decision_id: int | None
    task_id: int | None
    title: str


class ReviewDecisionIn(Input):
    text: str = Field(min_length=1, max_length=5000)
    owner_id: int | None = None


class DecisionFollowUpIn(Input):
    follow_up: choices(ReviewDecision.FollowUp)
    notes: str = Field("", max_length=5000)


def _reviews(workspace):
    return Review.objects.filter(workspace=workspace).select_related("cycle")


@router.get("/w/{ws}/review-cycles", response=responses(page_of(ReviewCycleOut)))
def list_cycles(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    kind: choices(ReviewCycle.Kind) | None = None,
    active: bool | None = None,
    order: ordering("name", "next_date", "id") = "name",
):
    workspace = workspace_for(request, ws, "reviews").workspace
    rows = ReviewCycle.objects.filter(workspace=workspace).prefetch_related("participants")
    if kind:
        rows = rows.filter(kind=kind)
    if active is not None:
        rows = rows.filter(is_active=active)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/review-cycles/{reviewcycle_pk}", response=responses(ReviewCycleOut))
def get_cycle(request: HttpRequest, ws: str, reviewcycle_pk: int):
    workspace = workspace_for(request, ws, "reviews").workspace
    return get_or_404(ReviewCycle, workspace, reviewcycle_pk)


@router.get("/w/{ws}/reviews", response=responses(page_of(ReviewOut)))
def list_reviews(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    cycle: int | None = Query(None, ge=1, le=MAX_ID),
    status: choices(Review.Status) | None = None,
    order: ordering("scheduled_for", "id") = "-scheduled_for",
):
    workspace = workspace_for(request, ws, "reviews").workspace
    rows = _reviews(workspace)
    if cycle:
        rows = rows.filter(cycle_id=cycle)
    if status:
        rows = rows.filter(status=status)
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/reviews/{review_pk}", response=responses(ReviewDetailOut))
def get_review(request: HttpRequest, ws: str, review_pk: int):
    workspace = workspace_for(request, ws, "reviews").workspace
    return get_or_404(Review, workspace, review_pk, _reviews(workspace))


@router.get("/w/{ws}/reviews/{review_pk}/decisions", response=responses(page_of(ReviewDecisionOut)))
def list_decisions(request: HttpRequest, ws: str, review_pk: int, page: Query[PageIn]):
    workspace = workspace_for(request, ws, "reviews").workspace
    review = get_or_404(Review, workspace, review_pk)
    rows = ReviewDecision.objects.filter(workspace=workspace, review=review)
    return paginate(rows, limit=page.limit, offset=page.offset, order="created_at")


@router.post("/w/{ws}/reviews/{review_pk}/decisions", response=responses(ReviewDecisionOut, 201))
def record_decision(request: HttpRequest, ws: str, review_pk: int, body: ReviewDecisionIn):
    """Record what the meeting decided (the chair, a CMO or an administrator; not on a closed review)."""
    workspace = workspace_for(request, ws, "reviews", write=True).workspace
    review = get_or_404(Review, workspace, review_pk, _reviews(workspace))
    decision = services.decision_record(
        actor=request.user,
        review=review,
        text=body.text,
        owner=optional_ref(Person, workspace, body.owner_id, "owner_id"),
    )
    return Status(201, decision)


@router.patch("/w/{ws}/review-decisions/{reviewdecision_pk}", response=responses(ReviewDecisionOut))
def follow_up_decision(request: HttpRequest, ws: str, reviewdecision_pk: int, body: DecisionFollowUpIn):
    """How a decision was carried out (its owner, or whoever runs the meeting); shown in the next pack."""
    workspace = workspace_for(request, ws, "reviews", write=True).workspace
    decision = get_or_404(
        ReviewDecision,
        workspace,
        reviewdecision_pk,
        ReviewDecision.objects.select_related("review__cycle__chair", "owner"),
    )
    return services.decision_follow_up(
        actor=request.user, decision=decision, follow_up=body.follow_up, notes=body.notes
    )


@router.get("/w/{ws}/reviews/{review_pk}/actions", response=responses(page_of(ReviewActionOut)))
def list_actions(request: HttpRequest, ws: str, review_pk: int, page: Query[PageIn]):
    """Actions agreed in the meeting; each became a work task (`task_id`, null once the task is gone)."""
    workspace = workspace_for(request, ws, "reviews").workspace
    review = get_or_404(Review, workspace, review_pk)
    rows = ReviewAction.objects.filter(workspace=workspace, review=review)
    return paginate(rows, limit=page.limit, offset=page.offset, order="created_at")
