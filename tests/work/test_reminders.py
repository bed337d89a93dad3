"""Due reminders: R and A of open tasks due within two days or overdue are told once per task, kind and
day, however often (or on however many workers) the job runs; `opencmo remind` runs or queues it."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from opencmo.core.models import Notification
from opencmo.work import services
from opencmo.work.models import ReminderSent
from opencmo.work.reminders import send_due_reminders

TODAY = dt.date(2026, 4, 13)  # a Monday


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


@pytest.fixture
def due_tasks(make_task, team):
    """Tasks due from three days ago to three days ahead, one of them done, one without a date."""
    tasks = {offset: make_task(f"Due {offset:+d}", due_date=day(offset)) for offset in (-3, -1, 0, 1, 2, 3)}
    finished = make_task("Already done", due_date=day(-2), consulted=[], informed=[])
    services.task_move(actor=None, task=finished, status="done", position=0)
    make_task("Someday", due_date=None)
    Notification.objects.all().delete()
    return tasks


def reminded(kind=None):
    qs = ReminderSent.objects.all()
    return sorted(r.task.title for r in (qs.filter(kind=kind) if kind else qs))


@pytest.mark.django_db
def test_due_soon_and_overdue_are_reminded_to_r_and_a_only(
    team, due_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        counts = send_due_reminders.call(today=TODAY)
    assert counts == {"day": "2026-04-13", "due_soon": 3, "overdue": 2, "already_sent": 0}
    assert reminded("due_soon") == ["Due +0", "Due +1", "Due +2"]  # not +3, not the undated one
    assert reminded("overdue") == ["Due -1", "Due -3"]  # not the done one
    told = set(Notification.objects.values_list("recipient__email", flat=True))
    assert told == {"bob@acme.example", "marta@acme.example"}  # R and A; not C (Sam) or I (Carl)
    subjects = set(Notification.objects.filter(recipient=team.bob).values_list("subject", flat=True))
    assert {
        "Due today: “Due +0”",
        "Due tomorrow: “Due +1”",
        "Due in 2 days: “Due +2”",
        "Overdue by 1 day: “Due -1”",
        "Overdue by 3 days: “Due -3”",
    } == subjects
    note = Notification.objects.filter(recipient=team.bob, subject__contains="Due -3").get()
    assert "Spring launch" in note.body and note.url.endswith(f"/work/tasks/{due_tasks[-3].pk}/")
    assert len(mail.outbox) == 10 and all("[OpenCMO]" in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_once_per_task_kind_and_day(due_tasks):
    send_due_reminders.call(today=TODAY)
    sent = Notification.objects.count()
    again = send_due_reminders.call(today=TODAY)
    assert again["already_sent"] == 5 and again["due_soon"] == again["overdue"] == 0
    assert Notification.objects.count() == sent
    tomorrow = send_due_reminders.call(today=day(1))  # a new day: overdue ones are reminded again
    assert tomorrow["overdue"] == 3 and tomorrow["due_soon"] == 3  # 0 is now overdue; +3 is due soon


@pytest.mark.django_db
def test_a_reminder_another_worker_already_sent_is_skipped(team, due_tasks):
    ReminderSent.objects.create(workspace=team.ws, task=due_tasks[0], kind="due_soon", day=TODAY)
    counts = send_due_reminders.call(today=TODAY)
    assert counts["already_sent"] == 1 and counts["due_soon"] == 2
    assert not Notification.objects.filter(subject__contains="“Due +0”").exists()


@pytest.mark.django_db
def test_the_job_can_be_queued(due_tasks):
    result = send_due_reminders.enqueue(today=TODAY.isoformat())  # tests run jobs at once
    assert result.status == "SUCCESSFUL"
    assert result.return_value["overdue"] == 2


@pytest.mark.django_db
def test_remind_command_runs_or_queues(due_tasks):
    out = StringIO()
    call_command("remind", "--date", "2026-04-13", stdout=out)
    assert out.getvalue().strip() == "Reminders for 2026-04-13: 3 due soon, 2 overdue (0 already sent today)."
    out = StringIO()
    call_command("remind", "--date", "2026-04-13", "--json", stdout=out)
    assert json.loads(out.getvalue())["already_sent"] == 5
    out = StringIO()
    call_command("remind", "--enqueue", "--date", "2026-04-14", stdout=out)
    assert "Queued the reminders job" in out.getvalue()
    assert ReminderSent.objects.filter(day=dt.date(2026, 4, 14)).count() == 6
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("remind", "--date", "13/04/2026")


@pytest.mark.django_db
def test_remind_without_a_date_uses_today(make_task):
    make_task("Due now", due_date=timezone.localdate())
    out = StringIO()
    call_command("remind", stdout=out)
    assert f"Reminders for {timezone.localdate():%Y-%m-%d}: 1 due soon, 0 overdue" in out.getvalue()
