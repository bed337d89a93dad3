r"""Funnels and journeys: ordered event funnels with a conversion window, drop-off, time to convert,
top channel paths and a Sankey-ready path aggregation.

Funnels run as SQL in the store over ``events``; path summaries run over a
:class:`~opencmo.analytics.paths.PathTable` with NumPy (or DuckDB over its Arrow form).

Funnel definition
-----------------
A person reaches step :math:`k` when they did step 1 at some time :math:`t_1` and then steps
:math:`2..k` in that order, each after the previous one, all within ``window`` of :math:`t_1`. Every
occurrence of step 1 is tried as a start and the earliest matching event is taken at each later step
(greedy earliest matching is optimal: an earlier event can only leave more room for the next steps).
A person counts once per step. Consecutive steps with the same event need a strictly later event;
different events may share a timestamp.

=======================  ======================================================
``users``                people who reached the step
``conversion``           users / users of step 1
``step_conversion``      users / users of the previous step
``drop_off``             users of the previous step - users
``median_seconds``       median time from the previous step (per person, the
                         chain that reached this step first)
=======================  ======================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from opencmo.analytics import queries
from opencmo.analytics.paths import PathTable
from opencmo.analytics.query import backend_for

if TYPE_CHECKING:
    from opencmo.analytics.store import Store

__all__ = [
    "FunnelStep",
    "Step",
    "TimeToConvert",
    "funnel",
    "path_lengths",
    "sankey",
    "time_to_convert",
    "top_paths",
]


@dataclass(frozen=True)
class Step:
    """A funnel step: an event name, optionally on one page."""

    event: str
    page: str | None = None
    label: str | None = None

    @property
    def title(self) -> str:
        return self.label or (f"{self.event} {self.page}" if self.page else self.event)


@dataclass(frozen=True)
class FunnelStep:
    step: int
    title: str
    users: int
    conversion: float | None
    step_conversion: float | None
    drop_off: int
    drop_off_rate: float | None
    median_seconds: float | None


def _rate(a: float, b: float) -> float | None:
    return a / b if b else None


def funnel(
    store: Store,
    steps: Sequence[str | Step],
    *,
    window: dt.timedelta = dt.timedelta(days=7),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[FunnelStep]:
    """Users per step of an ordered funnel (see the module text); step 1 must fall in [start, end]."""
    spec = [s if isinstance(s, Step) else Step(str(s)) for s in steps]
    if not 1 <= len(spec) <= 20:
        raise ValueError("A funnel has 1 to 20 steps.")
    if window <= dt.timedelta(0):
        raise ValueError("The conversion window must be positive.")
    since = dt.datetime.combine(start, dt.time()) if start else dt.datetime(1970, 1, 1)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) if end else dt.datetime(9999, 1, 1)
    window_us = int(window.total_seconds() * 1_000_000)
    shape = [(s.page is not None, k > 0 and s == spec[k - 1]) for k, s in enumerate(spec)]
    params: dict = {"since": since, "until": until}
    if len(spec) > 1:
        params["window_us"] = window_us
    for k, step in enumerate(spec):
        params[f"e{k}"] = step.event
        if step.page is not None:
            params[f"p{k}"] = step.page
    # ``store`` may also be a query backend (Spark): the query is defined once in ``queries``
    rows = backend_for(store).fetch(queries.funnel(shape), params).rows
    rows.sort(key=lambda row: row[0])
    result = []
    first = rows[0][1] if rows else 0
    previous = None
    for (index, users, median), step in zip(rows, spec, strict=True):
        drop = 0 if previous is None else previous - users
        result.append(
            FunnelStep(
                step=index + 1,
                title=step.title,
                users=int(users),
                conversion=_rate(users, first),
                step_conversion=None if previous is None else _rate(users, previous),
                drop_off=int(drop),
                drop_off_rate=None if previous is None else _rate(drop, previous),
                median_seconds=None if median is None else float(median),
            )
        )
        previous = users
    return result


@dataclass(frozen=True)
class TimeToConvert:
    conversions: int
    mean_days: float | None
    median_days: float | None
    p75_days: float | None
    p90_days: float | None
    #: (label, conversions) for same day, 1 day, 2-3, 4-7, 8-14, 15-30, 31+ days.
    buckets: list[tuple[str, int]]
    #: (touches, conversions): how many touches the converting journeys had.
    touches: list[tuple[int, int]]


BUCKETS = (
    ("same day", 0, 1),
    ("1 day", 1, 2),
    ("2-3 days", 2, 4),
    ("4-7 days", 4, 8),
    ("8-14 days", 8, 15),
    ("15-30 days", 15, 31),
    ("31+ days", 31, None),
)


def time_to_convert(paths: PathTable) -> TimeToConvert:
    """Days from a converting journey's first touch to its conversion, and touches per conversion.

    Needs a table built from the store (touch ages known). Journeys are weighted by conversions.
    """
    if paths.ages is None:
        raise ValueError("Time to convert needs touch times: build the paths from the store.")
    converting = paths.conversions > 0
    days = paths.ages[paths.first][converting]
    weight = paths.conversions[converting]
    total = float(weight.sum())
    buckets = []
    for label, low, high in BUCKETS:
        inside = (days >= low) & ((days < high) if high is not None else True)
        buckets.append((label, round(weight[inside].sum())))
    lengths = paths.lengths[converting]
    counts = np.bincount(lengths, weights=weight)
    touches = [(int(k), round(c)) for k, c in enumerate(counts) if c > 0]
    if total == 0:
        return TimeToConvert(0, None, None, None, None, buckets, touches)
    order = np.argsort(days)
    cumulative = np.cumsum(weight[order]) / total

    def quantile(q: float) -> float:
        return float(days[order][np.searchsorted(cumulative, q - 1e-12)])

    return TimeToConvert(
        conversions=round(total),
        mean_days=float(np.average(days, weights=weight)),
        median_days=quantile(0.5),
        p75_days=quantile(0.75),
        p90_days=quantile(0.9),
        buckets=buckets,
        touches=touches,
    )


@dataclass(frozen=True)
class PathSummary:
    path: tuple[str, ...]
    journeys: float
    conversions: float
    value: float
    conversion_rate: float | None


def top_paths(paths: PathTable, n: int = 20, *, by: str = "conversions") -> list[PathSummary]:
    """The ``n`` most common paths by ``conversions``, ``journeys`` or ``value`` (grouped in DuckDB)."""
    if by not in ("conversions", "journeys", "value"):
        raise ValueError("by must be conversions, journeys or value.")
    order = {"conversions": "conversions", "journeys": "conversions + nulls", "value": "value"}[by]
    con = duckdb.connect()
    try:
        con.register("paths_in", paths.to_arrow())
        rows = con.execute(
            f"""
            SELECT path, sum(conversions) AS conversions, sum(nulls) AS nulls, sum(value) AS value
            FROM paths_in GROUP BY path
            ORDER BY sum({order}) DESC, len(path), path LIMIT ?
            """,  # noqa: S608
            [n],
        ).fetchall()
    finally:
        con.close()
    return [
        PathSummary(
            path=tuple(paths.channels[c] for c in path),
            journeys=conv + nulls,
            conversions=conv,
            value=value,
            conversion_rate=_rate(conv, conv + nulls),
        )
        for path, conv, nulls, value in rows
    ]


def path_lengths(paths: PathTable) -> list[tuple[int, float, float]]:
    """``(touches, journeys, conversions)`` for every path length present."""
    journeys = np.bincount(paths.lengths, weights=paths.journeys)
    conversions = np.bincount(paths.lengths, weights=paths.conversions)
    return [
        (int(k), float(journeys[k]), float(conversions[k])) for k in range(len(journeys)) if journeys[k] > 0
    ]


def sankey(paths: PathTable, *, max_steps: int = 5, min_share: float = 0.0) -> dict:
    """Nodes and links for a Sankey diagram of journeys (d3-sankey's ``{nodes, links}`` shape).

    Node ``"k:channel"`` is the channel at step ``k`` (1-based, at most ``max_steps``); every journey
    ends in ``(conversion)``, ``(no conversion)`` or, when longer than ``max_steps``, ``(more)``.
    Links carry ``value`` (journeys) and ``conversions``. Links below ``min_share`` of all journeys
    are dropped (their nodes stay if other links use them).
    """
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1.")
    n = paths.n_channels
    weight = paths.journeys[paths.path_of_touch]
    conv = paths.conversions[paths.path_of_touch]
    position = paths.position
    # Channel-to-channel links between consecutive steps.
    has_next = np.zeros(len(paths.codes), dtype=bool)
    has_next[:-1] = paths.path_of_touch[1:] == paths.path_of_touch[:-1]
    step_link = has_next & (position + 1 < max_steps)
    source = position[step_link] * n + paths.codes[step_link]
    target = paths.codes[np.flatnonzero(step_link) + 1]
    pair = source * n + target
    size = max_steps * n * n
    values = np.bincount(pair, weights=weight[step_link], minlength=size)
    conversions = np.bincount(pair, weights=conv[step_link], minlength=size)
    # Terminal links from each journey's last shown step.
    last_shown = paths.first + np.minimum(paths.lengths, max_steps) - 1
    end_node = position[last_shown] * n + paths.codes[last_shown]
    longer = paths.lengths > max_steps
    ends = {
        "(conversion)": (~longer, paths.conversions),
        "(no conversion)": (~longer, paths.nulls),
        "(more)": (longer, paths.journeys),
    }
    total = float(paths.journeys.sum())
    threshold = total * min_share
    nodes: dict[str, dict] = {}
    links = []

    def node(key: str, label: str, step: int | None) -> str:
        if key not in nodes:
            nodes[key] = {"id": key, "label": label, "step": step}
        return key

    for index in np.flatnonzero(values):
        if values[index] <= threshold and threshold > 0:
            continue
        src, tgt = divmod(int(index), n)
        step, channel = divmod(src, n)
        links.append(
            {
                "source": node(f"{step + 1}:{paths.channels[channel]}", paths.channels[channel], step + 1),
                "target": node(f"{step + 2}:{paths.channels[tgt]}", paths.channels[tgt], step + 2),
                "value": float(values[index]),
                "conversions": float(conversions[index]),
            }
        )
    for label, (mask, amount) in ends.items():
        sums = np.bincount(end_node[mask], weights=amount[mask], minlength=max_steps * n)
        conv_sums = np.bincount(end_node[mask], weights=paths.conversions[mask], minlength=max_steps * n)
        for index in np.flatnonzero(sums):
            if sums[index] <= threshold and threshold > 0:
                continue
            step, channel = divmod(int(index), n)
            links.append(
                {
                    "source": node(
                        f"{step + 1}:{paths.channels[channel]}", paths.channels[channel], step + 1
                    ),
                    "target": node(label, label, None),
                    "value": float(sums[index]),
                    "conversions": float(conv_sums[index]) if label != "(no conversion)" else 0.0,
                }
            )
    links.sort(key=lambda link: -link["value"])
    return {"nodes": list(nodes.values()), "links": links, "journeys": total}
