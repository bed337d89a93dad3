"""Cycles, meetings, decisions, actions and reallocations: permissions, audit rows, tasks with RACI,
reallocation requests, the frozen pack and follow-up in the next review."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.budget.models import ReallocationRequest
from opencmo.core.models import AuditEvent
from opencmo.org import raci
from opencmo.reviews import services
from opencmo.reviews.models import Review, ReviewCycle
from opencmo.strategy.models import Kpi, KpiActual

pytestmark = pytest.mark.django_db
D = Decimal


def audited(obj, action="create") -> bool:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label, object_id=str(obj.pk), action=action
    ).exists()


def test_cycle_schedules_its_first_review_and_the_next_date(cycle):
    review = cycle.reviews.get()
    assert review.scheduled_for == dt.date(2026, 2, 3)
    assert cycle.next_date == dt.date(2026, 3, 3)
    assert set(cycle.participants.values_list("name", flat=True)) == {"Marta", "Alice Andersen", "Bob Berg"}
    assert audited(cycle) and audited(review)


def test_only_admins_and_cmos_set_up_cycles(team, vera):
    kwargs = dict(
        workspace=team.ws,
        kind="weekly",
        name="Weekly",
        cadence="weekly",
        first_date=dt.date(2026, 3, 2),
        chair=team.marta_p,
    )
    with pytest.raises(PermissionDenied):
        services.cycle_create(actor=team.marta, **kwargs)  # a member without the CMO hat
    with pytest.raises(PermissionDenied):
        services.cycle_create(actor=vera, **kwargs)
    with pytest.raises(ValidationError) as error:
        services.cycle_create(actor=team.alice, **{**kwargs, "cadence": "hourly"})
    assert "cadence" in error.value.message_dict
    assert not ReviewCycle.objects.filter(name="Weekly").exists()


def test_chair_records_a_decision_members_and_viewers_cannot(review, team, vera):
    with pytest.raises(PermissionDenied):
        services.decision_record(actor=team.bob, review=review, text="Spend more on search")
    with pytest.raises(PermissionDenied):
        services.decision_record(actor=vera, review=review, text="Spend more on search")
    with pytest.raises(ValidationError):
        services.decision_record(actor=team.marta, review=review, text="   ")
    decision = services.decision_record(
        actor=team.marta, review=review, text="Spend more on search", owner=team.bob_p
    )
    assert decision.owner == team.bob_p and decision.follow_up == "open"
    assert audited(decision)
    # An administrator may run any meeting too.
    assert services.decision_record(actor=team.alice, review=review, text="Keep email flat")


def test_an_action_becomes_a_task_with_the_chosen_raci(review, team):
    decision = services.decision_record(actor=team.marta, review=review, text="Fix the lead form")
    action = services.action_create(
        actor=team.marta,
        review=review,
        title="Rebuild the lead form",
        responsible=[team.bob_p],
        accountable=team.alice_p,
        due_date=dt.date(2026, 2, 20),
        decision=decision,
    )
    task = action.task
    assert task.title == "Rebuild the lead form" and task.due_date == dt.date(2026, 2, 20)
    letters = raci.resolve(task.activity)
    assert letters["R"] == {team.bob_p.pk} and letters["A"] == {team.alice_p.pk}
    assert "Fix the lead form" in task.description
    assert audited(action) and audited(task)
    with pytest.raises(PermissionDenied):
        services.action_create(
            actor=team.bob, review=review, title="x", responsible=[team.bob_p], accountable=team.alice_p
        )


def test_a_bad_action_leaves_nothing_half_written(review, team):
    from opencmo.work.models import Task

    before = Task.objects.count()
    with pytest.raises(ValidationError):
        services.action_create(
            actor=team.marta, review=review, title="", responsible=[team.bob_p], accountable=team.alice_p
        )
    assert Task.objects.count() == before and not review.actions.exists()


def test_a_reallocation_becomes_a_request_for_approval(review, tree, team):
    link = services.reallocation_create(
        actor=team.marta,
        review=review,
        from_line=tree.root,
        to_line=tree.email_line,
        amount=D("50000"),
        reason="Email outperforms",
    )
    request = link.request
    assert isinstance(request, ReallocationRequest)
    assert request.amount == D("50000") and request.status == ReallocationRequest.Status.PENDING
    assert request.approval is not None and request.approval.is_open
    assert "Monthly marketing review" in request.reason
    assert audited(link) and audited(request)


def test_reallocation_rules_of_the_budget_still_apply(review, tree, team):
    with pytest.raises(ValidationError):
        services.reallocation_create(
            actor=team.marta,
            review=review,
            from_line=tree.root,
            to_line=tree.email_line,
            amount=D("0"),
            reason="x",
        )
    assert not review.reallocations.exists()


def test_closing_freezes_the_pack_and_schedules_the_next_review(review, world, team):
    kpi = Kpi.objects.create(
        workspace=team.ws,
        objective=world.objective,
        name="Orders",
        target=100,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        cumulative=True,
    )
    KpiActual.objects.create(workspace=team.ws, kpi=kpi, date=dt.date(2026, 1, 10), value=8)
    services.review_start(actor=team.marta, review=review)
    services.decision_record(
        actor=team.marta, review=review, text="Double the order target push", owner=team.marta_p
    )
    services.review_close(actor=team.marta, review=review, notes="Good meeting")
    review.refresh_from_db()
    assert review.status == Review.Status.CLOSED and review.pack and review.pack["live"] is False
    assert review.pack["meeting"]["decisions"][0]["text"] == "Double the order target push"
    frozen = next(r for r in review.pack["objectives"]["rows"] if r["kpi_id"] == kpi.pk)
    assert D(frozen["actual"]) == 8
    # Data changes afterwards; the record stays what was discussed.
    KpiActual.objects.create(workspace=team.ws, kpi=kpi, date=dt.date(2026, 1, 20), value=50)
    from opencmo.reviews.pack import pack_for

    assert D(next(r for r in pack_for(review)["objectives"]["rows"] if r["kpi_id"] == kpi.pk)["actual"]) == 8
    with pytest.raises(ValidationError):
        services.decision_record(actor=team.marta, review=review, text="Too late")
    following = review.cycle.reviews.get(status=Review.Status.SCHEDULED)
    assert following.scheduled_for == dt.date(2026, 3, 3)
    assert (following.period_start, following.period_end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_last_reviews_decisions_and_follow_up_show_in_the_next_pack(review, team):
    from opencmo.reviews.pack import build_pack

    decision = services.decision_record(
        actor=team.marta, review=review, text="Test a new landing page", owner=team.bob_p
    )
    services.review_close(actor=team.marta, review=review)
    following = review.cycle.reviews.get(status=Review.Status.SCHEDULED)
    # The owner updates the follow-up; another member may not.
    with pytest.raises(PermissionDenied):
        services.decision_follow_up(actor=team.sam, decision=decision, follow_up="done")
    services.decision_follow_up(
        actor=team.bob, decision=decision, follow_up="done", notes="Live since 10 Feb"
    )
    assert audited(decision, "update")
    pack = build_pack(following)
    rows = pack["decisions"]["rows"]
    assert [(r["text"], r["follow_up"], r["notes"]) for r in rows] == [
        ("Test a new landing page", "done", "Live since 10 Feb")
    ]
    assert pack["decisions"]["done"] == 1 and pack["decisions"]["open"] == 0


def test_start_only_from_scheduled(review, team):
    services.review_start(actor=team.marta, review=review)
    with pytest.raises(ValidationError):
        services.review_start(actor=team.marta, review=review)
    with pytest.raises(PermissionDenied):
        services.review_close(actor=team.bob, review=review)
