"""`opencmo remind`: send the due-soon and overdue task reminders now, or queue the job for a worker.

Schedule it once a day, e.g. with cron (`crontab -e` as the user running OpenCMO):

    15 7 * * *  cd /srv/opencmo && .venv/bin/opencmo remind --enqueue

and keep a worker running (`opencmo db_worker`, e.g. as a systemd service). Running it twice on one day,
or from two machines, sends each reminder once.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from opencmo.work.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "Remind the Responsible and Accountable people of open tasks due within two days or overdue "
        "(once per task and day). --enqueue queues the job for `opencmo db_worker` instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the job for `opencmo db_worker` instead of running it.",
        )
        parser.add_argument(
            "--date",
            dest="on",
            metavar="YYYY-MM-DD",
            help="Remind as if today were this date (default: today).",
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args, enqueue: bool, on: str | None, as_json: bool, **options) -> None:
        today = _parse(on)
        kwargs = {"today": today.isoformat()} if today else {}
        if enqueue:
            result = send_due_reminders.enqueue(**kwargs)
            self.stdout.write(f"Queued the reminders job ({result.id}); `opencmo db_worker` runs it.")
            return
        counts = send_due_reminders.call(**kwargs)
        if as_json:
            self.stdout.write(json.dumps(counts))
            return
        self.stdout.write(
            f"Reminders for {counts['day']}: {counts['due_soon']} due soon, {counts['overdue']} overdue"
            f" ({counts['already_sent']} already sent today)."
        )


def _parse(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date takes a date as YYYY-MM-DD, not “{value}”.", returncode=2) from None
