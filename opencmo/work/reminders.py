"""Due-date reminders, a background job.

`send_due_reminders` tells the Responsible and Accountable people of every open task (not Done) that is
due within the next two days ("due soon": today, tomorrow, the day after) or already overdue. Each task
gets at most one reminder of each kind per day: the `ReminderSent` row (unique per task, kind and day)
is inserted in the same transaction as the notifications, so two workers running at once, or the job
running twice, remind once.

Run it daily: `opencmo remind` runs it now; `opencmo remind --enqueue` queues it for `opencmo db_worker`
(cron or a systemd timer, see the README).
"""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from opencmo.core.notifications import notify
from opencmo.org import raci
from opencmo.org.models import Person
from opencmo.work.models import ReminderSent, Task
from opencmo.work.services import task_url

DUE_SOON_DAYS = 2


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))  # the queued job receives JSON: an ISO date string


def _when(due: date, today: date) -> str:
    days = (due - today).days
    if days < 0:
        late = -days
        return f"overdue by {late} day{'s' if late != 1 else ''} (was due {due:%a %d %b})"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"due in {days} days ({due:%a %d %b})"


def _remind(item: Task, kind: str, today: date) -> bool:
    """One reminder for one task; False when it was already sent today (by this or another worker)."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(workspace=item.workspace, task=item, kind=kind, day=today)
            resolved = raci.resolve(item.activity)
            people = Person.objects.filter(
                pk__in=resolved["R"] | resolved["A"], is_active=True, user__isnull=False
            ).select_related("user")
            when = _when(item.due_date, today)
            campaign = f" ({item.campaign.name})" if item.campaign else ""
            headline = when.split(" (")[0]
            notify(
                workspace=item.workspace,
                users=[p.user for p in people],
                subject=f"{headline[0].upper()}{headline[1:]}: “{item.title}”",
                body=f"“{item.title}”{campaign} is {when}. It is {item.get_status_display().lower()}.",
                url=task_url(item),
            )
    except IntegrityError:
        return False
    return True


@task
def send_due_reminders(*, today=None) -> dict:
    """Remind R and A of open tasks due within two days or overdue, once per task, kind and day.
    `today` (a date or an ISO string) defaults to today's date in the server's time zone."""
    today = _as_date(today) or timezone.localdate()
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    tasks = (
        Task.objects.exclude(status=Task.Status.DONE)
        .filter(due_date__isnull=False, due_date__lte=horizon)
        .select_related("workspace", "campaign", "activity")
        .prefetch_related("activity__raci")
        .order_by("workspace_id", "due_date", "pk")
    )
    counts = {"day": today.isoformat(), "due_soon": 0, "overdue": 0, "already_sent": 0}
    for item in tasks:
        kind = ReminderSent.Kind.OVERDUE if item.due_date < today else ReminderSent.Kind.DUE_SOON
        if _remind(item, kind, today):
            counts[kind] += 1
        else:
            counts["already_sent"] += 1
    return counts
