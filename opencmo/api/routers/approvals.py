"""Approval requests on activities the caller may see, and deciding them (the approver only)."""

import datetime as dt
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
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
from opencmo.org import approvals, raci
from opencmo.org.models import ApprovalRequest

router = Router(tags=["approvals"])


class SignOffOut(Schema):
    person_id: int
    decision: str
    comment: str


class ApprovalOut(Schema):
    id: int
    activity_id: int
    kind: str
    amount: Decimal | None
    summary: str
    status: str
    requested_by_id: int
    approver_id: int
    self_approval: bool
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_comment: str
    created_at: dt.datetime
    signoffs: list[SignOffOut]

    @staticmethod
    def resolve_signoffs(obj: ApprovalRequest) -> list:
        return list(obj.signoffs.all())


class DecisionIn(Input):
    approve: bool
    comment: str = Field("", max_length=5000)


def _visible(request: HttpRequest, workspace):
    activities = raci.visible_activities(request.user, workspace).prefetch_related(None).values("pk")
    return ApprovalRequest.objects.filter(workspace=workspace, activity__in=activities).prefetch_related(
        "signoffs"
    )


def _approval(request: HttpRequest, ws: str, approvalrequest_pk: int, *, write: bool = False):
    workspace = workspace_for(request, ws, "approvals", write=write).workspace
    try:
        return get_or_404(ApprovalRequest, workspace, approvalrequest_pk, _visible(request, workspace))
    except Http404:
        raise Http404("No such approval request.") from None


@router.get("/w/{ws}/approvals", response=responses(page_of(ApprovalOut)))
def list_approvals(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    status: choices(ApprovalRequest.Status) | None = None,
    mine: bool = False,
    order: ordering("created_at", "status", "id") = "-created_at",
):
    """Requests on activities the caller may see; `mine` keeps those the caller decides."""
    workspace = workspace_for(request, ws, "approvals").workspace
    rows = _visible(request, workspace)
    if status:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(approver=raci.person_for(request.user, workspace))
    return paginate(rows, limit=page.limit, offset=page.offset, order=order)


@router.get("/w/{ws}/approvals/{approvalrequest_pk}", response=responses(ApprovalOut))
def get_approval(request: HttpRequest, ws: str, approvalrequest_pk: int):
    return _approval(request, ws, approvalrequest_pk)


@router.post("/w/{ws}/approvals/{approvalrequest_pk}/decide", response=responses(ApprovalOut))
def decide_approval(request: HttpRequest, ws: str, approvalrequest_pk: int, body: DecisionIn):
    """Approve or reject (a comment is required to reject, and to approve one's own work)."""
    approval = _approval(request, ws, approvalrequest_pk, write=True)
    approvals.approval_decide(
        actor=request.user, request=approval, approve=body.approve, comment=body.comment
    )
    return _approval(request, ws, approvalrequest_pk)
