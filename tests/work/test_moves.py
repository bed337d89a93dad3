"""Kanban ordering: whatever sequence of moves (within a column or across, to any position, even past
the end), every column keeps positions 0..n-1 in the order the moves produce."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencmo.org.models import Activity
from opencmo.work import services
from opencmo.work.models import Task

COLUMNS = ["backlog", "todo", "doing", "review", "done"]

moves = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(COLUMNS), st.integers(0, 8)), min_size=1, max_size=12
)


def board_state() -> dict[str, list[int]]:
    state = {c: [] for c in COLUMNS}
    for pk, status, position in Task.objects.order_by("status", "position", "pk").values_list(
        "pk", "status", "position"
    ):
        state[status].append((position, pk))
    for status, rows in state.items():
        positions = [p for p, _ in rows]
        assert positions == list(range(len(rows))), f"{status} positions not dense: {positions}"
        state[status] = [pk for _, pk in rows]
    return state


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(1, 6), steps=moves, start=st.sampled_from(["todo", "backlog"]))
def test_any_sequence_of_moves_keeps_columns_dense(team, count, steps, start):
    Task.objects.all().delete()
    Activity.objects.filter(kind="task").delete()
    tasks = [
        services.task_create(
            actor=None,
            workspace=team.ws,
            title=f"Task {i}",
            status=start,
            responsible=[team.bob_p],
            accountable=team.marta_p,
        )
        for i in range(count)
    ]
    model = {c: [] for c in COLUMNS}
    model[start] = [t.pk for t in tasks]
    assert board_state() == model
    for index, status, position in steps:
        task = tasks[index % count]
        for column in model.values():
            if task.pk in column:
                column.remove(task.pk)
        target = model[status]
        target.insert(min(position, len(target)), task.pk)
        services.task_move(actor=None, task=task, status=status, position=position)
        assert board_state() == model
        task.refresh_from_db()
        assert (task.completed_at is not None) == (status == "done")
        assert task.activity.is_open == (status != "done")


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(0, 0)),
            st.tuples(st.just("move"), st.integers(0, 6)),
            st.tuples(st.just("delete"), st.integers(0, 6)),
        ),
        max_size=14,
    )
)
def test_checklist_positions_stay_dense(team, ops):
    Task.objects.all().delete()
    task = services.task_create(
        actor=None, workspace=team.ws, title="Checklist", responsible=[team.bob_p], accountable=team.marta_p
    )
    model: list[int] = []
    for n, (op, arg) in enumerate(ops):
        if op == "add":
            model.append(services.checklist_add(actor=team.bob, task=task, text=f"item {n}").pk)
        elif model and op == "move":
            item = task.checklist.get(pk=model[n % len(model)])
            model.remove(item.pk)
            model.insert(min(arg, len(model)), item.pk)
            services.checklist_move(actor=team.bob, item=item, position=arg)
        elif model and op == "delete":
            pk = model.pop(n % len(model))
            services.checklist_delete(actor=team.bob, item=task.checklist.get(pk=pk))
        rows = list(task.checklist.order_by("position", "pk").values_list("position", "pk"))
        assert [p for p, _ in rows] == list(range(len(rows)))
        assert [pk for _, pk in rows] == model


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    letters=st.sets(st.sampled_from("RACI")),
    kind=st.sampled_from(["task", "deliverable"]),
    asked=st.booleans(),
    done=st.booleans(),
)
def test_rights_follow_the_letters(team, letters, kind, asked, done):
    """The table in opencmo/work/permissions.py, for any letters Olga (a member, not an admin) holds."""
    from opencmo.org.models import ApprovalRequest
    from opencmo.org.raci_services import raci_set
    from opencmo.work.permissions import rights

    Task.objects.all().delete()
    task = services.task_create(
        actor=None,
        workspace=team.ws,
        title="Rights",
        kind=kind,
        responsible=[team.bob_p],
        accountable=team.marta_p,
    )
    if "A" in letters:
        raci_set(actor=None, activity=task.activity, person=team.marta_p, letters="")
    raci_set(
        actor=None,
        activity=task.activity,
        person=team.olga_p,
        letters=letters - ({"I"} if "A" in letters else set()),
    )
    if asked:
        ApprovalRequest.objects.create(
            workspace=team.ws,
            activity=task.activity,
            kind="content",
            summary="x",
            requested_by=team.bob_p,
            approver=team.marta_p,
            status="withdrawn",
        )
    if done:
        Task.objects.filter(pk=task.pk).update(status="done")
        task.refresh_from_db()
    held = letters - ({"I"} if "A" in letters else set())
    got = rights(team.olga, task)
    work = bool(held & {"R", "A"})
    assert got.view and got.comment
    assert got.letters == frozenset(held)
    assert got.work == work and got.edit == (work and not done)
    assert got.finish == ("A" in held or ("R" in held and kind == "task" and not asked))
    assert got.delete == got.people == ("A" in held)
