"""Task services: a task and its RACI activity are made together; R and A work, A (or R without an
approval flow) finishes, C and I look on, outsiders see unrestricted work only; deliverables are done
only once approved; every change is audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import AuditEvent, Notification
from opencmo.org import raci
from opencmo.org.approvals import approval_decide, signoff_answer
from opencmo.org.models import Activity, ApprovalRequest, RaciEntry
from opencmo.work import services
from opencmo.work.models import ChecklistItem, Comment, Task
from opencmo.work.permissions import rights
from tests.work.conftest import make_campaign


def audit_of(obj, action=None):
    qs = AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
    return qs.filter(action=action) if action else qs


@pytest.mark.django_db
def test_create_makes_the_task_its_activity_and_raci_together(team, campaign, make_task):
    task = make_task(actor=team.bob, due_date=dt.date(2026, 4, 1))
    activity = task.activity
    assert activity.kind == Activity.Kind.TASK and activity.name == task.title and activity.is_open
    assert raci.resolve(activity) == {
        "R": {team.bob_p.pk},
        "A": {team.marta_p.pk},
        "C": {team.sam_p.pk},
        "I": {team.carl_p.pk},
    }
    assert audit_of(task, "create").get().actor == team.bob
    assert audit_of(activity, "create").exists()
    entries = RaciEntry.objects.filter(activity=activity)
    assert (
        AuditEvent.objects.filter(
            object_type="org.RaciEntry", object_id__in=[str(e.pk) for e in entries], actor=team.bob
        ).count()
        == 4
    )
    told = set(
        Notification.objects.filter(subject__contains=task.title).values_list("recipient__email", flat=True)
    )
    assert told == {"marta@acme.example", "sam@acme.example", "carl@acme.example"}  # never the creator
    assert Notification.objects.get(recipient=team.marta, subject__contains=task.title).url.endswith(
        f"/work/tasks/{task.pk}/"
    )


@pytest.mark.django_db
def test_defaults_creator_is_r_and_campaign_a_is_a(team, campaign):
    task = services.task_create(actor=team.bob, workspace=team.ws, title="Shoot video", campaign=campaign)
    assert raci.letters_of(team.bob, task.activity) == {"R"}
    assert raci.letters_of(team.marta, task.activity) == {"A"}
    loose = services.task_create(actor=team.bob, workspace=team.ws, title="Tidy the shared drive")
    assert raci.letters_of(team.bob, loose.activity) == {"R", "A"}


@pytest.mark.django_db
def test_restriction_is_inherited_from_the_campaign(team):
    secret = make_campaign(team.ws, "Secret launch", "secret", accountable=team.marta_p, restricted=True)
    task = services.task_create(
        actor=None, workspace=team.ws, title="Embargoed teaser", campaign=secret, responsible=[team.bob_p]
    )
    assert task.activity.restricted
    assert not rights(team.olga, task).view and rights(team.bob, task).view and rights(team.alice, task).view


@pytest.mark.django_db
def test_create_refuses_bad_input(team, campaign, vera, globex):
    with pytest.raises(ValidationError, match="title"):
        services.task_create(actor=team.bob, workspace=team.ws, title="  ")
    with pytest.raises(ValidationError, match="not also Informed"):
        services.task_create(
            actor=team.bob, workspace=team.ws, title="x", accountable=team.marta_p, informed=[team.marta_p]
        )
    foreign = globex_person(globex)
    with pytest.raises(ValidationError, match="another workspace"):
        services.task_create(actor=team.bob, workspace=team.ws, title="x", consulted=[foreign])
    with pytest.raises(ValidationError, match="cannot start as done"):
        services.task_create(actor=team.bob, workspace=team.ws, title="x", status="done")
    with pytest.raises(PermissionDenied):
        services.task_create(actor=vera, workspace=team.ws, title="Viewers only look")
    assert not Task.objects.exists() and not Activity.objects.filter(kind="task").exists()


def globex_person(globex):
    from opencmo.org.models import Person

    return Person.objects.filter(workspace=globex).first()


@pytest.mark.django_db
def test_each_letter_gets_its_rights(team, make_task):
    task = make_task(kind="deliverable", deliverable_type="Blog post")
    bob, marta, sam, carl = (rights(u, task) for u in (team.bob, team.marta, team.sam, team.carl))
    assert bob.edit and bob.work and not bob.finish and not bob.delete and not bob.people
    assert marta.edit and marta.finish and marta.delete and marta.people
    for looker in (sam, carl):
        assert looker.view and looker.comment and not looker.work and not looker.edit
    olga = rights(team.olga, task)
    assert olga.view and olga.comment and not olga.work  # a member on no letter sees unrestricted work
    assert not rights(team.agnes, task).view  # agency staff see only what they are on
    alice = rights(team.alice, task)
    assert alice.view and alice.delete and alice.people and not alice.work  # admins shape, R/A work
    services.task_update(actor=team.bob, task=task, description="Draft in the shared folder")
    services.task_update(actor=team.marta, task=task, due_date=dt.date(2026, 5, 1))
    for outsider in (team.sam, team.carl, team.olga, team.alice):
        with pytest.raises(PermissionDenied):
            services.task_update(actor=outsider, task=task, title="Not mine to change")
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=team.agnes, task=task, body="Can I see this?")


@pytest.mark.django_db
def test_update_keeps_the_activity_in_step_and_tells_people(team, make_task):
    task = make_task()
    services.task_update(actor=team.bob, task=task, title="Write the spring blog post (v2)")
    task.activity.refresh_from_db()
    assert task.activity.name == "Write the spring blog post (v2)"
    event = audit_of(task, "update").get()
    assert event.changes["title"] == ["Write the spring blog post", "Write the spring blog post (v2)"]
    assert Notification.objects.filter(recipient=team.carl, subject__contains="changed (title)").exists()
    assert not Notification.objects.filter(recipient=team.bob, subject__contains="changed").exists()
    with pytest.raises(PermissionDenied):
        services.task_update(actor=team.bob, task=task, restricted=True)  # R is not A
    services.task_update(actor=team.marta, task=task, restricted=True)
    task.activity.refresh_from_db()
    assert task.activity.restricted and not rights(team.olga, task).view


@pytest.mark.django_db
def test_plain_task_r_finishes_and_done_closes_the_activity(team, make_task):
    task = make_task(consulted=[], informed=[])
    with pytest.raises(PermissionDenied):
        services.task_move(actor=team.sam, task=task, status="doing", position=0)
    services.task_move(actor=team.bob, task=task, status="doing", position=0)
    services.task_move(actor=team.bob, task=task, status="done", position=0)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None
    assert not task.activity.is_open and task.activity.closed_at is not None
    with pytest.raises(PermissionDenied, match="move it out of Done"):
        services.task_update(actor=team.bob, task=task, title="Closed now")
    services.task_move(actor=team.bob, task=task, status="doing", position=0)
    task.refresh_from_db()
    assert task.completed_at is None and task.activity.is_open and task.activity.closed_at is None
    statuses = [e.changes.get("status") for e in audit_of(task, "update").order_by("id")]
    assert [s for s in statuses if s] == [["todo", "doing"], ["doing", "done"], ["done", "doing"]]


@pytest.mark.django_db
def test_deliverable_needs_its_content_approved_before_done(team, make_task):
    task = make_task(kind="deliverable", deliverable_type="Blog post")
    with pytest.raises(PermissionDenied, match="Only the Accountable person finishes"):
        services.task_move(actor=team.bob, task=task, status="done", position=0)
    with pytest.raises(ValidationError, match="ask for its content to be approved"):
        services.task_move(actor=team.marta, task=task, status="done", position=0)
    request = services.task_approval_request(actor=team.bob, task=task, summary="Publish the blog post")
    task.refresh_from_db()
    assert request.status == "consulting" and task.status == "review"  # asking moves it to review
    with pytest.raises(ValidationError, match="approval request open"):
        services.task_move(actor=team.marta, task=task, status="done", position=0)
    signoff_answer(actor=team.sam, signoff=request.signoffs.get(), agree=False, comment="Prices are wrong")
    task.refresh_from_db()
    assert task.status == "doing"  # the objection sends it back to work
    with pytest.raises(ValidationError, match="was rejected"):
        services.task_move(actor=team.marta, task=task, status="done", position=0)
    request = services.task_approval_request(actor=team.bob, task=task, summary="Publish v2")
    signoff_answer(actor=team.sam, signoff=request.signoffs.get(), agree=True)
    approval_decide(actor=team.marta, request=request, approve=True, comment="Go")
    services.task_move(actor=team.marta, task=task, status="done", position=0)
    task.refresh_from_db()
    assert task.status == "done" and ApprovalRequest.objects.filter(activity=task.activity).count() == 2


@pytest.mark.django_db
def test_rejected_decision_sends_the_deliverable_back_to_work(team, make_task):
    task = make_task(kind="deliverable", consulted=[])
    request = services.task_approval_request(actor=team.bob, task=task, summary="Publish")
    assert request.status == "pending"
    approval_decide(actor=team.marta, request=request, approve=False, comment="Tone is off")
    task.refresh_from_db()
    assert task.status == "doing"
    assert audit_of(task, "update").filter(actor=team.marta).exists()


@pytest.mark.django_db
def test_a_plain_task_with_an_open_request_waits_for_it(team, make_task):
    task = make_task(consulted=[])
    services.task_approval_request(actor=team.bob, task=task, kind="budget", summary="Boost", amount=1000)
    task.refresh_from_db()
    assert task.status == "todo"  # only deliverables move to review by themselves
    with pytest.raises(PermissionDenied):  # the task has an approval flow now: A finishes it
        services.task_move(actor=team.bob, task=task, status="done", position=0)
    with pytest.raises(ValidationError, match="approval request open"):
        services.task_move(actor=team.marta, task=task, status="done", position=0)


@pytest.mark.django_db
def test_moves_keep_columns_dense_and_ordered(team, make_task):
    a, b, c = (make_task(title) for title in ("A", "B", "C"))
    assert [t.position for t in (a, b, c)] == [0, 1, 2]
    services.task_move(actor=team.bob, task=c, status="todo", position=0)
    assert list(Task.objects.filter(status="todo").order_by("position").values_list("title", flat=True)) == [
        "C",
        "A",
        "B",
    ]
    services.task_move(actor=team.bob, task=a, status="doing", position=5)  # clamped to the end
    assert list(Task.objects.order_by("status", "position").values_list("status", "position", "title")) == [
        ("doing", 0, "A"),
        ("todo", 0, "C"),
        ("todo", 1, "B"),
    ]
    with pytest.raises(ValidationError):
        services.task_move(actor=team.bob, task=a, status="nowhere", position=0)


@pytest.mark.django_db
def test_delete_is_for_admins_and_the_accountable(team, make_task):
    first, second, third = make_task("One"), make_task("Two"), make_task("Three")
    services.checklist_add(actor=team.bob, task=second, text="Outline")
    services.comment_add(actor=team.carl, task=second, body="Looks good")
    for nobody in (team.bob, team.sam, team.olga):
        with pytest.raises(PermissionDenied):
            services.task_delete(actor=nobody, task=second)
    activity_pk = second.activity_id
    services.task_delete(actor=team.marta, task=second)
    assert not Activity.objects.filter(pk=activity_pk).exists()
    assert list(Task.objects.order_by("position").values_list("title", "position")) == [
        ("One", 0),
        ("Three", 1),
    ]
    deleted = AuditEvent.objects.filter(action="delete").values_list("object_type", flat=True)
    assert {"work.Task", "org.Activity", "org.RaciEntry", "work.ChecklistItem", "work.Comment"} <= set(
        deleted
    )
    services.task_delete(actor=team.alice, task=third)  # an administrator
    assert list(Task.objects.values_list("title", flat=True)) == ["One"] and first.pk


@pytest.mark.django_db
def test_checklist_is_r_and_a_work(team, make_task):
    task = make_task()
    items = [services.checklist_add(actor=team.bob, task=task, text=t) for t in ("Brief", "Draft", "Proof")]
    with pytest.raises(PermissionDenied):
        services.checklist_add(actor=team.sam, task=task, text="C may not")
    with pytest.raises(ValidationError):
        services.checklist_add(actor=team.bob, task=task, text=" ")
    services.checklist_toggle(actor=team.marta, item=items[0])
    services.checklist_move(actor=team.bob, item=items[2], position=0)
    assert list(task.checklist.values_list("text", "position", "done")) == [
        ("Proof", 0, False),
        ("Brief", 1, True),
        ("Draft", 2, False),
    ]
    brief_pk = items[0].pk
    services.checklist_delete(actor=team.bob, item=items[0])
    assert list(task.checklist.values_list("position", flat=True)) == [0, 1]
    with pytest.raises(PermissionDenied):
        services.checklist_toggle(actor=team.carl, item=items[1])
    assert AuditEvent.objects.filter(
        object_type="work.ChecklistItem", object_id=str(brief_pk), action="delete"
    )
    assert audit_of(items[1], "create").exists()


@pytest.mark.django_db
def test_comments_notify_raci_and_belong_to_their_author(team, make_task):
    task = make_task()
    comment = services.comment_add(actor=team.olga, task=task, body="Can we add the Nordic prices?")
    comment_pk = comment.pk
    told = set(
        Notification.objects.filter(subject__startswith="Comment on").values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {"bob@acme.example", "marta@acme.example", "sam@acme.example", "carl@acme.example"}
    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=team.bob, comment=comment, body="Rewritten by someone else")
    services.comment_edit(actor=team.olga, comment=comment, body="Can we add the Nordic and EU prices?")
    with pytest.raises(PermissionDenied):
        services.comment_delete(actor=team.bob, comment=comment)
    services.comment_delete(actor=team.alice, comment=comment)  # an administrator moderates
    assert not Comment.objects.exists()
    events = AuditEvent.objects.filter(object_type="work.Comment", object_id=str(comment_pk))
    assert set(events.values_list("action", flat=True)) == {"create", "update", "delete"}


@pytest.mark.django_db
def test_people_change_through_raci_set(team, make_task):
    task = make_task()
    with pytest.raises(PermissionDenied):
        services.task_set_people(actor=team.bob, task=task, responsible=[team.bob_p], accountable=team.bob_p)
    with pytest.raises(ValidationError, match="Accountable"):
        services.task_set_people(actor=team.marta, task=task, responsible=[team.bob_p], accountable=None)
    # Marta hands her A to Alice and becomes Informed; Olga becomes Consulted; Sam and Carl are dropped.
    services.task_set_people(
        actor=team.marta,
        task=task,
        responsible=[team.bob_p],
        accountable=team.alice_p,
        consulted=[team.olga_p],
        informed=[team.marta_p],
    )
    assert raci.resolve(task.activity) == {
        "R": {team.bob_p.pk},
        "A": {team.alice_p.pk},
        "C": {team.olga_p.pk},
        "I": {team.marta_p.pk},
    }
    assert (
        AuditEvent.objects.filter(object_type="org.RaciEntry", action="delete", actor=team.marta).count() == 3
    )
    assert not ChecklistItem.objects.exists()


def test_closing_a_tasks_activity_finishes_the_task(team, make_task):
    """Org's "Close activity" on a task's activity goes through work's rules and moves the card to Done."""
    from opencmo.org.raci_services import activity_close

    task = make_task()
    with pytest.raises(PermissionDenied):
        activity_close(actor=team.carl, activity=task.activity)  # Informed: may not finish it
    activity_close(actor=team.marta, activity=task.activity)
    task.refresh_from_db()
    task.activity.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None
    assert not task.activity.is_open
