"""`opencmo raci`: validate, export and import a workspace's RACI matrix from the command line.

Runs as the system (actor=None), like the demo loader. Exit codes: 0 fine, 1 the matrix has errors
(`validate`), 2 bad input (unknown workspace, unreadable or invalid file).
"""

import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from opencmo.core.models import Workspace
from opencmo.org import raci, raci_io

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Validate, export or import the RACI matrix of a workspace."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{validate,export,import}")

        validate = actions.add_parser("validate", help="Print the findings; exit 1 if there is an error.")
        validate.add_argument("--format", choices=["text", "json"], default="text")

        export = actions.add_parser("export", help="Write the matrix as CSV.")
        export.add_argument("file", nargs="?", default="-", help="Where to write (default: - for stdout).")

        load = actions.add_parser("import", help="Replace the entries of the activities in a CSV file.")
        load.add_argument("file", help="The CSV file (- for stdin), in the format `export` writes.")
        load.add_argument("--dry-run", action="store_true", help="Check and report, save nothing.")

        for sub in (validate, export, load):
            sub.add_argument("--workspace", required=True, help="The workspace's slug, e.g. nordlys.")

    def handle(self, *args, action: str, workspace: str, **options) -> None:
        ws = Workspace.objects.filter(slug=workspace).first()
        if ws is None:
            raise CommandError(f"No workspace with the slug “{workspace}”.", returncode=BAD_INPUT)
        getattr(self, f"_{action}")(ws, **options)

    # --- validate ---

    def _validate(self, ws: Workspace, *, format: str, **_) -> None:
        health = raci.health(ws)
        names = {pk: a.name for pk, a in health.activities.items()}
        if format == "json":
            findings = [
                {
                    "severity": f.severity,
                    "code": f.code,
                    "message": f.message,
                    "activity": names.get(f.activity_id),
                    "activity_id": f.activity_id,
                    "person_id": f.person_id,
                    "role_key": f.role_key,
                }
                for f in health.findings
            ]
            document = {
                "workspace": ws.slug,
                "errors": len(health.errors),
                "warnings": len(health.warnings),
                "findings": findings,
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            for f in health.findings:
                label = self.style.ERROR("error  ") if f.is_error else self.style.WARNING("warning")
                self.stdout.write(f"{label}  {f.code:<26} {f.message}")
            self.stdout.write(
                f"{ws.slug}: {len(health.errors)} errors, {len(health.warnings)} warnings "
                f"in {len(health.activities)} activities."
            )
        if health.errors:
            raise CommandError(f"The RACI matrix of {ws.slug} has {len(health.errors)} errors.", returncode=1)

    # --- export ---

    def _export(self, ws: Workspace, *, file: str, **_) -> None:
        rows = raci_io.export_rows(raci_io.all_activities(ws))
        if file == "-":
            try:
                raci_io.write_csv(rows, self.stdout)
                self.stdout.flush()
            except BrokenPipeError:
                # The reader went away (`| head`): not an error. Point stdout at /dev/null so the
                # interpreter's final flush does not complain either.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        try:
            # With a byte-order mark, like the web export, so spreadsheets read Nordic letters correctly.
            with Path(file).open("w", encoding="utf-8-sig", newline="") as stream:
                raci_io.write_csv(rows, stream)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror}.", returncode=BAD_INPUT) from None
        self.stderr.write(f"Wrote the RACI matrix of {ws.slug} to {file}.")

    # --- import ---

    def _import(self, ws: Workspace, *, file: str, dry_run: bool, **_) -> None:
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.", returncode=BAD_INPUT) from None
        result = raci_io.import_csv(actor=None, workspace=ws, data=data, dry_run=dry_run)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            count = len(result.problems)
            raise CommandError(
                f"Nothing imported: {count} problem{'s' if count != 1 else ''} in {file}.",
                returncode=BAD_INPUT,
            )
        for title, lines in (
            ("Created", result.created),
            ("Updated", result.updated),
            ("Added", result.added),
            ("Removed", result.removed),
        ):
            for line in lines:
                self.stdout.write(f"{title}: {line}")
        self.stdout.write(result.summary())
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        health = result.health
        if health is not None and health.findings:
            self.stdout.write(
                f"Findings afterwards: {len(health.errors)} errors, {len(health.warnings)} warnings "
                f"(see `opencmo raci validate --workspace {ws.slug}`)."
            )
            for f in health.errors:
                self.stdout.write(f"  error  {f.message}")
