"""`opencmo crm_sla`: report hand-offs to sales that are past their SLA (each breach once), now or as a
queued job. Schedule it hourly, e.g. `5 * * * * opencmo crm_sla --enqueue`, with `opencmo db_worker`
running."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from opencmo.core.models import Workspace
from opencmo.crm import services, tasks


class Command(BaseCommand):
    help = "Notify sales people (and their managers) about MQLs waiting past the hand-off SLA."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (slug).")
        parser.add_argument("--now", help="Check as if it were this moment (ISO 8601), for testing.")
        parser.add_argument("--enqueue", action="store_true", help="Queue the job for `opencmo db_worker`.")
        parser.add_argument("--json", dest="as_json", action="store_true")

    def handle(
        self, *args, workspace: str | None, now: str | None, enqueue: bool, as_json: bool, **_
    ) -> None:
        ws = None
        if workspace:
            ws = Workspace.objects.filter(slug=workspace).first()
            if ws is None:
                raise CommandError(f"No workspace with the slug “{workspace}”.", returncode=2)
        moment = None
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now takes an ISO timestamp, not “{now}”.", returncode=2) from None
            moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        if enqueue:
            result = tasks.crm_sla_check.enqueue(
                workspace_id=ws.pk if ws else None, now=moment.isoformat() if moment else None
            )
            self.stdout.write(f"Queued the SLA check ({result.id}).")
            return
        found = services.sla_check(workspace=ws, now=moment)
        if as_json:
            self.stdout.write(json.dumps({"breaches": [h.pk for h in found]}))
        else:
            self.stdout.write(f"{len(found)} new SLA breach(es) reported.")
