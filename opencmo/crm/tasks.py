"""Scheduled customer jobs (Django tasks, run by `opencmo db_worker`; cron enqueues them, see docs/gdpr.md):

- `crm_sla_check`: hand-offs past their SLA are reported once to the sales person and their manager;
- `crm_rescore`: engagement points decay, so scores are recomputed daily (new MQLs are handed over);
- `gdpr_retention`: each workspace with a retention policy switched on erases the contacts inactive for
  longer than its period (a RetentionRun and audit rows record what was done).

Arguments are ids and ISO timestamps only: no personal data goes into the task queue.
"""

import datetime as dt

from django.tasks import task
from django.utils import timezone

from opencmo.core.models import Workspace


def _when(now: str | None) -> dt.datetime | None:
    if not now:
        return None
    moment = dt.datetime.fromisoformat(now)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _workspaces(workspace_id: int | None):
    qs = Workspace.objects.all()
    return qs.filter(pk=workspace_id) if workspace_id else qs


@task()
def crm_sla_check(workspace_id: int | None = None, now: str | None = None) -> int:
    """Report new SLA breaches; returns how many were found."""
    from opencmo.crm.services import sla_check

    workspace = Workspace.objects.get(pk=workspace_id) if workspace_id else None
    return len(sla_check(workspace=workspace, now=_when(now)))


@task()
def crm_rescore(workspace_id: int | None = None, now: str | None = None) -> list[dict]:
    from opencmo.crm.models import CrmSettings
    from opencmo.crm.services import rescore_workspace

    with_crm = CrmSettings.objects.values_list("workspace_id", flat=True)
    return [rescore_workspace(w, now=_when(now)) for w in _workspaces(workspace_id).filter(pk__in=with_crm)]


@task()
def gdpr_retention(
    workspace_id: int | None = None, now: str | None = None, dry_run: bool = False
) -> list[dict]:
    """Run the retention policy of every workspace that has it switched on."""
    from opencmo.crm.gdpr import retention_run
    from opencmo.crm.models import CrmSettings

    enabled = CrmSettings.objects.filter(retention_enabled=True).values_list("workspace_id", flat=True)
    done = []
    for workspace in _workspaces(workspace_id).filter(pk__in=enabled):
        run = retention_run(
            actor=None, workspace=workspace, dry_run=dry_run, now=_when(now), trigger="schedule"
        )
        done.append(
            {"workspace": workspace.slug, "matched": run.matched, "erased": run.erased, "run": run.pk}
        )
    return done
