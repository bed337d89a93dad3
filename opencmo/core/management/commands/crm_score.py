"""`opencmo crm_score`: recompute every contact's lead score (engagement decays daily) and hand the
new MQLs to sales. Schedule it daily, e.g. `0 4 * * * opencmo crm_score --enqueue`."""

from django.core.management.base import BaseCommand, CommandError

from opencmo.core.models import Workspace
from opencmo.crm import services, tasks


class Command(BaseCommand):
    help = "Recompute lead scores; leads reaching the threshold become MQLs and go to sales."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (slug).")
        parser.add_argument("--enqueue", action="store_true", help="Queue the job for `opencmo db_worker`.")

    def handle(self, *args, workspace: str | None, enqueue: bool, **_) -> None:
        ws = None
        if workspace:
            ws = Workspace.objects.filter(slug=workspace).first()
            if ws is None:
                raise CommandError(f"No workspace with the slug “{workspace}”.", returncode=2)
        if enqueue:
            result = tasks.crm_rescore.enqueue(workspace_id=ws.pk if ws else None)
            self.stdout.write(f"Queued the rescoring job ({result.id}).")
            return
        from opencmo.crm.models import CrmSettings

        used = CrmSettings.objects.values_list("workspace_id", flat=True)  # workspaces using customers
        targets = [ws] if ws else Workspace.objects.filter(pk__in=used)
        for target in targets:
            counts = services.rescore_workspace(target)
            self.stdout.write(
                f"{target.slug}: {counts['rescored']} scores changed, {counts['promoted']} new MQLs."
            )
