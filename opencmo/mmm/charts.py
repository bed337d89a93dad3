"""The model pages' charts (Vega-Lite via altair; embedded by opencmo.insights.vega) and their tables."""

from __future__ import annotations

import altair as alt

from opencmo.insights.vega import chart_html


def names(results: dict, labels: dict[str, str]) -> dict[str, str]:
    return {c: labels.get(c, c) for c in results["channels"]}


def contributions(results: dict, labels: dict[str, str]):
    """Stacked weekly contributions: baseline and each channel, with the actual outcome as a line."""
    label = names(results, labels)
    rows = []
    for i, week in enumerate(results["weeks"]):
        rows.append({"week": week, "source": "Baseline", "value": round(results["baseline"][i], 2)})
        for c in results["channels"]:
            rows.append({"week": week, "source": label[c], "value": round(results["contributions"][c][i], 2)})
    actual = [
        {"week": w, "actual": round(a, 2)} for w, a in zip(results["weeks"], results["actual"], strict=True)
    ]
    area = (
        alt.Chart(alt.Data(values=rows))
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X("week:T", title=None),
            y=alt.Y("value:Q", stack="zero", title=results.get("target", "outcome").capitalize()),
            color=alt.Color("source:N", title=None),
            order=alt.Order("source:N"),
            tooltip=[alt.Tooltip("week:T"), "source:N", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    line = (
        alt.Chart(alt.Data(values=actual))
        .mark_line(color="#1d2733", strokeWidth=1.5)
        .encode(
            x="week:T", y="actual:Q", tooltip=[alt.Tooltip("week:T"), alt.Tooltip("actual:Q", format=",.0f")]
        )
    )
    chart = (area + line).properties(height=280, width="container")
    return chart_html(chart, label="Weekly outcome split into baseline and channel contributions")


def roi(results: dict, labels: dict[str, str]):
    label = names(results, labels)
    rows = [
        {
            "channel": label[s["channel"]],
            "roi": round(s["roi"], 3),
            "lo": round(s["roi_lo"], 3),
            "hi": round(s["roi_hi"], 3),
        }
        for s in results["summary"]
    ]
    base = alt.Chart(alt.Data(values=rows)).encode(y=alt.Y("channel:N", title=None, sort="-x"))
    chart = (
        base.mark_rule(strokeWidth=2, color="#5f6b7a").encode(
            x=alt.X("lo:Q", title="Return per unit spent"), x2="hi:Q"
        )
        + base.mark_point(size=70, filled=True).encode(
            x="roi:Q",
            tooltip=[
                "channel:N",
                alt.Tooltip("roi:Q", format=".2f"),
                alt.Tooltip("lo:Q", format=".2f"),
                alt.Tooltip("hi:Q", format=".2f"),
            ],
        )
    ).properties(height=max(120, 32 * len(rows)), width="container")
    return chart_html(chart, label="Return on spend by channel with credible intervals")


def curves(results: dict, labels: dict[str, str]):
    label = names(results, labels)
    rows, marks = [], []
    for c, curve in results["curves"].items():
        for x, m, lo, hi in zip(curve["spend"], curve["mean"], curve["lo"], curve["hi"], strict=True):
            rows.append(
                {
                    "channel": label[c],
                    "spend": round(x, 2),
                    "mean": round(m, 2),
                    "lo": round(lo, 2),
                    "hi": round(hi, 2),
                }
            )
        marks.append({"channel": label[c], "spend": round(curve["current"], 2)})
    data = alt.Data(values=rows)
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.18)
        .encode(
            x=alt.X("spend:Q", title="Weekly spend"),
            y="lo:Q",
            y2="hi:Q",
            color=alt.Color("channel:N", title=None),
        )
    )
    line = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x="spend:Q",
            y=alt.Y("mean:Q", title="Weekly contribution"),
            color="channel:N",
            tooltip=[
                "channel:N",
                alt.Tooltip("spend:Q", format=",.0f"),
                alt.Tooltip("mean:Q", format=",.0f"),
            ],
        )
    )
    rules = (
        alt.Chart(alt.Data(values=marks))
        .mark_rule(strokeDash=[4, 3])
        .encode(
            x="spend:Q",
            color="channel:N",
            tooltip=["channel:N", alt.Tooltip("spend:Q", format=",.0f", title="current weekly spend")],
        )
    )
    chart = (band + line + rules).properties(height=300, width="container")
    return chart_html(chart, label="Response curves: expected weekly contribution by weekly spend")


def allocation(rows: list[dict], labels: dict[str, str]):
    data = []
    for r in rows:
        name = labels.get(r["channel"], r["channel"])
        data.append({"channel": name, "plan": "Current plan", "amount": r["current"]})
        data.append({"channel": name, "plan": "Recommended", "amount": r["recommended"]})
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", title=None),
            yOffset="plan:N",
            x=alt.X("amount:Q", title="Budget for the period"),
            color=alt.Color("plan:N", title=None),
            tooltip=["channel:N", "plan:N", alt.Tooltip("amount:Q", format=",.0f")],
        )
        .properties(height=max(140, 44 * len(rows)), width="container")
    )
    return chart_html(chart, label="Current plan and recommended budget by channel")
