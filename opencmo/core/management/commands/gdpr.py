"""`opencmo gdpr`: the customer-data GDPR tasks from the command line (runs as the system).

    opencmo gdpr retention --workspace <slug> [--dry-run]   apply the retention policy (or list it)
    opencmo gdpr retention --all [--dry-run] [--enqueue]     every workspace with the policy switched on
    opencmo gdpr export --workspace <slug> --email <email> [--format json|html] [FILE|-]
    opencmo gdpr erase --workspace <slug> --email <email> --reason "<why>" [--no-suppress]
    opencmo gdpr check --workspace <slug> --email <email>   is the address suppressed?
    opencmo gdpr register --workspace <slug> [FILE|-]        the register of processing activities (CSV)

Schedule the retention job daily, e.g. `30 3 * * * opencmo gdpr retention --all --enqueue` with
`opencmo db_worker` running. Exit codes: 0 fine, 1 not found / refused, 2 bad input.
"""

import csv
import io
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string

from opencmo.core.models import Workspace
from opencmo.crm import gdpr, tasks
from opencmo.crm.models import Contact, Purpose
from opencmo.crm.values import normalise_email

BAD_INPUT = 2


class Command(BaseCommand):
    help = "GDPR for customer data: retention policy, access export, erasure, suppression check, register."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{retention,export,erase,check,register}"
        )
        retention = actions.add_parser("retention", help="Apply the workspace's retention policy.")
        retention.add_argument("--workspace", help="The workspace's slug.")
        retention.add_argument(
            "--all", action="store_true", help="Every workspace with the policy switched on."
        )
        retention.add_argument(
            "--dry-run", action="store_true", help="List what would be erased; change nothing."
        )
        retention.add_argument(
            "--enqueue", action="store_true", help="Queue the job for `opencmo db_worker`."
        )

        export = actions.add_parser("export", help="Everything held on one person (data-subject access).")
        export.add_argument("--format", choices=["json", "html"], default="json")
        export.add_argument("file", nargs="?", default="-", help="Where to write (default: - for stdout).")

        erase = actions.add_parser(
            "erase", help="Erase one person everywhere, keeping a hashed suppression entry."
        )
        erase.add_argument("--reason", required=True, help="Why (without naming the person).")
        erase.add_argument("--no-suppress", action="store_true", help="Do not keep the suppression entry.")

        check = actions.add_parser("check", help="Is an address suppressed (erased)?")

        register = actions.add_parser("register", help="The register of processing activities as CSV.")
        register.add_argument("file", nargs="?", default="-")

        for sub in (export, erase, check, register):
            sub.add_argument("--workspace", required=True, help="The workspace's slug.")
        for sub in (export, erase, check):
            sub.add_argument("--email", required=True)

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _workspace(self, slug: str | None) -> Workspace:
        found = Workspace.objects.filter(slug=slug).first() if slug else None
        if found is None:
            raise CommandError(f"No workspace with the slug “{slug}”.", returncode=BAD_INPUT)
        return found

    def _contact(self, workspace: Workspace, email: str) -> Contact:
        found = Contact.objects.filter(workspace=workspace, email=normalise_email(email)).first()
        if found is None:
            raise CommandError(f"No contact with that address in {workspace.slug}.", returncode=1)
        return found

    def _retention(self, *, workspace, all, dry_run, enqueue, **_) -> None:
        if not all and not workspace:
            raise CommandError("Give --workspace <slug> or --all.", returncode=BAD_INPUT)
        ws = None if all else self._workspace(workspace)
        if enqueue:
            result = tasks.gdpr_retention.enqueue(workspace_id=ws.pk if ws else None, dry_run=dry_run)
            self.stdout.write(f"Queued the retention job ({result.id}); `opencmo db_worker` runs it.")
            return
        targets = [ws] if ws else list(Workspace.objects.filter(pk__in=_enabled()))
        for target in targets:
            try:
                run = gdpr.retention_run(actor=None, workspace=target, dry_run=dry_run, trigger="command")
            except ValidationError as error:
                raise CommandError(f"{target.slug}: {' '.join(error.messages)}", returncode=1) from None
            verb = "would erase" if run.dry_run else "erased"
            self.stdout.write(
                f"{target.slug}: {run.matched} contact(s) inactive for more than {run.inactive_days} days "
                f"(before {run.cutoff:%Y-%m-%d}); {verb} {run.matched if run.dry_run else run.erased}. "
                f"Run #{run.pk}."
            )
            if run.dry_run and run.contact_refs:
                self.stdout.write("  contact ids: " + ", ".join(str(i) for i in run.contact_refs[:200]))

    def _export(self, *, workspace, email, format, file, **_) -> None:
        ws = self._workspace(workspace)
        contact = self._contact(ws, email)
        data = gdpr.access_export(actor=None, contact=contact)
        if format == "json":
            text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        else:
            text = render_to_string("crm/access_report.html", {"data": data, "contact": contact})
        if file == "-":
            self.stdout.write(text)
        else:
            Path(file).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote the access report to {file}.")

    def _erase(self, *, workspace, email, reason, no_suppress, **_) -> None:
        ws = self._workspace(workspace)
        contact = self._contact(ws, email)
        try:
            erasure = gdpr.contact_erase(actor=None, contact=contact, reason=reason, suppress=not no_suppress)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=BAD_INPUT) from None
        kept = "; the address is suppressed" if erasure.suppressed else ""
        self.stdout.write(f"Erased {erasure.contact_ref}{kept}.")

    def _check(self, *, workspace, email, **_) -> None:
        ws = self._workspace(workspace)
        if gdpr.is_suppressed(ws, email):
            self.stdout.write("suppressed")
        else:
            self.stdout.write("not suppressed")

    def _register(self, *, workspace, file, **_) -> None:
        ws = self._workspace(workspace)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "purpose",
                "lawful_basis",
                "categories_of_data",
                "data_subjects",
                "recipients",
                "transfers_outside_eea",
                "retention",
                "safeguards",
                "in_use",
            ]
        )
        for p in Purpose.objects.filter(workspace=ws):
            writer.writerow(
                [
                    p.name,
                    p.get_lawful_basis_display(),
                    p.data_categories,
                    p.data_subjects,
                    p.recipients,
                    p.transfers,
                    p.retention,
                    p.safeguards,
                    "yes" if p.is_active else "no",
                ]
            )
        if file == "-":
            self.stdout.write(buffer.getvalue(), ending="")
        else:
            Path(file).write_text(buffer.getvalue(), encoding="utf-8")
            self.stdout.write(f"Wrote the register to {file}.")


def _enabled():
    from opencmo.crm.models import CrmSettings

    return CrmSettings.objects.filter(retention_enabled=True).values_list("workspace_id", flat=True)
