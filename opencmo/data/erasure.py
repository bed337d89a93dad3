"""GDPR erasure reaches the analytics store and the imported files (registered with the CRM's erasure
handlers in DataConfig.ready): the person's rows go, and any stored import file that mentions them is
deleted (the loaded rows it produced are what remain useful, minus the person)."""

import logging

from django.conf import settings

from opencmo.analytics.store import Store

logger = logging.getLogger(__name__)

# Fact tables and the column that identifies a person in each.
PERSON_COLUMNS = {
    "events": "user_key",
    "sessions": "user_key",
    "touchpoints": "user_key",
    "conversions": "user_key",
    "orders": "customer_key",
}


def _keys(keys) -> list[str]:
    return sorted({k for k in (*keys.anonymous_ids, keys.external_id, keys.email, keys.email_hash) if k})


def erase_from_store(workspace, keys) -> dict[str, int]:
    """Delete every fact row keyed by one of the person's identifiers; returns rows removed per table."""
    identifiers = _keys(keys)
    path = Store.for_workspace(settings.DATA_DIR / "analytics", workspace.pk).path
    if not identifiers or not path.exists():
        return {}
    removed: dict[str, int] = {}
    with Store(path) as store, store.transaction() as con:
        for table, column in PERSON_COLUMNS.items():
            placeholders = ", ".join("?" for _ in identifiers)
            count = con.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IN ({placeholders})",  # noqa: S608 - fixed names
                identifiers,
            ).fetchone()[0]
            if count:
                con.execute(f"DELETE FROM {table} WHERE {column} IN ({placeholders})", identifiers)  # noqa: S608
                removed[table] = count
    return removed


def erase_from_import_files(workspace, keys) -> int:
    """Delete stored import files that mention the person (UTF-8 or UTF-16 text); returns how many."""
    from opencmo.data.models import ImportRun

    needles = keys.needles()
    patterns = [n.encode(enc) for n in needles for enc in ("utf-8", "utf-16-le")]
    deleted = 0
    for run in ImportRun.objects.filter(workspace=workspace).exclude(source=""):
        try:
            with run.source.open("rb") as handle:
                data = handle.read()
        except OSError:
            continue
        lowered = data.lower()
        if any(p.lower() in lowered for p in patterns):
            run.source.delete(save=False)
            run.source = ""
            run.save(update_fields=["source"])
            deleted += 1
    return deleted


def erase_person(workspace, keys) -> None:
    removed = erase_from_store(workspace, keys)
    files = erase_from_import_files(workspace, keys)
    logger.info("Erasure in workspace %s: store rows %s, import files %s", workspace.pk, removed, files)
