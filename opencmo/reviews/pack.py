"""The review pack: everything a review discusses, assembled from live data for the review's period.

`build_pack` returns plain JSON-safe data (dicts, lists, strings; Decimals as strings) in sections, so
the HTML page and the PDF render the same content and a closed review can freeze it unchanged.
The numbers come straight from the engines, not re-derived here:

- KPIs: `strategy.selectors.kpi_progress` on the period's last day;
- budget: `budget.selectors.plan_figures` (planned per month, prorated by days when the period cuts a
  month) and the spend entries dated in the period;
- campaigns and channels: `analytics.kpis.kpis` over the workspace's store for the period;
- attribution: `analytics.attribution` models fitted on `PathTable.from_store` for the period;
- insights: `insights.findings.findings` (when that module is installed);
- RACI health: `org.raci.health`;
- predicted vs realised: `mmm.selectors.recommendations_between` (when installed).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from opencmo.budget.models import BudgetPlan, SpendEntry
from opencmo.budget.selectors import store_rates
from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.reviews.models import Review, ReviewDecision
from opencmo.reviews.schedule import period_label
from opencmo.strategy import progress as kpi_progress_mod
from opencmo.strategy.models import Kpi, Objective

log = logging.getLogger(__name__)
VERSION = 1
CENT = Decimal("0.01")
ATTRIBUTION_MODELS = (("linear", "Linear"), ("last_non_direct", "Last non-direct"))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(CENT))


def _num(value) -> str | None:
    return None if value is None else str(value)


def _ratio(num: Decimal, den: Decimal) -> str | None:
    return None if not den else str((num / den).quantize(Decimal("0.0001")))


# --- objectives and KPIs --------------------------------------------------------------------------


def objectives_section(workspace: Workspace, start: dt.date, end: dt.date) -> dict:
    """KPIs of the objectives running in the period, as they stood on its last day."""
    from opencmo.strategy.selectors import kpi_progress

    objectives = Objective.objects.filter(
        workspace=workspace, start_date__lte=end, end_date__gte=start
    ).exclude(status=Objective.Status.DROPPED)
    rows = []
    kpis = Kpi.objects.filter(workspace=workspace, objective__in=objectives).select_related("objective")
    for kpi in kpis.order_by("objective__title", "name"):
        prog = kpi_progress(kpi, on=end)
        rows.append(
            {
                "objective": kpi.objective.title,
                "objective_id": kpi.objective_id,
                "kpi": kpi.name,
                "kpi_id": kpi.pk,
                "unit": kpi.unit,
                "target": _num(prog.target),
                "actual": _num(prog.actual),
                "pct_of_target": _num(prog.pct_of_target),
                "expected_pct": _num(prog.expected_pct),
                "projected_end": _num(prog.projected_end),
                "status": prog.status,
                "status_label": prog.status_label,
            }
        )
    counts = defaultdict(int)
    for row in rows:
        counts[row["status"]] += 1
    return {
        "rows": rows,
        "on_track": counts[kpi_progress_mod.ON_TRACK] + counts[kpi_progress_mod.ACHIEVED],
        "off_track": counts[kpi_progress_mod.OFF_TRACK],
        "no_data": counts[kpi_progress_mod.NO_DATA] + counts[kpi_progress_mod.NOT_STARTED],
        "objectives": objectives.count(),
    }


# --- budget -----------------------------------------------------------------------------------------


def _overlap_days(month: dt.date, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(days of `month` inside start..end, days in the month)."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last = nxt - dt.timedelta(days=1)
    low, high = max(month, start), min(last, end)
    return max((high - low).days + 1, 0), last.day


def planned_in_period(pacing, start: dt.date, end: dt.date) -> Decimal:
    """The phased plan of the period: whole months in full, a cut month by its share of days."""
    total = Decimal(0)
    for month in pacing.months:
        inside, days = _overlap_days(month.month, start, end)
        if inside == days:
            total += month.planned
        elif inside:
            total += month.planned * inside / days
    return total


def _subtree_actual(figures, spent: dict[int, Decimal], pk: int) -> Decimal:
    """Spend in the period on a line and every line under it."""
    row = figures.line(pk)
    own = spent.get(pk) or Decimal(0)
    return own + sum((_subtree_actual(figures, spent, c) for c in row.children), Decimal(0))


def budget_section(workspace: Workspace, start: dt.date, end: dt.date) -> dict:
    """Each plan running in the period: its top lines with the planned amount, the actual spend in the
    period and the variance (planned - actual; negative = overspent)."""
    from opencmo.budget.selectors import plan_figures

    plans = BudgetPlan.objects.filter(workspace=workspace, start_date__lte=end, end_date__gte=start).exclude(
        status=BudgetPlan.Status.DRAFT
    )
    out = []
    for plan in plans.order_by("start_date", "name"):
        figures = plan_figures(plan, today=end)
        if not figures.rows:
            continue
        spent = dict(
            SpendEntry.objects.filter(line__plan=plan, date__range=(start, end))
            .values("line")
            .annotate(total=Sum("amount_base"))
            .values_list("line", "total")
        )

        rows = []
        for row in figures.rows:
            if row.depth > 1:
                continue
            planned = planned_in_period(row.pacing, start, end)
            actual = _subtree_actual(figures, spent, row.pk)
            rows.append(
                {
                    "line_id": row.pk,
                    "name": row.line.name,
                    "depth": row.depth,
                    "amount": _money(row.amount),
                    "planned": _money(planned),
                    "actual": _money(actual),
                    "variance": _money(planned - actual),
                    "used_pct": _ratio(actual, planned),
                    "status": row.status or "",
                }
            )
        out.append({"plan": plan.name, "plan_id": plan.pk, "status": plan.get_status_display(), "rows": rows})
    total_planned = sum((Decimal(p["rows"][0]["planned"]) for p in out if p["rows"]), Decimal(0))
    total_actual = sum((Decimal(p["rows"][0]["actual"]) for p in out if p["rows"]), Decimal(0))
    return {
        "plans": out,
        "planned": _money(total_planned),
        "actual": _money(total_actual),
        "variance": _money(total_planned - total_actual),
        "used_pct": _ratio(total_actual, total_planned),
    }


# --- the analytics store: campaigns, channels, attribution ----------------------------------------------


def engine_kpis(store, workspace: Workspace, start: dt.date, end: dt.date, by: tuple[str, ...]):
    """The engine's KPI rows for the period (one total per `by` key), in the workspace currency."""
    from opencmo.analytics import kpis

    fx, note = store_rates(store, workspace, start, end)
    rows = kpis.kpis(store, grain="total", by=by, start=start, end=end, currency=workspace.currency, fx=fx)
    return rows, note


def _kpi_row(row, name: str) -> dict:
    return {
        "name": name,
        "spend": _money(row.spend),
        "impressions": row.impressions,
        "clicks": row.clicks,
        "conversions": _num(row.conversions),
        "leads": row.leads,
        "new_customers": row.new_customers,
        "revenue": _money(row.revenue),
        "roas": _num(row.roas),
        "cpl": _num(row.cpl),
        "cac": _num(row.cac),
    }


def engine_attribution(store, workspace: Workspace, start: dt.date, end: dt.date) -> dict[str, list]:
    """Channel credit per attribution model for the conversions in the period."""
    from opencmo.analytics.attribution import make_model
    from opencmo.analytics.paths import PathTable

    fx, _ = store_rates(store, workspace, start, end)
    table = PathTable.from_store(store, start=start, end=end, currency=workspace.currency, fx=fx)
    if table.n_paths == 0 or table.total_conversions <= 0:
        return {}
    return {name: make_model(name).fit(table).results() for name, _ in ATTRIBUTION_MODELS}


def analytics_section(workspace: Workspace, start: dt.date, end: dt.date) -> dict:
    from opencmo.analytics.store import StoreError
    from opencmo.campaigns.models import Campaign
    from opencmo.data.services import open_store

    section: dict[str, Any] = {"available": False, "note": "", "campaigns": [], "channels": [], "total": None}
    section["attribution"] = {"models": [label for _, label in ATTRIBUTION_MODELS], "rows": []}
    path = open_store(workspace).path
    if not path.exists():
        section["note"] = "No analytics data imported yet: import ad, GA4 or event data under Data."
        return section
    try:
        with open_store(workspace, read_only=True, timeout=10) as store:
            channel_rows, note = engine_kpis(store, workspace, start, end, ("channel",))
            campaign_rows, _ = engine_kpis(store, workspace, start, end, ("campaign",))
            try:
                credits = engine_attribution(store, workspace, start, end)
            except ValueError as error:  # PathTableError is a ValueError: a currency or data problem
                credits, note = {}, f"{note} Attribution: {error}".strip()
    except (StoreError, ValueError) as error:
        section["note"] = f"The analytics store could not be read: {error}"
        return section
    names = dict(
        Campaign.objects.filter(
            workspace=workspace, pk__in=[r.campaign_id for r in campaign_rows if r.campaign_id]
        ).values_list("pk", "name")
    )
    from opencmo.analytics.kpis import totals

    section.update(
        available=True,
        note=note,
        channels=[_kpi_row(r, r.channel or "(none)") for r in channel_rows],
        campaigns=[
            _kpi_row(r, names.get(r.campaign_id) or r.campaign or "(unmapped)")
            | {"campaign_id": r.campaign_id}
            for r in sorted(campaign_rows, key=lambda r: (-r.spend, -r.revenue))
        ],
    )
    total = totals(channel_rows)
    section["total"] = _kpi_row(total, "Total") if total else None
    shares: dict[str, dict] = defaultdict(dict)
    for name, results in credits.items():
        for credit in results:
            shares[credit.channel][name] = {
                "share": round(credit.share, 6),
                "conversions": round(credit.conversions, 4),
                "value": round(credit.value, 2),
            }
    first = ATTRIBUTION_MODELS[0][0]
    section["attribution"]["rows"] = sorted(
        ({"channel": channel, **values} for channel, values in shares.items()),
        key=lambda row: (-row.get(first, {}).get("share", 0), row["channel"]),
    )
    section["attribution"]["keys"] = [name for name, _ in ATTRIBUTION_MODELS]
    return section


# --- insights, RACI, MMM ----------------------------------------------------------------------------------


def _optional(module: str, attr: str):
    """A function another app may not have shipped yet: None while it is absent."""
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


def insights_section(workspace: Workspace, end: dt.date) -> dict:
    findings = _optional("opencmo.insights.findings", "findings")
    if findings is None:
        return {"available": False, "rows": [], "note": "The insights feed is not installed."}
    try:
        with transaction.atomic():  # a savepoint: a failing query must not poison the caller's transaction
            found = findings(workspace, today=end)
    except Exception as error:  # one failing detector must not take the whole pack down
        log.exception("insights for review pack")
        return {"available": False, "rows": [], "note": f"Insights could not be computed: {error}"}
    rows = [
        {
            "kind": str(getattr(f, "kind", "")),
            "severity": str(getattr(f, "severity", "")),
            "title": str(getattr(f, "title", "")),
            "explanation": str(getattr(f, "explanation", "")),
            "evidence_url": str(getattr(f, "evidence_url", "") or ""),
        }
        for f in found
    ]
    return {"available": True, "rows": rows, "note": ""}


def raci_section(workspace: Workspace) -> dict:
    from opencmo.org import raci

    health = raci.health(workspace)
    rows = [{"severity": f.severity, "code": f.code, "message": f.message} for f in health.findings]
    return {
        "errors": len(health.errors),
        "warnings": len(health.warnings),
        "rows": rows[:15],
        "more": max(len(rows) - 15, 0),
    }


def mmm_section(workspace: Workspace, start: dt.date, end: dt.date) -> dict:
    between = _optional("opencmo.mmm.selectors", "recommendations_between")
    if between is None:
        return {"available": False, "rows": []}
    try:
        with transaction.atomic():
            found = between(workspace, start, end)
    except Exception as error:
        log.exception("mmm recommendations for review pack")
        return {"available": False, "rows": [], "note": f"Model recommendations could not be read: {error}"}
    rows = []
    for item in found:
        rows.append(
            {
                "created_at": str(item.get("created_at", ""))[:10],
                "channel": str(item.get("channel", "")),
                "current": _num(item.get("current")),
                "recommended": _num(item.get("recommended")),
                "predicted": _num(item.get("predicted_outcome")),
                "realised": _num(item.get("realised_outcome")),
            }
        )
    return {"available": True, "rows": rows}


# --- decisions -------------------------------------------------------------------------------------------


def _decision_row(decision: ReviewDecision) -> dict:
    return {
        "id": decision.pk,
        "text": decision.text,
        "owner": decision.owner.name if decision.owner else "",
        "follow_up": decision.follow_up,
        "follow_up_label": decision.get_follow_up_display(),
        "notes": decision.follow_up_notes,
    }


def _action_rows(actions) -> list[dict]:
    out = []
    for action in actions:
        task = action.task
        out.append(
            {
                "title": action.title,
                "task_id": task.pk if task else None,
                "status": task.get_status_display() if task else "Deleted",
                "due": f"{task.due_date:%Y-%m-%d}" if task and task.due_date else "",
                "decision_id": action.decision_id,
            }
        )
    return out


def previous_review(review: Review) -> Review | None:
    """The cycle's last closed review before this one."""
    return (
        Review.objects.filter(
            cycle=review.cycle, status=Review.Status.CLOSED, scheduled_for__lt=review.scheduled_for
        )
        .order_by("-scheduled_for", "-pk")
        .first()
    )


def decisions_section(review: Review) -> dict:
    previous = previous_review(review)
    if previous is None:
        return {"from_review": "", "rows": [], "actions": []}
    decisions = previous.decisions.select_related("owner")
    return {
        "from_review": f"{previous.cycle.name}, {previous.scheduled_for:%Y-%m-%d}",
        "from_review_id": previous.pk,
        "rows": [_decision_row(d) for d in decisions],
        "actions": _action_rows(previous.actions.select_related("task")),
        "open": sum(d.follow_up in ("open", "progress") for d in decisions),
        "done": sum(d.follow_up == "done" for d in decisions),
    }


def meeting_section(review: Review) -> dict:
    """What this meeting recorded (kept in the frozen pack)."""
    reallocations = []
    for link in review.reallocations.select_related("request__from_line", "request__to_line"):
        request = link.request
        reallocations.append(
            {
                "from": request.from_line.name,
                "to": request.to_line.name,
                "amount": _money(request.amount),
                "status": request.get_status_display(),
                "reason": request.reason,
            }
        )
    return {
        "decisions": [_decision_row(d) for d in review.decisions.select_related("owner")],
        "actions": _action_rows(review.actions.select_related("task")),
        "reallocations": reallocations,
        "notes": review.notes,
    }


# --- the summary ----------------------------------------------------------------------------------------


def _pct_text(value: str | None) -> str:
    return "—" if value is None else f"{(Decimal(value) * 100).quantize(Decimal('0.1'))} %"


def _amount_text(value: str | None, currency: str) -> str:
    return "—" if value is None else f"{currency} {Decimal(value).quantize(Decimal('1')):,}"


def summary_section(pack: dict) -> dict:
    """The executive summary: headline figures and one sentence per section."""
    currency = pack["currency"]
    obj, budget, analytics = pack["objectives"], pack["budget"], pack["analytics"]
    bullets = []
    total_kpis = len(obj["rows"])
    if total_kpis:
        off = [r["kpi"] for r in obj["rows"] if r["status"] == kpi_progress_mod.OFF_TRACK]
        text = f"{obj['on_track']} of {total_kpis} KPIs on track or reached"
        if off:
            text += f"; off track: {', '.join(off[:3])}{' and more' if len(off) > 3 else ''}"
        bullets.append(text + ".")
    else:
        bullets.append("No KPIs were running in this period.")
    if budget["plans"]:
        bullets.append(
            f"Spent {_amount_text(budget['actual'], currency)} against "
            f"{_amount_text(budget['planned'], currency)} "
            f"planned for the period ({_pct_text(budget['used_pct'])} used; variance "
            f"{_amount_text(budget['variance'], currency)})."
        )
    total = analytics.get("total")
    if total:
        bullets.append(
            f"Ad platforms: {_amount_text(total['spend'], currency)} spend, "
            f"{_amount_text(total['revenue'], currency)} revenue, ROAS "
            f"{'—' if total['roas'] is None else Decimal(total['roas']).quantize(Decimal('0.01'))}."
        )
    attribution = analytics["attribution"]["rows"]
    if attribution:
        key = analytics["attribution"]["keys"][0]
        top = attribution[0]
        model = analytics["attribution"]["models"][0].lower()
        bullets.append(
            f"{top['channel']} earned the largest share of conversions "
            f"({top.get(key, {}).get('share', 0) * 100:.1f} %, {model} attribution)."
        )
    if pack["insights"]["available"]:
        bullets.append(f"{len(pack['insights']['rows'])} automatic insight(s) to discuss.")
    raci = pack["raci"]
    bullets.append(f"Roles and RACI: {raci['errors']} error(s), {raci['warnings']} warning(s).")
    decisions = pack["decisions"]
    if decisions["rows"]:
        bullets.append(
            f"Last review's decisions: {decisions['done']} done, {decisions['open']} still open "
            f"of {len(decisions['rows'])}."
        )
    tiles = [
        {"label": "KPIs on track", "value": f"{obj['on_track']} / {total_kpis}" if total_kpis else "—"},
        {"label": "Budget used", "value": _pct_text(budget["used_pct"]) if budget["plans"] else "—"},
        {
            "label": "Spend in period",
            "value": _amount_text(budget["actual"], currency) if budget["plans"] else "—",
        },
        {
            "label": "ROAS",
            "value": "—"
            if not total or total["roas"] is None
            else f"{Decimal(total['roas']).quantize(Decimal('0.01'))}\N{MULTIPLICATION SIGN}",
        },
    ]
    return {"bullets": bullets, "tiles": tiles}


# --- assembly --------------------------------------------------------------------------------------------


def build_pack(review: Review, *, today: dt.date | None = None, live: bool = True) -> dict:
    """The pack of `review` from the data as it is now."""
    workspace = review.workspace
    start, end = review.period_start, review.period_end
    pack: dict[str, Any] = {
        "version": VERSION,
        "live": live,
        "workspace": workspace.name,
        "currency": workspace.currency,
        "cycle": review.cycle.name,
        "kind": review.cycle.kind,
        "kind_label": review.cycle.get_kind_display(),
        "chair": review.cycle.chair.name,
        "participants": sorted(p.name for p in review.cycle.participants.all()),
        "period": {"start": start.isoformat(), "end": end.isoformat(), "label": period_label(start, end)},
        "scheduled_for": review.scheduled_for.isoformat(),
        "generated_at": timezone.now().isoformat(timespec="minutes"),
        "today": (today or timezone.localdate()).isoformat(),
    }
    pack["objectives"] = objectives_section(workspace, start, end)
    pack["budget"] = budget_section(workspace, start, end)
    pack["analytics"] = analytics_section(workspace, start, end)
    pack["insights"] = insights_section(workspace, end)
    pack["raci"] = raci_section(workspace)
    pack["decisions"] = decisions_section(review)
    pack["meeting"] = meeting_section(review)
    pack["mmm"] = mmm_section(workspace, start, end)
    pack["summary"] = summary_section(pack)
    return pack


def pack_for(review: Review, *, today: dt.date | None = None) -> dict:
    """The frozen pack of a closed review, else a live one."""
    if review.is_closed and review.pack:
        return review.pack
    return build_pack(review, today=today, live=True)


def people_choices(workspace: Workspace):
    return Person.objects.filter(workspace=workspace, is_active=True).order_by("name")
