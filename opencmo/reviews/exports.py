"""The pack's tables as CSV rows (header, rows), one per chart or table of the pack."""

from collections.abc import Callable


def _kpis(pack: dict):
    header = [
        "Objective",
        "KPI",
        "Unit",
        "Target",
        "Actual",
        "% of target",
        "Expected %",
        "Projected end",
        "Status",
    ]
    rows = [
        [
            r["objective"],
            r["kpi"],
            r["unit"],
            r["target"],
            r["actual"],
            r["pct_of_target"],
            r["expected_pct"],
            r["projected_end"],
            r["status_label"],
        ]
        for r in pack["objectives"]["rows"]
    ]
    return header, rows


def _budget(pack: dict):
    header = [
        "Plan",
        "Line",
        "Level",
        "Amount (whole plan)",
        "Planned in period",
        "Actual in period",
        "Variance",
        "Used",
    ]
    rows = [
        [
            p["plan"],
            r["name"],
            "total" if r["depth"] == 0 else "line",
            r["amount"],
            r["planned"],
            r["actual"],
            r["variance"],
            r["used_pct"],
        ]
        for p in pack["budget"]["plans"]
        for r in p["rows"]
    ]
    return header, rows


KPI_HEADER = [
    "Spend",
    "Impressions",
    "Clicks",
    "Conversions",
    "Leads",
    "New customers",
    "Revenue",
    "ROAS",
    "CPL",
    "CAC",
]


def _kpi_cells(r: dict) -> list:
    return [
        r["spend"],
        r["impressions"],
        r["clicks"],
        r["conversions"],
        r["leads"],
        r["new_customers"],
        r["revenue"],
        r["roas"],
        r["cpl"],
        r["cac"],
    ]


def _channels(pack: dict):
    return ["Channel", *KPI_HEADER], [[r["name"], *_kpi_cells(r)] for r in pack["analytics"]["channels"]]


def _campaigns(pack: dict):
    return ["Campaign", *KPI_HEADER], [[r["name"], *_kpi_cells(r)] for r in pack["analytics"]["campaigns"]]


def _attribution(pack: dict):
    attribution = pack["analytics"]["attribution"]
    keys = attribution.get("keys", [])
    header = ["Channel"] + [
        f"{label} {what}" for label in attribution["models"] for what in ("share", "conversions", "value")
    ]
    rows = [
        [r["channel"]]
        + [r.get(key, {}).get(what) for key in keys for what in ("share", "conversions", "value")]
        for r in attribution["rows"]
    ]
    return header, rows


def _insights(pack: dict):
    return ["Severity", "Kind", "Finding", "Explanation", "Evidence"], [
        [r["severity"], r["kind"], r["title"], r["explanation"], r["evidence_url"]]
        for r in pack["insights"]["rows"]
    ]


def _raci(pack: dict):
    return ["Severity", "Code", "Finding"], [
        [r["severity"], r["code"], r["message"]] for r in pack["raci"]["rows"]
    ]


def _decisions(pack: dict):
    rows = [
        ["previous", r["text"], r["owner"], r["follow_up_label"], r["notes"]]
        for r in pack["decisions"]["rows"]
    ]
    rows += [
        ["this meeting", r["text"], r["owner"], r["follow_up_label"], r["notes"]]
        for r in pack["meeting"]["decisions"]
    ]
    return ["Review", "Decision", "Owner", "Follow-up", "Notes"], rows


TABLES: dict[str, Callable[[dict], tuple[list, list]]] = {
    "kpis": _kpis,
    "budget": _budget,
    "channels": _channels,
    "campaigns": _campaigns,
    "attribution": _attribution,
    "insights": _insights,
    "raci": _raci,
    "decisions": _decisions,
}
