"""`opencmo budget-alerts`: notify the Accountable people of budget lines running over or under their
phased plan (see opencmo/budget/alerts.py). Safe to run as often as you like (e.g. daily from cron):
an alert already sent for a line, month and kind is not sent again."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from opencmo.budget import alerts
from opencmo.core.models import Workspace


class Command(BaseCommand):
    help = "Send over/under-spend alerts for running budget plans."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (its slug); default: all.")
        parser.add_argument("--date", help="Check as of this day (YYYY-MM-DD); default: today.")
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the check for the background worker instead."
        )

    def handle(self, *args, workspace: str | None, date: str | None, enqueue: bool, **options) -> None:
        ws = None
        if workspace:
            ws = Workspace.objects.filter(slug=workspace).first()
            if ws is None:
                raise CommandError(f"No workspace with the slug “{workspace}”.", returncode=2)
        day = None
        if date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"“{date}” is not a date; use YYYY-MM-DD.", returncode=2) from None
        if enqueue:
            result = alerts.budget_alerts.enqueue(workspace_id=ws.pk if ws else None, today=date)
            self.stdout.write(f"Queued budget alerts (task {result.id}).")
            return
        found = alerts.run(workspace=ws, today=day)
        for alert in found:
            state = "sent" if alert.sent else "already sent"
            who = ", ".join(alert.recipients) or "nobody (no Accountable person with a login)"
            self.stdout.write(
                f"{alert.plan.workspace.slug}  {alert.plan.name}  {alert.kind:<5}  "
                f"{alert.line_name}  → {who} ({state})"
            )
        sent = sum(1 for a in found if a.sent)
        self.stdout.write(f"{len(found)} line(s) off pace; {sent} new alert(s) sent.")
