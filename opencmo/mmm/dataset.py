"""The model's weekly inputs for a workspace: spend per channel from the budget's actuals (every
SpendEntry, imported or invoiced, in the workspace currency) and the outcome from the analytics store
(orders revenue, or conversions). Only whole Monday-to-Sunday weeks are used."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
from django.db.models import Sum
from django.db.models.functions import Coalesce

from opencmo.analytics.mmm import MMMData
from opencmo.analytics.store import StoreError
from opencmo.core.models import Workspace


@dataclass
class Inputs:
    data: MMMData
    fingerprint: str
    start: dt.date
    end: dt.date


def _spend_rows(workspace: Workspace, start: dt.date | None = None, end: dt.date | None = None):
    from opencmo.budget.models import SpendEntry

    rows = SpendEntry.objects.filter(workspace=workspace)
    if start:
        rows = rows.filter(date__gte=start)
    if end:
        rows = rows.filter(date__lte=end)
    return (
        rows.annotate(key=Coalesce("channel__key", "line__channel__key", "line__parent__channel__key"))
        .exclude(key__isnull=True)
        .values("date", "key")
        .annotate(total=Sum("amount_base"))
        .order_by("date")
    )


def daily_spend(workspace: Workspace, start=None, end=None) -> tuple[dt.date | None, dict[str, np.ndarray]]:
    """``(first day, {channel key: daily spend array})`` over the days with any spend."""
    rows = list(_spend_rows(workspace, start, end))
    if not rows:
        return None, {}
    first = start or rows[0]["date"]
    last = end or rows[-1]["date"]
    n = (last - first).days + 1
    out: dict[str, np.ndarray] = {}
    for row in rows:
        out.setdefault(row["key"], np.zeros(n))[(row["date"] - first).days] += float(row["total"])
    return first, out


def available_channels(workspace: Workspace) -> list[tuple[str, str]]:
    """(key, name) of channels with spend, for the new-run form."""
    from opencmo.campaigns.models import Channel

    keys = set(_spend_rows(workspace).values_list("key", flat=True).distinct())
    names = dict(Channel.objects.filter(workspace=workspace, key__in=keys).values_list("key", "name"))
    return sorted(((k, names.get(k, k)) for k in keys), key=lambda kv: kv[1])


def spend_period(workspace: Workspace) -> tuple[dt.date, dt.date] | None:
    from opencmo.budget.models import SpendEntry

    dates = SpendEntry.objects.filter(workspace=workspace).order_by("date").values_list("date", flat=True)
    first, last = dates.first(), dates.last()
    return (first, last) if first else None


def weekly_outcome(workspace: Workspace, target: str, start: dt.date, end: dt.date) -> dict[dt.date, float]:
    """Outcome per week start from the store ({} when the store has none)."""
    from opencmo.data.services import open_store

    sql = {
        "revenue": "SELECT CAST(date_trunc('week', ts) AS DATE) w, sum(value)::DOUBLE FROM orders "
        "WHERE ts >= ? AND ts < ? GROUP BY 1",
        "conversions": "SELECT CAST(date_trunc('week', ts) AS DATE) w, count(*)::DOUBLE FROM conversions "
        "WHERE ts >= ? AND ts < ? GROUP BY 1",
    }[target]
    try:
        with open_store(workspace, read_only=True) as store:
            rows = store.execute(sql, [start, end + dt.timedelta(days=1)]).fetchall()
    except StoreError:
        return {}
    return {w: float(v) for w, v in rows}


def inputs(workspace: Workspace, *, channels: list[str], start: dt.date, end: dt.date, target: str) -> Inputs:
    """The model's weekly data for the whole weeks in ``[start, end]``; raises ValueError naming the
    field when there is nothing to model."""
    # whole weeks only: from the first Monday on or after start to the last Sunday on or before end
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    last = end - dt.timedelta(days=(end.weekday() + 1) % 7)
    if last <= first:
        raise ValueError("period: the period holds no whole week.")
    _, spend = daily_spend(workspace, first, last)
    missing = [c for c in channels if c not in spend]
    if missing:
        raise ValueError(f"channels: no spend in the period for {', '.join(missing)}.")
    n_weeks = ((last - first).days + 1) // 7
    weeks = [first + dt.timedelta(days=7 * i) for i in range(n_weeks)]
    matrix = np.column_stack([spend[c][: n_weeks * 7].reshape(n_weeks, 7).sum(axis=1) for c in channels])
    outcome = weekly_outcome(workspace, target, first, last)
    if not outcome:
        raise ValueError(f"target: the analytics store has no {target} in the period; import orders first.")
    y = np.array([outcome.get(w, 0.0) for w in weeks])
    data = MMMData(weeks=[w.isoformat() for w in weeks], channels=list(channels), spend=matrix, y=y)
    digest = hashlib.sha256()
    digest.update(json.dumps([data.weeks, data.channels, target]).encode())
    digest.update(np.round(matrix, 4).tobytes())
    digest.update(np.round(y, 4).tobytes())
    return Inputs(data=data, fingerprint=digest.hexdigest(), start=first, end=last)
