"""Reads for the model pages, the review pack and the insights feed (always scoped to a workspace)."""

from __future__ import annotations

import datetime as dt

from opencmo.core.models import Workspace
from opencmo.mmm.models import ModelRun, Recommendation


def runs(workspace: Workspace):
    return ModelRun.objects.filter(workspace=workspace).select_related("created_by")


def recommendations(workspace: Workspace):
    return Recommendation.objects.filter(workspace=workspace).select_related("run")


def channel_labels(workspace: Workspace) -> dict[str, str]:
    from opencmo.campaigns.models import Channel

    return dict(Channel.objects.filter(workspace=workspace).values_list("key", "name"))


def latest_run(workspace: Workspace) -> ModelRun | None:
    return runs(workspace).filter(status=ModelRun.Status.DONE).order_by("-finished_at", "-pk").first()


def latest_marginal_roi(workspace: Workspace) -> dict[str, float] | None:
    """Marginal ROI per channel key from the newest finished run (None when there is none)."""
    run = latest_run(workspace)
    if run is None:
        return None
    return {row["channel"]: float(row["mroi"]) for row in run.results.get("summary", [])}


def realised_outcome(workspace: Workspace, target: str, start: dt.date, end: dt.date) -> float | None:
    """The outcome the store records for [start, end], or None until the store has data up to ``end``."""
    from opencmo.analytics.store import StoreError
    from opencmo.data.services import open_store

    table, measure = ("orders", "sum(value)") if target == "revenue" else ("conversions", "count(*)")
    try:
        with open_store(workspace, read_only=True) as store:
            last = store.execute(f"SELECT max(ts) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            if last is None or last.date() < end:
                return None
            value = store.execute(
                f"SELECT coalesce({measure}, 0)::DOUBLE FROM {table} WHERE ts >= ? AND ts < ?",  # noqa: S608
                [start, end + dt.timedelta(days=1)],
            ).fetchone()[0]
    except StoreError:
        return None
    return float(value)


def recommendations_between(workspace: Workspace, start: dt.date, end: dt.date) -> list[dict]:
    """Recommendations made in [start, end], one row per channel: created_at, channel, current,
    recommended, predicted_outcome (the whole recommendation's, for its period) and realised_outcome
    (None until the store has data for the whole period)."""
    rows = []
    realised: dict[int, float | None] = {}
    for rec in (
        recommendations(workspace)
        .filter(created_at__date__gte=start, created_at__date__lte=end)
        .order_by("created_at", "pk")
    ):
        if rec.pk not in realised:
            realised[rec.pk] = realised_outcome(workspace, rec.target, rec.period_start, rec.period_end)
        for item in rec.allocation:
            rows.append(
                {
                    "created_at": rec.created_at,
                    "recommendation": rec.pk,
                    "period_start": rec.period_start,
                    "period_end": rec.period_end,
                    "target": rec.target,
                    "channel": item["channel"],
                    "current": item["current"],
                    "recommended": item["recommended"],
                    "predicted_outcome": rec.predicted_outcome,
                    "realised_outcome": realised[rec.pk],
                }
            )
    return rows
