"""Over- and under-spend alerts to the Accountable person of a budget line.

A line is *over* when actual + committed runs ahead of its phased plan to date (including the whole
current month) by more than OVERSPEND (default 10 %); *under* when, from day UNDERSPEND_LATE_DAY of the
month (default the 20th), it runs behind by more than UNDERSPEND (default 25 %). Configure them in
Django settings: BUDGET_ALERT_OVERSPEND, BUDGET_ALERT_UNDERSPEND (shares, e.g. "0.15") and
BUDGET_ALERT_LATE_DAY.

Checked lines: the total, every leaf line and every line with an Accountable person of its own; the
alert goes to that person, else to the plan's Accountable person. Only active plans (status "active",
today within the period) are checked: a draft is not being spent yet, a closed plan is history.

Deduplication keeps no extra state: an alert is an inbox notification whose subject names the line,
the month and the kind, and whose URL points at the line; one is sent only if the recipient has no such
notification yet, so running the check again (every hour, or twice by mistake) sends nothing new, and a
line that goes over again next month alerts again.

Run by `opencmo budget-alerts` (cron) or the `budget_alerts` background task.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from opencmo.budget import ledger
from opencmo.budget.models import BudgetPlan
from opencmo.core.models import Notification, Workspace
from opencmo.core.notifications import notify
from opencmo.org import raci
from opencmo.org.models import Person
from opencmo.webhooks import events as webhook_events

OVERSPEND = Decimal("0.10")
UNDERSPEND = Decimal("0.25")
UNDERSPEND_LATE_DAY = 20


def thresholds() -> dict:
    return {
        "over": Decimal(str(getattr(settings, "BUDGET_ALERT_OVERSPEND", OVERSPEND))),
        "under": Decimal(str(getattr(settings, "BUDGET_ALERT_UNDERSPEND", UNDERSPEND))),
        "late_day": int(getattr(settings, "BUDGET_ALERT_LATE_DAY", UNDERSPEND_LATE_DAY)),
    }


@dataclass
class Alert:
    plan: BudgetPlan
    line_name: str
    kind: str
    recipients: list[str]
    sent: bool


def _subject(kind: str, line_name: str, month: dt.date) -> str:
    label = "Over plan" if kind == ledger.OVER else "Under plan"
    return f"{label}: “{line_name}” in {month:%B %Y}"[:200]


def _recipients(row, plan: BudgetPlan) -> list:
    person = row.line.accountable
    if person is not None and person.is_active and person.user_id:
        return [person.user]
    accountable = raci.resolve(plan.activity)["A"]
    return [
        p.user for p in Person.objects.filter(pk__in=accountable, user__isnull=False).select_related("user")
    ]


def run(*, workspace: Workspace | None = None, today: dt.date | None = None) -> list[Alert]:
    """Check every running plan (of one workspace, or all) and notify about lines off pace. Returns the
    alerts found, each saying whether it was sent now or had been sent before."""
    from opencmo.budget import selectors, services

    today = today or timezone.localdate()
    plans = BudgetPlan.objects.filter(
        status=BudgetPlan.Status.ACTIVE, start_date__lte=today, end_date__gte=today
    )
    if workspace is not None:
        plans = plans.filter(workspace=workspace)
    found: list[Alert] = []
    month = ledger.month_start(today)
    for plan in plans.select_related("workspace", "activity"):
        figures = selectors.plan_figures(plan, today)
        for row in figures.rows:
            checked = row.line.parent_id is None or not row.children or row.line.accountable_id
            if not checked or row.status is None:
                continue
            subject = _subject(row.status, row.line.name, month)
            url = services.line_url(row.line)
            users = _recipients(row, plan)
            fresh = [
                u
                for u in users
                if not Notification.objects.filter(
                    workspace=plan.workspace, recipient=u, subject=subject, url=url
                ).exists()
            ]
            if fresh:
                planned, used = row.pacing.to_date()
                cur = plan.workspace.currency
                direction = "ahead of" if row.status == ledger.OVER else "behind"
                body = (
                    f"{plan.name}: actual + committed spend on “{row.line.name}” is {cur} {ledger.fmt(used)} "
                    f"against {cur} {ledger.fmt(planned)} planned up to the end of {month:%B %Y}; it is "
                    f"{direction} the phased plan."
                )
                notify(workspace=plan.workspace, users=fresh, subject=subject, body=body, url=url)
                webhook_events.budget_alert(plan, row.line, row.status, month, body, url)  # sent after commit
            found.append(Alert(plan, row.line.name, row.status, [u.email for u in users], bool(fresh)))
    return found


@task()
def budget_alerts(workspace_id: int | None = None, today: str | None = None) -> int:
    """Background task: run the alerts; returns how many notifications went out."""
    workspace = Workspace.objects.get(pk=workspace_id) if workspace_id else None
    day = dt.date.fromisoformat(today) if today else None
    return sum(1 for alert in run(workspace=workspace, today=day) if alert.sent)
