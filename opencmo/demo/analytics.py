"""Demo analytics: the Nordlys store filled with two years of generated facts whose true channel
effects are known (opencmo/analytics/synth.py) and recorded in the store's ``true_effects`` tables.

Spend comes from the budget demo's actuals, so the store's ``ad_performance`` spend equals the budget's
imported platform spend row for row, and the marketing-mix model sees the same money the budget shows.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from opencmo.analytics import synth
from opencmo.core.models import Workspace

AD_PLATFORMS = {
    "google_ads": "Paid Search",
    "meta": "Paid Social",
    "dv360": "Display",
    "linkedin": "Paid Social",
}


PAID = {"paid_search": "google_ads", "paid_social": "meta", "display": "dv360"}


def _ad_rows(workspace: Workspace) -> dict[str, np.ndarray] | None:
    """Every booked spend on the paid channels and every platform-imported row, as platform rows: a
    campaign's imported daily spend under its platform name, the channel's always-on invoices as an
    "always-on" platform campaign on the invoice day. So the store's paid spend equals the budget's."""
    from django.db.models import Q, Sum
    from django.db.models.functions import Coalesce

    from opencmo.budget.models import SpendEntry

    rows = list(
        SpendEntry.objects.filter(workspace=workspace)
        .annotate(key=Coalesce("channel__key", "line__channel__key", "line__parent__channel__key"))
        .filter(Q(source="import", platform__in=AD_PLATFORMS) | Q(key__in=PAID))
        .values("date", "platform", "external_campaign", "campaign_id", "key")
        .annotate(total=Sum("amount_base"))
        .order_by("date", "platform", "external_campaign")
    )
    if not rows:
        return None
    merged: dict[tuple, dict] = {}
    for r in rows:
        platform = r["platform"] if r["platform"] in AD_PLATFORMS else PAID[r["key"]]
        name = r["external_campaign"] or f"NO | always-on | {r['key']}"
        group = synth.DIGITAL[r["key"]][2] if r["key"] in synth.DIGITAL else AD_PLATFORMS[platform]
        row = merged.setdefault(
            (r["date"], platform, name),
            {"campaign_id": r["campaign_id"] or -1, "channel": group, "spend": 0.0},
        )
        row["spend"] += float(r["total"])
    keys = list(merged)
    return {
        "day": np.array([k[0] for k in keys], dtype="datetime64[D]"),
        "platform": np.array([k[1] for k in keys], dtype=object),
        "campaign_external": np.array([k[2] for k in keys], dtype=object),
        "campaign_id": np.array([merged[k]["campaign_id"] for k in keys], dtype=np.int64),
        "channel": np.array([merged[k]["channel"] for k in keys], dtype=object),
        "spend": np.array([merged[k]["spend"] for k in keys]),
    }


def build(
    workspace: Workspace, *, users: int = 200_000, seed: int = 2026, data_dir=None, aov: float = 1_200.0
) -> dict | None:
    """Generate and load the workspace's analytics from its recorded spend. Returns a summary with
    timings and row counts, or None when the workspace has no spend to build from. Loading twice does
    nothing the second time (the import fingerprint is the seed and the last day)."""
    from opencmo.analytics.store import Store
    from opencmo.mmm.dataset import daily_spend

    started = time.monotonic()
    start, spend = daily_spend(workspace)
    if start is None or not spend:
        return None
    n_days = len(next(iter(spend.values())))
    if n_days < 28:
        return None
    # a small workspace's budget buys a proportionally small number of orders: keep the order value
    data = synth.generate(
        start,
        spend,
        users=users,
        aov=aov,
        currency=workspace.currency,
        ad_rows=_ad_rows(workspace),
        seed=seed,
    )
    generated = time.monotonic() - started
    if data_dir is None:
        from opencmo.data.services import store_dir

        data_dir = store_dir()
    with Store.for_workspace(data_dir, workspace.pk) as store:
        store.migrate()
        counts = synth.load(store, data, prefix="demo")
    return {
        **data.summary,
        "counts": counts,
        "seconds_generate": round(generated, 2),
        "seconds_total": round(time.monotonic() - started, 2),
        "end": str(start + dt.timedelta(days=n_days - 1)),
    }
