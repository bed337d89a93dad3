"""Vega-Lite charts (altair) of the dashboard panels, built from the plain data of `selectors`.

Each function takes what the matching selector returns and gives an altair chart; embed it with
`vega.chart_html` (pages) or `vega.chart_svg` (PDF). No pandas: data goes in as a list of dicts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal

import altair as alt
from altair.utils.schemapi import debug_mode

from opencmo.insights import selectors
from opencmo.insights.vega import BAD, BRAND, LINE, MUTED, OK, WARN


def _fast(build):
    """Skip altair's per-object schema validation while building (~20 ms a chart); the tests validate
    every builder's output against the Vega-Lite schema instead."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with debug_mode(False):
            return build(*args, **kwargs)

    return wrapper


def _f(value) -> float | None:
    """JSON numbers for Vega (Decimals would be written as strings)."""
    return None if value is None else float(value)


def _data(rows: list[dict]) -> alt.Data:
    return alt.Data(values=rows)


STATUS_COLOURS = {
    "Off track": BAD,
    "On track": OK,
    "Target reached": BRAND,
    "No data yet": MUTED,
    "Not started": LINE,
}


@_fast
def objectives_chart(rows: Sequence[selectors.ObjectiveRow]) -> alt.LayerChart:
    """Per KPI: % of target reached (bar, coloured by status) and % expected by now (tick)."""
    data = [
        {
            "kpi": f"{r.kpi} · {r.objective}",
            "pct": _f(r.pct_of_target) or 0.0,
            "expected": _f(r.expected_pct),
            "projected": _f(r.projected_end),
            "actual": _f(r.actual),
            "target": _f(r.target),
            "status": r.status_label,
        }
        for r in rows
    ]
    base = alt.Chart(_data(data)).encode(
        y=alt.Y("kpi:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    )
    tooltip = [
        alt.Tooltip("kpi:N", title="KPI"),
        alt.Tooltip("status:N", title="Status"),
        alt.Tooltip("actual:Q", title="Actual", format=",.2f"),
        alt.Tooltip("target:Q", title="Target", format=",.2f"),
        alt.Tooltip("pct:Q", title="% of target", format=".1f"),
        alt.Tooltip("expected:Q", title="% expected by now", format=".1f"),
        alt.Tooltip("projected:Q", title="Projected at period end", format=",.2f"),
    ]
    bars = base.mark_bar(cornerRadiusEnd=3, height={"band": 0.6}).encode(
        x=alt.X("pct:Q", title="% of target", scale=alt.Scale(domainMin=0)),
        color=alt.Color(
            "status:N",
            title=None,
            legend=alt.Legend(orient="top", direction="horizontal"),
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
        ),
        tooltip=tooltip,
    )
    ticks = base.mark_tick(color="#1d2733", thickness=2, size=18).encode(x="expected:Q", tooltip=tooltip)
    return alt.layer(bars, ticks).properties(height=max(60, 34 * len(data)))


@_fast
def budget_chart(months: Sequence[selectors.MonthRow], currency: str) -> alt.LayerChart:
    """Actual and committed spend per month (stacked) against the phased plan (line)."""
    spent = []
    planned: dict = {}
    for m in months:
        month = f"{m.month:%b %Y}"
        spent.append({"month": month, "kind": "Actual", "amount": _f(m.actual), "plan": m.plan})
        spent.append({"month": month, "kind": "Committed", "amount": _f(m.committed), "plan": m.plan})
        planned[month] = planned.get(month, 0.0) + float(m.planned)
    order = list(dict.fromkeys(f"{m.month:%b %Y}" for m in sorted(months, key=lambda m: m.month)))
    plan_rows = [{"month": k, "planned": planned[k]} for k in order]
    x = alt.X("month:O", title=None, sort=order, axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(_data(spent))
        .mark_bar(opacity=0.9)
        .encode(
            x=x,
            y=alt.Y("sum(amount):Q", title=currency, stack="zero"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=["Actual", "Committed"], range=[BRAND, "#9db7d2"]),
            ),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("kind:N", title="What"),
                alt.Tooltip("sum(amount):Q", title=currency, format=",.0f"),
            ],
        )
    )
    line = (
        alt.Chart(_data(plan_rows))
        .mark_line(color=WARN, point=alt.OverlayMarkDef(color=WARN), strokeDash=[4, 3])
        .encode(
            x=x,
            y="planned:Q",
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("planned:Q", title=f"Planned ({currency})", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, line).properties(height=220)


@_fast
def channel_roas_chart(rows: Sequence[selectors.ChannelRow], currency: str | None) -> alt.Chart:
    """ROAS per channel (bars), with spend, revenue and CAC on hover."""
    data = [
        {
            "channel": r.channel,
            "roas": _f(r.roas),
            "spend": _f(r.spend),
            "revenue": _f(r.revenue),
            "cac": _f(r.cac),
            "share": _f(r.share_of_spend),
        }
        for r in rows
        if r.roas is not None
    ]
    money = currency or ""
    return (
        alt.Chart(_data(data))
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("channel:N", title=None, sort="-x"),
            x=alt.X("roas:Q", title="ROAS (revenue ÷ spend)"),
            color=alt.condition(alt.datum.roas >= 1, alt.value(BRAND), alt.value(BAD)),
            tooltip=[
                alt.Tooltip("channel:N", title="Channel"),
                alt.Tooltip("roas:Q", title="ROAS", format=".2f"),
                alt.Tooltip("spend:Q", title=f"Spend {money}", format=",.0f"),
                alt.Tooltip("revenue:Q", title=f"Revenue {money}", format=",.0f"),
                alt.Tooltip("cac:Q", title=f"CAC {money}", format=",.2f"),
                alt.Tooltip("share:Q", title="Share of spend", format=".1%"),
            ],
        )
        .properties(height=max(120, 30 * len(data)))
    )


@_fast
def channel_trend_chart(
    points: Sequence[selectors.TrendPoint], currency: str | None, *, measure: str = "spend"
):
    """A line per channel over time; click a legend entry to highlight one channel."""
    data = [
        {
            "period": p.period.isoformat(),
            "channel": p.channel,
            "spend": _f(p.spend),
            "revenue": _f(p.revenue),
            "roas": _f(p.roas),
            "conversions": _f(p.conversions),
        }
        for p in points
    ]
    pick = alt.selection_point(fields=["channel"], bind="legend")
    title = {"spend": f"Spend {currency or ''}", "revenue": f"Revenue {currency or ''}", "roas": "ROAS"}[
        measure
    ]
    return (
        alt.Chart(_data(data))
        .mark_line(point=alt.OverlayMarkDef(size=24), strokeWidth=2)
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format="%d %b %y", labelOverlap=True)),
            y=alt.Y(f"{measure}:Q", title=title.strip()),
            color=alt.Color("channel:N", title="Channel"),
            opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
            tooltip=[
                alt.Tooltip("period:T", title="From", format="%d %b %Y"),
                alt.Tooltip("channel:N", title="Channel"),
                alt.Tooltip("spend:Q", title="Spend", format=",.0f"),
                alt.Tooltip("revenue:Q", title="Revenue", format=",.0f"),
                alt.Tooltip("roas:Q", title="ROAS", format=".2f"),
                alt.Tooltip("conversions:Q", title="Conversions", format=",.0f"),
            ],
        )
        .add_params(pick)
        .properties(height=240)
    )


@_fast
def attribution_chart(rows: Sequence[selectors.CreditRow], *, highlight: str = "") -> alt.Chart:
    """Share of conversions credited to each channel, one bar per model side by side."""
    data = [
        {
            "channel": r.channel,
            "model": r.model,
            "share": r.share,
            "conversions": r.conversions,
            "value": r.value,
            "chosen": bool(highlight) and r.channel == highlight,
        }
        for r in rows
    ]
    encode = {
        "y": alt.Y(
            "channel:N", title=None, sort=alt.EncodingSortField("share", op="max", order="descending")
        ),
        "x": alt.X("share:Q", title="Share of conversions", axis=alt.Axis(format="%")),
        "yOffset": alt.YOffset("model:N", sort=None),
        "color": alt.Color(
            "model:N", title=None, sort=None, legend=alt.Legend(orient="top", direction="horizontal")
        ),
        "tooltip": [
            alt.Tooltip("channel:N", title="Channel"),
            alt.Tooltip("model:N", title="Model"),
            alt.Tooltip("share:Q", title="Share", format=".1%"),
            alt.Tooltip("conversions:Q", title="Conversions", format=",.1f"),
            alt.Tooltip("value:Q", title="Value", format=",.0f"),
        ],
    }
    if highlight:
        encode["opacity"] = alt.condition(alt.datum.chosen, alt.value(1), alt.value(0.35))
    channels = len({r.channel for r in rows})
    return (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(**encode)
        .properties(height=max(80, 9 * len(data) + 10 * channels))
    )


@_fast
def pipeline_chart(steps: Sequence[tuple[str, int]]) -> alt.Chart:
    first = steps[0][1] if steps and steps[0][1] else None
    data = [
        {"step": label, "count": count, "order": i, "of_first": (count / first) if first else None}
        for i, (label, count) in enumerate(steps)
    ]
    return (
        alt.Chart(_data(data))
        .mark_bar(cornerRadiusEnd=3, color=BRAND)
        .encode(
            y=alt.Y("step:N", title=None, sort=alt.EncodingSortField("order")),
            x=alt.X("count:Q", title="People"),
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("count:Q", title="People", format=","),
                alt.Tooltip("of_first:Q", title="Of those who became MQL", format=".0%"),
            ],
        )
        .properties(height=max(60, 30 * len(data)))
    )


@_fast
def campaign_trend_chart(rows, currency: str | None) -> alt.Chart:
    """Spend and revenue of one campaign over time (rows: engine KpiRows with a period)."""
    data = []
    for r in rows:
        if r.period is None:
            continue
        for measure, value in (("Spend", r.spend), ("Revenue", r.revenue)):
            data.append(
                {"period": r.period.isoformat(), "measure": measure, "amount": _f(value), "roas": _f(r.roas)}
            )
    return (
        alt.Chart(_data(data))
        .mark_line(point=alt.OverlayMarkDef(size=24))
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format="%d %b %y", labelOverlap=True)),
            y=alt.Y("amount:Q", title=currency or ""),
            color=alt.Color("measure:N", title=None, scale=alt.Scale(range=[BRAND, OK])),
            tooltip=[
                alt.Tooltip("period:T", title="From", format="%d %b %Y"),
                alt.Tooltip("measure:N", title="What"),
                alt.Tooltip("amount:Q", title=currency or "Amount", format=",.0f"),
                alt.Tooltip("roas:Q", title="ROAS", format=".2f"),
            ],
        )
        .properties(height=220)
    )


@_fast
def conversions_chart(series: Sequence[tuple], flagged: Sequence = ()) -> alt.LayerChart:
    """Daily conversions (line) with days flagged as anomalies (red points)."""
    flagged_days = {d.isoformat() for d in flagged}
    data = [
        {
            "day": day.isoformat(),
            "conversions": _f(Decimal(str(value))),
            "anomaly": day.isoformat() in flagged_days,
        }
        for day, value in series
    ]
    base = alt.Chart(_data(data)).encode(x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b")))
    line = base.mark_line(color=BRAND).encode(
        y=alt.Y("conversions:Q", title="Conversions"),
        tooltip=[alt.Tooltip("day:T", format="%d %b %Y"), alt.Tooltip("conversions:Q", format=",.0f")],
    )
    dots = (
        base.mark_point(color=BAD, filled=True, size=70)
        .encode(y="conversions:Q", tooltip=[alt.Tooltip("day:T", format="%d %b %Y"), "conversions:Q"])
        .transform_filter(alt.datum.anomaly)
    )
    layers = [line, dots] if flagged_days else [line]  # an empty layer makes Vega warn
    return alt.layer(*layers).properties(height=200)


@_fast
def campaigns_chart(best: Sequence[selectors.CampaignRow], worst: Sequence[selectors.CampaignRow], currency):
    """ROAS of the best and worst campaigns, best on top."""
    data = [
        {"campaign": r.name, "roas": _f(r.roas), "spend": _f(r.spend), "revenue": _f(r.revenue), "rank": rank}
        for rank, rows in (("Top", best), ("Bottom", worst))
        for r in rows
    ]
    money = currency or ""
    return (
        alt.Chart(_data(data))
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("campaign:N", title=None, sort="-x", axis=alt.Axis(labelLimit=200)),
            x=alt.X("roas:Q", title="ROAS (revenue ÷ spend)"),
            color=alt.Color(
                "rank:N",
                title=None,
                scale=alt.Scale(domain=["Top", "Bottom"], range=[OK, BAD]),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("campaign:N", title="Campaign"),
                alt.Tooltip("roas:Q", title="ROAS", format=".2f"),
                alt.Tooltip("spend:Q", title=f"Spend {money}", format=",.0f"),
                alt.Tooltip("revenue:Q", title=f"Revenue {money}", format=",.0f"),
            ],
        )
        .properties(height=max(140, 30 * len(data)))
    )
