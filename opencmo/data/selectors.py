"""Reads for the data pages, always within one workspace."""

from __future__ import annotations

from django.db.models import QuerySet

from opencmo.analytics.store import TABLES, StoreError
from opencmo.core.models import Workspace
from opencmo.data.models import CollectSite, ImportRun


def import_runs(workspace: Workspace, *, kind: str = "", status: str = "") -> QuerySet[ImportRun]:
    runs = ImportRun.objects.filter(workspace=workspace).select_related("created_by")
    if kind:
        runs = runs.filter(kind=kind)
    if status:
        runs = runs.filter(status=status)
    return runs


def collect_sites(workspace: Workspace) -> QuerySet[CollectSite]:
    return CollectSite.objects.filter(workspace=workspace)


def store_summary(workspace: Workspace) -> dict:
    """Row counts per store table and the date span of ad data / events (empty when no store yet)."""
    from opencmo.data.services import open_store

    path = open_store(workspace).path
    summary: dict = {"exists": bool(path and path.exists()), "tables": {t: 0 for t in TABLES}, "spans": {}}
    if not summary["exists"]:
        return summary
    try:
        with open_store(workspace, read_only=True, timeout=5) as store:
            for table in TABLES:
                summary["tables"][table] = store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            spans = {
                "ad_performance": "SELECT min(day), max(day) FROM ad_performance",
                "events": "SELECT min(ts)::DATE, max(ts)::DATE FROM events",
            }
            for table, sql in spans.items():
                low, high = store.execute(sql).fetchone()
                if low:
                    summary["spans"][table] = (low, high)
            summary["unmapped_spend"] = store.execute(
                """SELECT platform, campaign_external, currency, sum(spend) AS spend, min(day), max(day)
                   FROM ad_performance WHERE campaign_id IS NULL
                   GROUP BY ALL ORDER BY spend DESC LIMIT 50"""
            ).fetchall()
    except StoreError as error:
        summary["error"] = str(error)
    return summary


def utm_campaigns(workspace: Workspace) -> dict:
    """UTM campaign names seen on touchpoints (counts, first/last seen), split into unmapped and mapped
    (with the ``ga4_utm`` mapping), plus mappings whose name is not in the store (yet)."""
    from opencmo.campaigns.models import PlatformCampaign
    from opencmo.data.loader import utm_campaigns as stored_names
    from opencmo.data.services import UTM_PLATFORM, open_store

    mappings = {
        m.external_name: m
        for m in PlatformCampaign.objects.filter(workspace=workspace, platform=UTM_PLATFORM).select_related(
            "campaign"
        )
    }
    result: dict = {"unmapped": [], "mapped": [], "error": ""}
    names: list[dict] = []
    if open_store(workspace).path.exists():
        try:
            with open_store(workspace, read_only=True, timeout=5) as store:
                names = stored_names(store)
        except StoreError as error:
            result["error"] = str(error)
    for row in names:
        row["mapping"] = mappings.pop(row["name"], None)
        result["mapped" if row["mapping"] else "unmapped"].append(row)
    not_seen = sorted(mappings.items())  # mapped before any touchpoint carried the name
    result["mapped"] += [{"name": name, "mapping": m, "touchpoints": 0} for name, m in not_seen]
    return result
