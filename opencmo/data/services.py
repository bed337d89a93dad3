"""Data import services: create an import run, execute it (as a background task), first-party sites.

A run is all-or-nothing per file: the parser validates every row first (a dry run stops there and
reports); a real run writes the analytics store in one DuckDB transaction and the app-database side
(spend entries, CRM contacts) inside ``transaction.atomic``; any failure rolls both back.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from opencmo.analytics.store import Store, StoreBusy, StoreError
from opencmo.core import recovery
from opencmo.core.audit import diff, record, record_create, record_delete, record_update, snapshot
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.permissions import require_admin, require_member
from opencmo.data import loader
from opencmo.data.models import CollectSite, ImportRun
from opencmo.data.parsers import AD_KINDS, PARSERS, Parsed, ga4

log = logging.getLogger(__name__)

MAX_UPLOAD = 512 * 1024 * 1024  # bytes
UTM_PLATFORM = "ga4_utm"


def store_dir() -> Path:
    return Path(settings.DATA_DIR) / "analytics"


def open_store(workspace: Workspace, **options) -> Store:
    return Store.for_workspace(store_dir(), workspace.pk, **options)


def fingerprint_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def campaign_map(workspace: Workspace, platform: str) -> dict[str, int]:
    from opencmo.campaigns.models import PlatformCampaign

    return dict(
        PlatformCampaign.objects.filter(workspace=workspace, platform=platform).values_list(
            "external_name", "campaign_id"
        )
    )


def importrun_create(
    *,
    actor,
    workspace: Workspace,
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    enqueue: bool = True,
    upload: bool = True,
) -> ImportRun:
    """Record an upload and queue its import (``enqueue=False`` leaves it for the caller to execute).
    Uploads through the browser or the API are capped at ``MAX_UPLOAD``; files read from the server's
    disk by the CLI (``upload=False``) only by the memory check before parsing."""
    require_member(actor, workspace, write=True)
    if kind in AD_KINDS:
        _require_spend_keeper(actor, workspace)
    errors = {}
    if kind not in PARSERS:
        errors["kind"] = "Choose what kind of file this is."
    if not data:
        errors["file"] = "The file is empty."
    elif upload and len(data) > MAX_UPLOAD:
        errors["file"] = (
            f"The file is larger than {MAX_UPLOAD // 1024 // 1024} MB; use the command line importer."
        )
    if errors:
        raise ValidationError(errors)
    name = Path(filename or "upload").name[:200] or "upload"
    with transaction.atomic():
        run = ImportRun(
            workspace=workspace,
            kind=kind,
            filename=name,
            fingerprint=fingerprint_of(data),
            size=len(data),
            dry_run=dry_run,
            created_by=actor if actor is not None and actor.pk else None,
        )
        run.source.save(f"{workspace.pk}-{name}", ContentFile(data), save=False)
        run.save()
        created = {k: [None, v] for k, v in _snapshot(run).items() if v not in (None, "", [], {})}
        record(actor=actor, workspace=workspace, action=AuditEvent.Action.CREATE, obj=run, changes=created)
        if enqueue:
            from opencmo.data.tasks import run_import

            transaction.on_commit(lambda: run_import.enqueue(run_pk=run.pk))
    return run


def _require_spend_keeper(actor, workspace: Workspace) -> None:
    """Ad spend also lands in the budget ledger, so it takes the ledger's right to keep spend data."""
    if actor is None:
        return
    try:
        from opencmo.budget import access as budget_access
    except ImportError:  # pragma: no cover - budget app absent
        return
    can_keep = getattr(budget_access, "can_keep_data", None)
    if can_keep is not None and not can_keep(actor, workspace):
        raise PermissionDenied(
            "Ad spend feeds the budget: only administrators and the people Responsible or Accountable "
            "for a budget may import ad-platform reports."
        )


def _snapshot(run: ImportRun) -> dict:
    """The audit snapshot of a run (the stored file by name: a file object is not JSON)."""
    values = {}
    for field in run._meta.concrete_fields:
        if field.name in {"created_at", "updated_at"}:
            continue
        value = field.value_from_object(run)
        if field.name == "source":
            value = value.name if value else ""
        values[field.name] = value
    return snapshot_jsonable(values)


def snapshot_jsonable(values: dict) -> dict:
    import datetime as dt

    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in values.items()}


def _save(run: ImportRun, **fields) -> None:
    fields.setdefault("heartbeat_at", timezone.now())  # every save is also a sign of life
    for name, value in fields.items():
        setattr(run, name, value)
    ImportRun.objects.filter(pk=run.pk).update(**fields)


def importrun_execute(*, run: ImportRun, data: bytes | None = None) -> ImportRun:
    """Parse, validate and (unless a dry run) load the run's file. Never raises for bad files: the outcome
    and every problem are saved on the run."""
    if run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        return run
    before = _snapshot(run)
    _save(
        run,
        status=ImportRun.Status.RUNNING,
        started_at=timezone.now(),
        progress=1,
        worker=recovery.worker_id(),
        recovered_at=None,
    )
    with recovery.Heartbeat(run.pk):
        try:
            if data is None:
                with run.source.open("rb") as handle:
                    data = handle.read()
            _execute(run, data)
        except Exception as error:  # a bug or an unavailable store must still end the run visibly
            log.exception("Import run %s failed", run.pk)
            _save(run, status=ImportRun.Status.FAILED, message=f"The import stopped: {error}"[:2000])
        # a run marked dead while it was only slow is put right by its real outcome (recovered_at cleared)
        _save(run, finished_at=timezone.now(), progress=100, recovered_at=None)
    changes = diff(before, _snapshot(run))
    changes.pop("problems", None)  # can be long; they stay on the run
    record(
        actor=run.created_by,
        workspace=run.workspace,
        action=AuditEvent.Action.UPDATE,
        obj=run,
        changes=changes,
    )
    _notify(run)
    return run


# Memory the GA4 importer needs besides the file itself, per event: the event as Arrow, its key in the
# duplicate check, its share of the sessions and the store's index while loading. Measured: a 3.2 GB
# NDJSON export of 10M events (about six events a session) peaked at 9.7 GB, i.e. the file plus about
# 650 bytes an event; 1 KB leaves room for longer parameters and fewer events per session.
GA4_BYTES_PER_EVENT = 1024


def _available_memory() -> int | None:
    """Bytes of memory the kernel says are available (Linux), else None (no check)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_refusal(kind: str, data: bytes) -> str | None:
    """Why a file is too big to import on this machine, before parsing it (an import that runs out of
    memory is killed by the kernel and takes the worker with it), or None."""
    if kind != "ga4":
        return None  # row tables of ad platforms and CRMs stay well below the memory at any real size
    available = _available_memory()
    if available is None:
        return None
    events = ga4.events_in(data)
    needed = len(data) + events * GA4_BYTES_PER_EVENT
    if needed <= available:
        return None
    gb = 1024**3
    return (
        f"This GA4 export holds about {events:,} events in {len(data) / gb:.1f} GB: reading it needs "
        f"about {needed / gb:.0f} GB of memory and {available / gb:.0f} GB is free. Import it per daily "
        "export table (events_YYYYMMDD), or in smaller files; each is loaded once, whatever the order."
    )


def _execute(run: ImportRun, data: bytes) -> None:
    workspace = run.workspace
    refusal = memory_refusal(run.kind, data)
    if refusal:
        _save(run, status=ImportRun.Status.FAILED, message=refusal)
        return
    parsed: Parsed = PARSERS[run.kind](data, default_currency=workspace.currency)
    counts = {t: len(rows) for t, rows in parsed.tables.items()}
    fields = {
        "rows_read": parsed.rows_read,
        "counts": counts,
        "problems": [p.as_dict() for p in parsed.problems],
    }
    if parsed.problems:
        _save(run, status=ImportRun.Status.FAILED, message=_problem_summary(parsed), **fields)
        return
    unmapped = _unmapped(workspace, run.kind, parsed)
    fields["unmapped"] = unmapped
    _save(run, progress=30, **fields)
    if run.kind == "crm_contacts":
        _crm(run, parsed)
        return
    if run.dry_run:
        extra = _app_side(run, parsed, dry_run=True)
        if extra.get("problems"):
            _save(
                run,
                status=ImportRun.Status.FAILED,
                problems=extra["problems"],
                message="The spend ledger refused some rows.",
            )
            return
        message = "Dry run: nothing was written. " + _count_text(counts)
        if open_store(workspace).path.exists():  # a dry run never creates the store
            with open_store(workspace, read_only=True) as store:
                if loader.already_imported(store, run.fingerprint) is not None:
                    message += (
                        " This exact file has already been imported; importing it again would change nothing."
                    )
        _save(run, status=ImportRun.Status.CHECKED, message=message)
        return
    mapping = campaign_map(workspace, UTM_PLATFORM if run.kind == "ga4" else run.kind)
    try:
        with open_store(workspace, timeout=120) as store:
            store.migrate()
            result = _load_both(run, store, parsed, mapping)
    except StoreBusy as busy:
        _save(run, status=ImportRun.Status.FAILED, message=str(busy))
        return
    if result is None:
        return
    if result.duplicate:
        _save(
            run,
            status=ImportRun.Status.DUPLICATE,
            store_import_id=result.import_id,
            counts={},
            message="This exact file was imported before (same SHA-256); nothing was written.",
        )
        return
    _save(
        run,
        status=ImportRun.Status.SUCCEEDED,
        store_import_id=result.import_id,
        counts=result.counts,
        message="Imported. " + _count_text(result.counts),
    )


def _load_both(run: ImportRun, store: Store, parsed: Parsed, mapping: dict[str, int]):
    """Store and app database together: the app side (spend ledger) runs inside the store transaction,
    itself inside ``transaction.atomic``, so a refusal on either side rolls both back."""
    problems: list = []

    class Refused(Exception):
        pass

    def progress(percent: int) -> None:
        recovery.beat(run.pk)  # visible at once, unlike the update below (inside the transaction)
        ImportRun.objects.filter(pk=run.pk).update(progress=30 + percent * 6 // 10)

    def app_side() -> None:
        extra = _app_side(run, parsed, dry_run=False)
        if extra.get("problems"):
            problems.extend(extra["problems"])
            raise Refused

    try:
        with transaction.atomic():
            return loader.load(
                store,
                kind=run.kind,
                tables=parsed.tables,
                fingerprint=run.fingerprint,
                filename=run.filename,
                campaign_ids=mapping,
                progress=progress,
                before_commit=app_side,
            )
    except Refused:
        _save(
            run,
            status=ImportRun.Status.FAILED,
            problems=problems,
            message="The spend ledger refused some rows; nothing was written.",
        )
        return None


def _app_side(run: ImportRun, parsed: Parsed, *, dry_run: bool) -> dict:
    """Ad spend also becomes SpendEntry rows in the budget ledger, when the budget app offers it."""
    if run.kind not in AD_KINDS:
        return {}
    from opencmo.budget import services as budget

    if not hasattr(budget, "spend_import_rows"):
        return {}
    rows = [
        {
            "date": r["day"],
            "amount": r["spend"],
            "currency": r["currency"],
            "external_campaign": r["campaign_external"],
            "external_id": r.get("campaign_external_id", ""),
            "natural_key": ":".join(
                [run.kind, r["day"].isoformat(), r["account"], r["campaign_external"], r["ad_group"]]
            )[:255],
            "description": f"{r['ad_group']}".strip()[:200],
        }
        for r in parsed.tables.get("ad_performance", [])
    ]
    report = budget.spend_import_rows(
        actor=run.created_by, workspace=run.workspace, rows=rows, platform=run.kind, dry_run=dry_run
    )
    lines = {i + 1: r["line"] for i, r in enumerate(parsed.tables.get("ad_performance", []))}
    problems = [
        {"row": lines.get(p.row, p.row), "column": p.field, "message": f"Spend ledger: {p.message}"}
        for p in report.problems
    ]
    return {"problems": problems}


def _crm(run: ImportRun, parsed: Parsed) -> None:
    from opencmo.crm import services as crm_services

    importer = getattr(crm_services, "contacts_import_rows", None)
    if importer is None:
        from opencmo.crm import imports as crm_imports

        importer = getattr(crm_imports, "contacts_import_rows", None)
    if importer is None:
        _save(
            run,
            status=ImportRun.Status.FAILED,
            message="The CRM importer is not available in this installation.",
        )
        return
    report = importer(
        actor=run.created_by, workspace=run.workspace, rows=parsed.tables["contacts"], dry_run=run.dry_run
    )
    problems = [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors]
    counts = {
        "contacts_created": report.created,
        "contacts_updated": report.updated,
        "consents": report.consents,
    }
    if problems:
        _save(
            run,
            status=ImportRun.Status.FAILED,
            problems=problems,
            message=f"{len(problems)} problem(s); nothing was written.",
        )
    elif run.dry_run:
        _save(
            run,
            status=ImportRun.Status.CHECKED,
            counts=counts,
            message="Dry run: nothing was written. " + _count_text(counts),
        )
    else:
        _save(
            run, status=ImportRun.Status.SUCCEEDED, counts=counts, message="Imported. " + _count_text(counts)
        )


def _unmapped(workspace: Workspace, kind: str, parsed: Parsed) -> list[str]:
    if kind in AD_KINDS:
        names = {r["campaign_external"] for r in parsed.tables.get("ad_performance", [])}
        platform = kind
    elif kind == "ga4":
        names = {
            t["campaign"]
            for t in parsed.tables.get("touchpoints", [])
            if t["campaign"] and not t["campaign"].startswith("(")
        }
        platform = UTM_PLATFORM
    else:
        return []
    return sorted(names - set(campaign_map(workspace, platform)))[:500]


def _count_text(counts: dict[str, int]) -> str:
    from opencmo.data.models import TABLE_LABELS

    return (
        ", ".join(f"{n:,} {TABLE_LABELS.get(t, t.replace('_', ' ')).lower()}" for t, n in counts.items() if n)
        or "no rows"
    ) + "."


def _problem_summary(parsed: Parsed) -> str:
    n = len(parsed.problems)
    first = str(parsed.problems[0])
    return f"{n} problem{'s' if n != 1 else ''}; nothing was written. First: {first}"


def _notify(run: ImportRun) -> None:
    if run.created_by is None:
        return
    from django.urls import reverse

    from opencmo.core.notifications import notify

    notify(
        workspace=run.workspace,
        users=[run.created_by],
        subject=f"Import of {run.filename}: {run.get_status_display().lower()}",
        body=run.message[:500],
        url=reverse("import_run_detail", kwargs={"ws": run.workspace.slug, "importrun_pk": run.pk}),
    )


def import_file(
    *, actor, workspace: Workspace, kind: str, filename: str, data: bytes, dry_run: bool = False
) -> ImportRun:
    """Create and execute a run in this process (the CLI and tests)."""
    run = importrun_create(
        actor=actor,
        workspace=workspace,
        kind=kind,
        filename=filename,
        data=data,
        dry_run=dry_run,
        enqueue=False,
        upload=False,
    )
    return importrun_execute(run=run, data=data)


def importrun_recover(*, run: ImportRun, now=None) -> bool:
    """Mark a running import whose worker died (see ``data.recovery``) as failed, with the reason and
    what to do. Returns whether the run was recovered. Safe to call from any process at any time."""
    reason = recovery.death_reason(run, now)
    if reason is None:
        return False
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().filter(pk=run.pk).first()
        if locked is None or recovery.death_reason(locked, now) is None:
            return False
        before = _snapshot(locked)
        message = f"The import stopped: {reason}. " + _stored_text(locked)
        _save(
            locked,
            status=ImportRun.Status.FAILED,
            message=message[:2000],
            finished_at=timezone.now(),
            recovered_at=timezone.now(),
            heartbeat_at=locked.heartbeat_at,
        )
        record(
            actor=None,
            workspace=locked.workspace,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            changes=diff(before, _snapshot(locked)),
        )
    recovery.forget(run.pk)
    for name in ("status", "message", "finished_at", "recovered_at"):
        setattr(run, name, getattr(locked, name))
    log.warning("Import run %s recovered: %s", run.pk, reason)
    return True


def _stored_text(run: ImportRun) -> str:
    """What the store holds of a dead run's file: normally nothing (all or nothing per file)."""
    if run.dry_run or run.kind == "crm_contacts":
        return "Nothing was written. You can start the import again."
    found = None
    if open_store(run.workspace).path.exists():
        try:
            with open_store(run.workspace, read_only=True, timeout=2) as store:
                found = loader.already_imported(store, run.fingerprint)
        except StoreError:
            return (
                "The analytics store is busy, so it could not be checked; a file is loaded all or "
                "nothing, so importing it again is safe."
            )
    if found is None:
        return (
            "Nothing was written: the analytics store loads a file all or nothing. "
            "Importing the file again is safe and loads it once."
        )
    return (
        f"The analytics store did receive this file (import {found}) just before the worker stopped; "
        "importing it again changes nothing there. Check that its spend reached the budget."
    )


def importruns_recover_stale(*, workspace: Workspace | None = None) -> list[ImportRun]:
    """Recover every dead running import (of one workspace, or all): the run page, the data page, the
    import task on start and ``opencmo import --recover`` call this."""
    runs = ImportRun.objects.filter(status=ImportRun.Status.RUNNING).select_related("workspace")
    if workspace is not None:
        runs = runs.filter(workspace=workspace)
    return [run for run in runs if importrun_recover(run=run)]


def store_remap(*, actor, workspace: Workspace) -> dict[str, int]:
    """Apply the current platform-campaign mappings to the rows already in the store."""
    require_member(actor, workspace, write=True)
    from opencmo.campaigns.models import PlatformCampaign

    ads, utm = {}, {}
    for platform, name, campaign in PlatformCampaign.objects.filter(workspace=workspace).values_list(
        "platform", "external_name", "campaign_id"
    ):
        if platform == UTM_PLATFORM:
            utm[name] = campaign
        else:
            ads[(platform, name)] = campaign
    with open_store(workspace) as store:
        return loader.remap_campaigns(store, ads=ads, utm=utm)


# --- GA4 / first-party UTM campaign names ---


def utm_campaign_map(*, actor, workspace: Workspace, name: str, campaign) -> tuple[object, int]:
    """Map a UTM campaign name (as GA4 and the collector record it) to our campaign: the mapping is kept
    (platform ``ga4_utm``, so future imports match) and the touchpoints already stored get the campaign.
    Returns the mapping and how many touchpoints changed. Mapping again is harmless (0 changed)."""
    require_member(actor, workspace, write=True)
    from opencmo.campaigns.models import Campaign, PlatformCampaign

    name = (name or "").strip()
    if not name or len(name) > 255 or name.startswith("("):
        raise ValidationError({"name": "Give the UTM campaign name as it appears in the data."})
    if not isinstance(campaign, Campaign) or campaign.workspace_id != workspace.pk:
        raise ValidationError({"campaign": "Choose one of this workspace's campaigns."})
    with transaction.atomic():
        mapping = (
            PlatformCampaign.objects.select_for_update()
            .filter(workspace=workspace, platform=UTM_PLATFORM, external_name=name)
            .first()
        )
        if mapping is None:
            mapping = PlatformCampaign.objects.create(
                workspace=workspace, platform=UTM_PLATFORM, external_name=name, campaign=campaign
            )
            record_create(actor=actor, workspace=workspace, obj=mapping)
        elif mapping.campaign_id != campaign.pk:
            before = snapshot(mapping)
            mapping.campaign = campaign
            mapping.save()
            record_update(actor=actor, workspace=workspace, obj=mapping, before=before)
        # the store follows inside the app transaction: if it is busy, the mapping is not kept either
        changed = 0
        if open_store(workspace).path.exists():
            with open_store(workspace, timeout=30) as store:
                changed = loader.map_utm_campaign(store, name=name, campaign_id=campaign.pk)
    return mapping, changed


def utm_mapping_delete(*, actor, mapping) -> int:
    """Remove a wrong UTM mapping; its touchpoints lose the campaign. Returns touchpoints changed."""
    workspace = mapping.workspace
    require_member(actor, workspace, write=True)
    if mapping.platform != UTM_PLATFORM:
        raise ValidationError("Only UTM campaign mappings are managed here.")
    with transaction.atomic():
        record_delete(actor=actor, workspace=workspace, obj=mapping)
        name, previous = mapping.external_name, mapping.campaign_id
        mapping.delete()
        changed = 0
        if open_store(workspace).path.exists():
            with open_store(workspace, timeout=30) as store:
                changed = loader.map_utm_campaign(store, name=name, campaign_id=None, previous=previous)
    return changed


# --- first-party collection sites ---


def collectsite_create(*, actor, workspace: Workspace, name: str, origin: str) -> CollectSite:
    require_admin(actor, workspace)
    site = CollectSite(workspace=workspace, name=(name or "").strip(), origin=_origin(origin))
    site.full_clean()
    with transaction.atomic():
        site.save()
        record_create(actor=actor, workspace=workspace, obj=site)
    return site


def collectsite_update(
    *, actor, site: CollectSite, name: str, origin: str, is_active: bool, rotate_key: bool = False
) -> CollectSite:
    require_admin(actor, site.workspace)
    with transaction.atomic():
        site = CollectSite.objects.select_for_update().get(pk=site.pk)
        before = snapshot(site)
        site.name, site.origin, site.is_active = (name or "").strip(), _origin(origin), is_active
        if rotate_key:
            from opencmo.data.models import new_site_key

            site.key = new_site_key()
        site.full_clean()
        site.save()
        record_update(actor=actor, workspace=site.workspace, obj=site, before=before)
    return site


def collectsite_delete(*, actor, site: CollectSite) -> None:
    require_admin(actor, site.workspace)
    with transaction.atomic():
        record_delete(actor=actor, workspace=site.workspace, obj=site)
        site.delete()


def _origin(value: str) -> str:
    from urllib.parse import urlsplit

    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"origin": "Give the site's address, e.g. https://www.example.com."})
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError({"origin": "Give only the origin (scheme and host), without a path."})
    return f"{parts.scheme}://{parts.netloc.lower()}"


__all__ = [
    "PermissionDenied",
    "collectsite_create",
    "collectsite_delete",
    "collectsite_update",
    "import_file",
    "importrun_create",
    "importrun_execute",
    "importrun_recover",
    "importruns_recover_stale",
    "store_remap",
    "utm_campaign_map",
    "utm_mapping_delete",
]
