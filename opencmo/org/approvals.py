"""Approvals routed by RACI and decision authority.

1. The Responsible (or Accountable) person asks for approval of an activity's work, with a decision kind
   and, for budgets, an amount.
2. Every Consulted person is asked to sign off; one objection rejects the request (with their reason).
3. The approver is the activity's single Accountable person if their authority covers the request;
   otherwise the request escalates up the reporting line (manager -> CMO -> CEO/board) to the first
   person whose authority does.
4. Nobody approves their own request: it goes on up the line to a second approver, unless the workspace
   allows recorded self-approval (one-person teams), in which case the approver must write why.
"""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.notifications import notify
from opencmo.org import raci
from opencmo.org.models import ApprovalRequest, DecisionAuthority, DecisionKind, Person, SignOff
from opencmo.org.raci_services import activity_url
from opencmo.webhooks import events as webhook_events

# Called inside the deciding transaction with (request, actor) once a request is approved, rejected or
# withdrawn, so the thing it was about (a budget reallocation, a campaign launch, a deliverable) follows
# the decision atomically.
# Modules register in their AppConfig.ready().
DecisionHook = Callable[[ApprovalRequest, object], None]
_decision_hooks: list[DecisionHook] = []


def on_decision(hook: DecisionHook) -> DecisionHook:
    if hook not in _decision_hooks:
        _decision_hooks.append(hook)
    return hook


def authority_of(person: Person, kind: str) -> tuple[bool, Decimal | None]:
    """(granted, limit) for a person and decision kind, from their own grant and their hats' grants.
    The most generous grant wins; a limit of None means no limit."""
    grants = DecisionAuthority.objects.filter(
        Q(person=person) | Q(role__in=person.roles.all()), workspace=person.workspace, kind=kind
    )
    limits = [g.max_amount for g in grants]
    if not limits:
        return False, None
    if any(limit is None for limit in limits):
        return True, None
    return True, max(limits)


def covers(person: Person, kind: str, amount: Decimal | None) -> bool:
    granted, limit = authority_of(person, kind)
    if not granted:
        return False
    return limit is None or amount is None or amount <= limit


def _describe(kind: str, amount: Decimal | None, currency: str) -> str:
    label = DecisionKind(kind).label.lower()
    return f"{label} of {currency} {amount:,.2f}" if amount is not None else label


def route(start: Person, kind: str, amount: Decimal | None, *, skip: Person | None = None) -> list[dict]:
    """Walk up from `start` to the first person (not `skip`) whose authority covers the request.
    Returns the path as [{person_id, name, covers}], the last one being the approver."""
    path, seen, current = [], set(), start
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        ok = current != skip and current.is_active and covers(current, kind, amount)
        path.append({"person_id": current.pk, "name": current.name, "covers": ok})
        if ok:
            return path
        current = current.reports_to
    what = _describe(kind, amount, start.workspace.currency)
    names = " → ".join(step["name"] for step in path)
    raise ValidationError(
        f"Nobody in the reporting line ({names}) has the authority to approve this {what}. "
        "Grant it under Organisation → Decision authority."
    )


def _the_accountable(activity) -> Person:
    accountable = raci.resolve(activity)["A"]
    if len(accountable) != 1:
        raise ValidationError(
            f"“{activity.name}” must have exactly one Accountable person before anything can be approved "
            f"(it has {len(accountable)})."
        )
    return Person.objects.get(pk=next(iter(accountable)))


@transaction.atomic
def approval_request(
    *, actor, activity, kind: str, summary: str, amount: Decimal | None = None, allow_parallel: bool = False
) -> ApprovalRequest:
    """Ask for approval. `allow_parallel` lets callers that track their own requests (budget
    reallocations) keep several open on one activity."""
    workspace = activity.workspace
    requester = raci.person_for(actor, workspace)
    if requester is None or not raci.letters_of(actor, activity) & {"R", "A"}:
        raise PermissionDenied("Only the Responsible or Accountable people may ask for approval.")
    if kind not in DecisionKind.values:
        raise ValidationError({"kind": f"Unknown decision kind “{kind}”."})
    if kind == DecisionKind.BUDGET and (amount is None or amount <= 0):
        raise ValidationError({"amount": "A budget request needs a positive amount."})
    if not summary.strip():
        raise ValidationError({"summary": "Say what is to be approved."})
    if (
        not allow_parallel
        and activity.approval_requests.filter(status__in=["consulting", "pending"]).exists()
    ):
        raise ValidationError("This activity already has an open approval request.")

    accountable = _the_accountable(activity)
    path = route(accountable, kind, amount)
    approver = Person.objects.get(pk=path[-1]["person_id"])
    self_approval = False
    if approver == requester:
        if raci.policy_for(workspace).allow_recorded_self_approval:
            self_approval = True
        else:
            try:
                path = path[:-1] + route(approver, kind, amount, skip=approver)
            except ValidationError:
                raise ValidationError(
                    f"{approver.name} would approve their own request and nobody above them can. "
                    "Name a second approver (a manager with authority) or allow recorded self-approval "
                    "in the workspace's RACI policy."
                ) from None
            approver = Person.objects.get(pk=path[-1]["person_id"])

    consulted = Person.objects.filter(pk__in=raci.resolve(activity)["C"], is_active=True).exclude(
        pk=approver.pk
    )
    request = ApprovalRequest.objects.create(
        workspace=workspace,
        activity=activity,
        kind=kind,
        amount=amount,
        summary=summary.strip(),
        requested_by=requester,
        approver=approver,
        route=path,
        self_approval=self_approval,
        status=ApprovalRequest.Status.CONSULTING if consulted else ApprovalRequest.Status.PENDING,
    )
    audit.record_create(actor=actor, workspace=workspace, obj=request)
    webhook_events.approval_requested(request)  # delivery rows now, sent after commit
    for person in consulted:
        signoff = SignOff.objects.create(workspace=workspace, request=request, person=person)
        audit.record_create(actor=actor, workspace=workspace, obj=signoff)
    url = activity_url(activity)
    what = _describe(kind, amount, workspace.currency)
    if consulted:
        notify(
            workspace=workspace,
            users=[p.user for p in consulted],
            exclude=actor,
            url=url,
            subject=f"Sign-off asked: {request.summary}",
            body=f"{requester.name} asks you (Consulted) to sign off the {what} on “{activity.name}”.",
        )
    else:
        _tell_approver(request, actor)
    return request


def _tell_approver(request: ApprovalRequest, actor) -> None:
    note = " (escalated: above the Accountable person's authority)" if len(request.route) > 1 else ""
    notify(
        workspace=request.workspace,
        users=[request.approver.user],
        exclude=actor,
        url=activity_url(request.activity),
        subject=f"Approval needed: {request.summary}",
        body=f"{request.requested_by.name} asks you to approve “{request.summary}”{note}.",
    )


@transaction.atomic
def signoff_answer(*, actor, signoff: SignOff, agree: bool, comment: str = "") -> SignOff:
    request = signoff.request
    if raci.person_for(actor, request.workspace) != signoff.person:
        raise PermissionDenied("Only the Consulted person can answer their sign-off.")
    if request.status != ApprovalRequest.Status.CONSULTING or signoff.decision != SignOff.Decision.WAITING:
        raise ValidationError("This sign-off is no longer open.")
    if not agree and not comment.strip():
        raise ValidationError({"comment": "Say why you object, so the Responsible person can fix it."})
    before = audit.snapshot(signoff)
    signoff.decision = SignOff.Decision.AGREED if agree else SignOff.Decision.OBJECTED
    signoff.comment, signoff.answered_at = comment.strip(), timezone.now()
    signoff.save()
    audit.record_update(actor=actor, workspace=request.workspace, obj=signoff, before=before)
    before_request = audit.snapshot(request)
    url = activity_url(request.activity)
    if not agree:
        request.status = ApprovalRequest.Status.REJECTED
        request.decided_by, request.decided_at = signoff.person, timezone.now()
        request.decision_comment = f"Objection from {signoff.person.name}: {signoff.comment}"
        request.save()
        for hook in _decision_hooks:
            hook(request, actor)
        webhook_events.approval_decided(request)  # delivery rows now, sent after commit
        notify(
            workspace=request.workspace,
            users=[request.requested_by.user],
            exclude=actor,
            url=url,
            subject=f"Objection: {request.summary}",
            body=request.decision_comment,
        )
    elif not request.signoffs.exclude(decision=SignOff.Decision.AGREED).exists():
        request.status = ApprovalRequest.Status.PENDING
        request.save()
        _tell_approver(request, actor)
    audit.record_update(actor=actor, workspace=request.workspace, obj=request, before=before_request)
    return signoff


@transaction.atomic
def approval_decide(*, actor, request: ApprovalRequest, approve: bool, comment: str = "") -> ApprovalRequest:
    decider = raci.person_for(actor, request.workspace)
    if decider != request.approver:
        raise PermissionDenied(f"Only {request.approver.name} can decide this request.")
    if request.status == ApprovalRequest.Status.CONSULTING:
        waiting = ", ".join(s.person.name for s in request.signoffs.filter(decision=SignOff.Decision.WAITING))
        raise ValidationError(f"Waiting for sign-off from {waiting} (Consulted) before it can be decided.")
    if request.status != ApprovalRequest.Status.PENDING:
        raise ValidationError(f"This request is already {request.get_status_display().lower()}.")
    if request.self_approval and approve and not comment.strip():
        raise ValidationError({"comment": "You are approving your own work: record why (self-approval)."})
    if not approve and not comment.strip():
        raise ValidationError({"comment": "Say why it is rejected."})
    before = audit.snapshot(request)
    request.status = ApprovalRequest.Status.APPROVED if approve else ApprovalRequest.Status.REJECTED
    request.decided_by, request.decided_at, request.decision_comment = (
        decider,
        timezone.now(),
        comment.strip(),
    )
    request.save()
    audit.record_update(actor=actor, workspace=request.workspace, obj=request, before=before)
    for hook in _decision_hooks:
        hook(request, actor)
    webhook_events.approval_decided(request)  # delivery rows now, sent after commit
    verdict = "approved" if approve else "rejected"
    users = [request.requested_by.user] + [
        p.user
        for p in Person.objects.filter(
            pk__in=raci.resolve(request.activity)["I"] | raci.resolve(request.activity)["R"],
            user__isnull=False,
        ).select_related("user")
    ]
    notify(
        workspace=request.workspace,
        users=users,
        exclude=actor,
        url=activity_url(request.activity),
        subject=f"{verdict.capitalize()}: {request.summary}",
        body=f"{decider.name} {verdict} “{request.summary}”. {request.decision_comment}".strip(),
    )
    return request


@transaction.atomic
def approval_withdraw(*, actor, request: ApprovalRequest) -> ApprovalRequest:
    if raci.person_for(actor, request.workspace) != request.requested_by:
        raise PermissionDenied("Only the requester can withdraw a request.")
    if not request.is_open:
        raise ValidationError("Only an open request can be withdrawn.")
    before = audit.snapshot(request)
    request.status = ApprovalRequest.Status.WITHDRAWN
    request.save()
    audit.record_update(actor=actor, workspace=request.workspace, obj=request, before=before)
    for hook in _decision_hooks:  # the thing it was about (a reallocation) is withdrawn with it
        hook(request, actor)
    return request
