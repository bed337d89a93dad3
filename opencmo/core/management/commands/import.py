"""opencmo import <kind> FILE --workspace <slug> [--dry-run]: bring a file into a workspace.
opencmo import --recover [--workspace <slug>]: mark running imports whose worker died as failed.

Kinds: google_ads, meta, linkedin, ga4, crm_contacts. Exit status 0 when the file was imported (or,
with --dry-run, passed every check), 1 when it was rejected (every problem is printed with its row and
column), 2 for usage errors.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from opencmo.core.models import Workspace
from opencmo.data.models import ImportRun
from opencmo.data.parsers import KINDS
from opencmo.data.services import import_file, importruns_recover_stale


class Command(BaseCommand):
    help = "Import an ad-platform report, a GA4 export or CRM contacts into a workspace."

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=sorted(KINDS))
        parser.add_argument("file", nargs="?")
        parser.add_argument("--workspace", help="workspace slug")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--recover",
            action="store_true",
            help="mark running imports whose worker died as failed (all workspaces unless --workspace)",
        )

    def handle(self, *args, kind, file, workspace, dry_run, recover, **options):
        if recover:
            return self._recover(workspace)
        if not (kind and file and workspace):
            raise CommandError("Give the kind, the file and --workspace (or use --recover).")
        try:
            ws = Workspace.objects.get(slug=workspace)
        except Workspace.DoesNotExist:
            raise CommandError(f"No workspace with the slug “{workspace}”.") from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        run = import_file(
            actor=None, workspace=ws, kind=kind, filename=path.name, data=path.read_bytes(), dry_run=dry_run
        )
        self.stdout.write(f"{run.get_status_display()}: {run.message}")
        for problem in run.problems[:1000]:
            where = f"row {problem['row']}" if problem["row"] else "file"
            if problem["column"]:
                where += f", column {problem['column']}"
            self.stdout.write(f"  {where}: {problem['message']}")
        if len(run.problems) > 1000:
            self.stdout.write(f"  … and {len(run.problems) - 1000} more")
        if run.unmapped:
            self.stdout.write(
                f"Unmapped platform campaigns ({len(run.unmapped)}): " + ", ".join(run.unmapped[:20])
            )
        if run.status == ImportRun.Status.FAILED:
            raise SystemExit(1)

    def _recover(self, workspace: str | None) -> None:
        ws = None
        if workspace:
            ws = Workspace.objects.filter(slug=workspace).first()
            if ws is None:
                raise CommandError(f"No workspace with the slug “{workspace}”.")
        runs = importruns_recover_stale(workspace=ws)
        for run in runs:
            self.stdout.write(f"Run {run.pk} ({run.workspace.slug}, {run.filename}): {run.message}")
        self.stdout.write(f"{len(runs)} interrupted import{'s' if len(runs) != 1 else ''} recovered.")
