"""The pack's charts, built from the pack data (so a frozen pack draws the same charts later).

Each function returns an altair chart or None when there is nothing to draw. The page embeds them
with the insights chart helper when it is installed (interactive, with tooltips), the PDF as static
SVG; `to_svg` is the one place that turns a chart into SVG.
"""

from __future__ import annotations

from decimal import Decimal

import altair as alt

WIDTH = 560
STATUS_COLOURS = {
    "on_track": "#2e7d4f",
    "achieved": "#1f5f9e",
    "off_track": "#c0392b",
    "no_data": "#9aa3ad",
    "not_started": "#c8ced4",
}


def _f(value) -> float | None:
    return None if value is None else float(Decimal(value))


def kpi_chart(pack: dict) -> alt.Chart | None:
    rows = [
        {
            "KPI": f"{r['kpi']} ({r['objective']})"[:60],
            "% of target": round(_f(r["pct_of_target"]) or 0.0, 1),
            "Expected %": round(_f(r["expected_pct"]) or 0.0, 1),
            "Status": r["status_label"],
            "status": r["status"],
        }
        for r in pack["objectives"]["rows"]
    ]
    if not rows:
        return None
    domain = sorted({r["status"] for r in rows})
    labels = {r["status"]: r["Status"] for r in rows}
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar(height={"band": 0.7}).encode(
        y=alt.Y("KPI:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("% of target:Q", title="% of target", scale=alt.Scale(domainMin=0)),
        color=alt.Color(
            "Status:N",
            scale=alt.Scale(
                domain=[labels[s] for s in domain], range=[STATUS_COLOURS.get(s, "#777") for s in domain]
            ),
            legend=alt.Legend(orient="bottom", title=None),
        ),
        tooltip=["KPI:N", "% of target:Q", "Expected %:Q", "Status:N"],
    )
    ticks = base.mark_tick(color="#222", thickness=2, height={"band": 0.9}).encode(
        y=alt.Y("KPI:N", sort=None), x="Expected %:Q", tooltip=["KPI:N", "Expected %:Q"]
    )
    return (bars + ticks).properties(
        width=WIDTH, height=max(60, 24 * len(rows)), title="KPIs: % of target (tick: expected by now)"
    )


def budget_chart(pack: dict) -> alt.Chart | None:
    rows = []
    for plan in pack["budget"]["plans"]:
        for r in plan["rows"]:
            if r["depth"] != 1:
                continue
            rows.append(
                {
                    "Line": r["name"][:40],
                    "Amount": _f(r["planned"]),
                    "Series": "Planned",
                    "Plan": plan["plan"],
                }
            )
            rows.append(
                {"Line": r["name"][:40], "Amount": _f(r["actual"]), "Series": "Actual", "Plan": plan["plan"]}
            )
    if not rows:
        return None
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("Line:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("Series:N", sort=["Planned", "Actual"]),
            x=alt.X("Amount:Q", title=pack["currency"], axis=alt.Axis(format="~s", tickCount=5)),
            color=alt.Color(
                "Series:N",
                sort=["Planned", "Actual"],
                scale=alt.Scale(domain=["Planned", "Actual"], range=["#b8c7d9", "#1f5f9e"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["Plan:N", "Line:N", "Series:N", alt.Tooltip("Amount:Q", format=",.0f")],
        )
        .properties(width=WIDTH, height=max(60, 30 * len(rows) // 2), title="Budget vs actual in the period")
    )


def attribution_chart(pack: dict) -> alt.Chart | None:
    attribution = pack["analytics"]["attribution"]
    rows = [
        {"Channel": r["channel"], "Model": label, "Share %": round(r[key]["share"] * 100, 1)}
        for r in attribution["rows"]
        for key, label in zip(attribution.get("keys", []), attribution["models"], strict=False)
        if key in r
    ]
    if not rows:
        return None
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("Channel:N", title=None, sort=None),
            yOffset="Model:N",
            x=alt.X("Share %:Q", title="% of conversions"),
            color=alt.Color(
                "Model:N",
                scale=alt.Scale(range=["#1f5f9e", "#e0a030"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["Channel:N", "Model:N", "Share %:Q"],
        )
        .properties(
            width=WIDTH,
            height=max(60, 36 * len({r["Channel"] for r in rows})),
            title="Attribution: channel split",
        )
    )


def channel_chart(pack: dict) -> alt.Chart | None:
    rows = []
    for r in pack["analytics"]["channels"]:
        rows.append({"Channel": r["name"], "Series": "Spend", "Amount": _f(r["spend"])})
        rows.append({"Channel": r["name"], "Series": "Revenue", "Amount": _f(r["revenue"])})
    if not rows:
        return None
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("Channel:N", title=None, sort=None),
            yOffset=alt.YOffset("Series:N", sort=["Spend", "Revenue"]),
            x=alt.X("Amount:Q", title=pack["currency"], axis=alt.Axis(format="~s", tickCount=5)),
            color=alt.Color(
                "Series:N",
                sort=["Spend", "Revenue"],
                scale=alt.Scale(domain=["Spend", "Revenue"], range=["#c0392b", "#2e7d4f"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["Channel:N", "Series:N", alt.Tooltip("Amount:Q", format=",.0f")],
        )
        .properties(width=WIDTH, height=max(60, 30 * len(rows) // 2), title="Spend and revenue by channel")
    )


CHARTS = {
    "kpis": kpi_chart,
    "budget": budget_chart,
    "channels": channel_chart,
    "attribution": attribution_chart,
}


def charts_for(pack: dict) -> dict[str, alt.Chart]:
    return {name: chart for name, build in CHARTS.items() if (chart := build(pack)) is not None}


def to_svg(chart: alt.Chart) -> str:
    """Static SVG: the insights helper when installed, else vl-convert directly (same renderer)."""
    try:
        from opencmo.insights.vega import chart_svg
    except ImportError:
        import vl_convert

        return vl_convert.vegalite_to_svg(chart.to_json())
    return chart_svg(chart)


def to_html(chart: alt.Chart, label: str) -> str:
    """Interactive on the page when the insights helper is installed; static SVG until then."""
    from django.utils.safestring import mark_safe

    try:
        from opencmo.insights.vega import chart_html
    except ImportError:
        return mark_safe(f'<figure class="review-chart" aria-label="{label}">{to_svg(chart)}</figure>')  # noqa: S308
    return chart_html(chart, label=label)
