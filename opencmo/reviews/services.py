"""Writes for review cycles and meetings. Keyword-only, one transaction each, permission checked
(`actor=None` is the system) and audited. Actions become work tasks through `work.services.task_create`
and reallocations become budget requests through `budget.services.reallocation_request`, so RACI,
notifications and approval by authority apply unchanged."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opencmo.budget.models import BudgetLine
from opencmo.budget.services import reallocation_request
from opencmo.core import audit
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.permissions import require_member
from opencmo.org.models import Person
from opencmo.reviews import access, schedule
from opencmo.reviews.models import Review, ReviewAction, ReviewCycle, ReviewDecision, ReviewReallocation
from opencmo.work.services import task_create

Status = Review.Status


def _same_workspace(workspace: Workspace, objects: Iterable, field: str) -> None:
    for obj in objects:
        if obj is not None and obj.workspace_id != workspace.pk:
            raise ValidationError({field: f"That {obj._meta.verbose_name} belongs to another workspace."})


def _require_runner(actor, review: Review) -> None:
    require_member(actor, review.workspace, write=True)
    if not access.can_run(actor, review.cycle):
        raise PermissionDenied("Only the chair, a CMO or an administrator runs this review.")


def _require_open(review: Review) -> None:
    if review.status == Status.CLOSED:
        raise ValidationError("This review is closed: its record stays as it was discussed.")


# --- cycles -------------------------------------------------------------------------------------------


def _schedule(actor, cycle: ReviewCycle, day: dt.date) -> Review:
    start, end = schedule.period_for(cycle.kind, day)
    review = Review.objects.create(
        workspace=cycle.workspace, cycle=cycle, period_start=start, period_end=end, scheduled_for=day
    )
    audit.record_create(actor=actor, workspace=cycle.workspace, obj=review)
    return review


@transaction.atomic
def cycle_create(
    *,
    actor,
    workspace: Workspace,
    kind: str,
    name: str,
    cadence: str,
    first_date: dt.date,
    chair: Person,
    participants: Iterable[Person] = (),
) -> ReviewCycle:
    """A new cycle; its first review is scheduled on `first_date` and the dates after follow the cadence."""
    require_member(actor, workspace, write=True)
    if not access.can_manage_cycles(actor, workspace):
        raise PermissionDenied("Only administrators and CMOs set up review cycles.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the cycle a name."})
    if kind not in ReviewCycle.Kind.values:
        raise ValidationError({"kind": f"Unknown kind “{kind}”."})
    if cadence not in ReviewCycle.Cadence.values:
        raise ValidationError({"cadence": f"Unknown cadence “{cadence}”."})
    if not isinstance(first_date, dt.date):
        raise ValidationError({"first_date": "Give the date of the first review."})
    if ReviewCycle.objects.filter(workspace=workspace, name=name).exists():
        raise ValidationError({"name": f"There is already a cycle called “{name}”."})
    participants = list(participants)
    _same_workspace(workspace, [chair], "chair")
    _same_workspace(workspace, participants, "participants")
    if chair is None or not chair.is_active:
        raise ValidationError({"chair": "Choose an active person to chair the review."})
    cycle = ReviewCycle.objects.create(
        workspace=workspace,
        kind=kind,
        name=name,
        cadence=cadence,
        next_date=schedule.advance(first_date, cadence),
        chair=chair,
    )
    cycle.participants.set({p.pk for p in participants} | {chair.pk})
    audit.record_create(actor=actor, workspace=workspace, obj=cycle)
    _schedule(actor, cycle, first_date)
    return cycle


@transaction.atomic
def review_schedule_next(*, actor, cycle: ReviewCycle) -> Review:
    """Schedule the cycle's next review (on `next_date`) and move `next_date` on by the cadence."""
    require_member(actor, cycle.workspace, write=True)
    if not access.can_run(actor, cycle):
        raise PermissionDenied("Only the chair, a CMO or an administrator schedules this cycle.")
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    before = audit.snapshot(cycle)
    review = _schedule(actor, cycle, cycle.next_date)
    cycle.next_date = schedule.advance(cycle.next_date, cycle.cadence)
    cycle.save(update_fields=["next_date", "updated_at"])
    audit.record_update(actor=actor, workspace=cycle.workspace, obj=cycle, before=before)
    return review


# --- the meeting ------------------------------------------------------------------------------------


@transaction.atomic
def review_start(*, actor, review: Review) -> Review:
    _require_runner(actor, review)
    if review.status != Status.SCHEDULED:
        raise ValidationError("Only a scheduled review can start.")
    before = audit.snapshot(review)
    review.status, review.started_at = Status.IN_MEETING, timezone.now()
    review.save(update_fields=["status", "started_at", "updated_at"])
    audit.record_update(actor=actor, workspace=review.workspace, obj=review, before=before)
    return review


@transaction.atomic
def review_close(*, actor, review: Review, notes: str | None = None, today: dt.date | None = None) -> Review:
    """Freeze the pack as discussed, close the meeting and make sure the cycle's next review is scheduled."""
    from opencmo.reviews.pack import build_pack

    _require_runner(actor, review)
    review = Review.objects.select_for_update().get(pk=review.pk)
    _require_open(review)
    before = audit.snapshot(review)
    if notes is not None:
        review.notes = notes.strip()
    review.status, review.closed_at = Status.CLOSED, timezone.now()
    review.closed_by = actor if actor is not None and actor.pk else None
    review.started_at = review.started_at or review.closed_at
    review.save()
    # Frozen after the status change so the pack records the meeting's own decisions as closed.
    review.pack = build_pack(review, today=today, live=False)
    review.save(update_fields=["pack"])
    changes = audit.diff(before, audit.snapshot(review))
    changes.pop("pack", None)
    changes["pack"] = ["live", "frozen"]
    audit.record(
        actor=actor, workspace=review.workspace, action=AuditEvent.Action.UPDATE, obj=review, changes=changes
    )
    cycle = review.cycle
    if cycle.is_active and not cycle.reviews.filter(status=Status.SCHEDULED).exists():
        review_schedule_next(actor=None, cycle=cycle)
    return review


@transaction.atomic
def review_notes(*, actor, review: Review, notes: str) -> Review:
    _require_runner(actor, review)
    _require_open(review)
    before = audit.snapshot(review)
    review.notes = (notes or "").strip()
    review.save(update_fields=["notes", "updated_at"])
    audit.record_update(actor=actor, workspace=review.workspace, obj=review, before=before)
    return review


# --- decisions and actions ------------------------------------------------------------------------


@transaction.atomic
def decision_record(*, actor, review: Review, text: str, owner: Person | None = None) -> ReviewDecision:
    _require_runner(actor, review)
    _require_open(review)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write down what was decided."})
    _same_workspace(review.workspace, [owner], "owner")
    decision = ReviewDecision.objects.create(
        workspace=review.workspace,
        review=review,
        text=text,
        owner=owner,
        recorded_by=actor if actor is not None and actor.pk else None,
    )
    audit.record_create(actor=actor, workspace=review.workspace, obj=decision)
    return decision


@transaction.atomic
def decision_follow_up(*, actor, decision: ReviewDecision, follow_up: str, notes: str = "") -> ReviewDecision:
    """How a decision was carried out; updated after the meeting too (it shows in the next pack)."""
    require_member(actor, decision.workspace, write=True)
    if not access.can_follow_up(actor, decision):
        raise PermissionDenied("Only the decision's owner or whoever runs the review updates its follow-up.")
    if follow_up not in ReviewDecision.FollowUp.values:
        raise ValidationError({"follow_up": f"Unknown follow-up status “{follow_up}”."})
    before = audit.snapshot(decision)
    decision.follow_up = follow_up
    decision.follow_up_notes = (notes or "").strip()
    decision.save(update_fields=["follow_up", "follow_up_notes", "updated_at"])
    audit.record_update(actor=actor, workspace=decision.workspace, obj=decision, before=before)
    return decision


@transaction.atomic
def action_create(
    *,
    actor,
    review: Review,
    title: str,
    responsible: Iterable[Person],
    accountable: Person,
    due_date: dt.date | None = None,
    decision: ReviewDecision | None = None,
    description: str = "",
) -> ReviewAction:
    """An action from the meeting becomes a work task with the chosen Responsible and Accountable
    people (RACI rules and notifications are the work app's)."""
    _require_runner(actor, review)
    _require_open(review)
    if decision is not None and decision.review_id != review.pk:
        raise ValidationError({"decision": "That decision belongs to another review."})
    responsible = list(responsible)
    _same_workspace(review.workspace, [*responsible, accountable], "responsible")
    origin = f"Agreed in {review.cycle.name} on {review.scheduled_for:%Y-%m-%d}."
    if decision is not None:
        origin += f" Decision: {decision.text}"
    task = task_create(
        actor=actor,
        workspace=review.workspace,
        title=title,
        due_date=due_date,
        description=f"{description.strip()}\n\n{origin}".strip(),
        responsible=responsible,
        accountable=accountable,
    )
    action = ReviewAction.objects.create(
        workspace=review.workspace, review=review, decision=decision, task=task, title=task.title
    )
    audit.record_create(actor=actor, workspace=review.workspace, obj=action)
    return action


@transaction.atomic
def reallocation_create(
    *, actor, review: Review, from_line: BudgetLine, to_line: BudgetLine, amount: Decimal, reason: str
) -> ReviewReallocation:
    """A reallocation agreed in the meeting: a budget reallocation request (approval by authority as
    usual), linked to the review."""
    _require_runner(actor, review)
    _require_open(review)
    _same_workspace(review.workspace, [from_line, to_line], "from_line")
    reason = (reason or "").strip()
    request = reallocation_request(
        actor=actor,
        from_line=from_line,
        to_line=to_line,
        amount=amount,
        reason=f"{reason} (agreed in {review.cycle.name}, {review.scheduled_for:%Y-%m-%d})" if reason else "",
    )
    link = ReviewReallocation.objects.create(workspace=review.workspace, review=review, request=request)
    audit.record_create(actor=actor, workspace=review.workspace, obj=link)
    return link
