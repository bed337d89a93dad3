"""The demo's work: tasks and deliverables under every campaign, in the states a real team leaves them
(done for finished campaigns, in flight for live ones, some late, some waiting for content approval)."""

import datetime as dt
import random

from opencmo.campaigns.models import Campaign
from opencmo.org.approvals import approval_decide
from opencmo.org.models import Person
from opencmo.work import services as work
from opencmo.work.models import Task

# (title, kind, deliverable type, who does it, days before the campaign's start it is due)
TEMPLATE = [
    ("Brief and audience definition", "task", "", "project", -21),
    ("Media plan", "task", "", "agency_perf", -14),
    ("Key visual", "deliverable", "Ad creative", "designer", -10),
    ("Landing page copy", "deliverable", "Web copy", "content", -7),
    ("Social posts", "deliverable", "Social post", "social", -5),
    ("Newsletter", "deliverable", "Newsletter", "content", -3),
    ("Tracking and UTM set-up", "task", "", "analyst", -2),
    ("SEO review of landing page", "task", "", "seo", -2),
    ("Launch check", "task", "", "project", 0),
    ("Mid-flight performance review", "task", "", "analyst", 14),
    ("Results report", "deliverable", "Report", "analyst", 35),
]


def build_work(
    campaigns: list[Campaign],
    people: dict[str, Person],
    *,
    seed: int,
    today: dt.date,
    per_campaign: int | None = None,
) -> list[Task]:
    rng = random.Random(seed + 2)
    made = []
    for campaign in campaigns:
        steps = TEMPLATE if per_campaign is None else TEMPLATE[:per_campaign]
        for title, kind, deliverable_type, who, offset in steps:
            due = campaign.start_date + dt.timedelta(days=offset)
            doer = people[who]
            task = work.task_create(
                actor=None,
                workspace=campaign.workspace,
                title=title,
                campaign=campaign,
                kind=kind,
                deliverable_type=deliverable_type,
                due_date=due,
                responsible=[doer],
                accountable=people["mm"],
                informed=[people["cmo"]] if kind == "deliverable" else (),
                description=f"{title} for {campaign.name}.",
            )
            made.append(_progress(task, doer, people["mm"], today, rng))
    return made


def _progress(task: Task, doer: Person, accountable: Person, today: dt.date, rng: random.Random) -> Task:
    """Move the card as far as a real team would have by today."""
    days_left = (task.due_date - today).days
    if days_left > 21:
        return work.task_move(actor=None, task=task, status="backlog", position=0)
    if days_left > 3:
        return task
    late = rng.random() < 0.12  # some work slips
    if late and days_left > -60:
        return work.task_move(actor=None, task=task, status="doing", position=0)
    if task.kind == "deliverable":
        work.task_approval_request(actor=doer.user, task=task, summary=f"Approve: {task.title}")
        if days_left > -2 or (days_left > -60 and rng.random() < 0.5):
            return Task.objects.get(pk=task.pk)  # in review, waiting for the Accountable person's approval
        request = task.activity.approval_requests.get(status="pending")
        approval_decide(actor=request.approver.user, request=request, approve=True, comment="Good to go.")
    return work.task_move(actor=None, task=Task.objects.get(pk=task.pk), status="done", position=0)
