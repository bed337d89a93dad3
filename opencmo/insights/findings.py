"""The insights feed: automatic, explained findings about a workspace.

Each finding says what is wrong in plain words with the numbers, how sure we are (severity), and links to
the page that shows the evidence. `key` is stable across runs (it names the thing and the period, never a
timestamp), so the review pack and notifications can tell a new finding from one already seen.

Checks, each reusing the owning app's maths:

* **KPI off track** — opencmo.strategy.progress: actual below what is expected by today, with the linear
  projection to the period end.
* **Spend pacing** — opencmo.budget: a line's actual + committed spend ahead of / behind its phased plan
  by the budget-alert thresholds.
* **Weak channel** — a channel whose marginal ROAS is far below the others': from the latest marketing
  mix model when one exists (opencmo.mmm), else from the increments of the last 28 days (change in
  revenue ÷ change in spend against the 28 days before), else from average ROAS. The finding names the
  method.
* **Conversion anomaly** — daily conversions against a trailing window using a robust z-score
  (median and MAD, Iglewicz & Hoaglin's modified z = 0.6745 (x - median) / MAD, flagged beyond 3.5).
* **RACI** — opencmo.org.rules findings (no Accountable, several, overload, ...).
* **Overdue approvals** — requests open longer than INSIGHTS_APPROVAL_DAYS (default 3).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from opencmo.analytics.store import StoreError
from opencmo.core.models import Workspace
from opencmo.insights import selectors

SEVERITIES = ("high", "medium", "low")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

WINDOW_DAYS = 28  # the trailing window of the anomaly check and the "last period" of the channel check
RECENT_DAYS = 7  # anomalies are reported for the most recent week of data
Z_LIMIT = Decimal("3.5")
WEAK_SHARE = Decimal("0.5")  # a channel is weak below half the median of the others
MIN_SPEND_CHANGE = Decimal("0.10")  # increments below 10 % of spend are noise, not a measurement
APPROVAL_DAYS = 3


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # "high", "medium", "low"
    title: str
    explanation: str
    evidence_url: str
    key: str


def findings(workspace: Workspace, *, today: dt.date | None = None) -> list[Finding]:
    """Every current finding, most severe first."""
    today = today or timezone.localdate()
    found: list[Finding] = []
    found += kpi_findings(workspace, today)
    found += pacing_findings(workspace, today)
    try:
        with selectors.open_analytics(workspace) as analytics:
            if analytics is not None and analytics.has_data:
                found += channel_findings(analytics, today)
                found += anomaly_findings(analytics, today)
    except (StoreError, ValueError):
        pass  # store busy (an import) or amounts without an exchange rate: the dashboards explain it

    found += raci_findings(workspace)
    found += approval_findings(workspace, today)
    return sorted(found, key=lambda f: (_RANK[f.severity], f.kind, f.title))


def _fmt(value: Decimal | None, unit: str = "", currency: str = "") -> str:
    from opencmo.strategy.selectors import fmt

    return fmt(value, unit, currency)


# --- KPIs ----------------------------------------------------------------------------------------------


def kpi_findings(workspace: Workspace, today: dt.date) -> list[Finding]:
    from opencmo.strategy import progress
    from opencmo.strategy.selectors import kpi_overview

    out = []
    for row in kpi_overview(workspace, on=today, status=progress.OFF_TRACK):
        kpi, p = row.kpi, row.progress
        unit, cur = kpi.unit, workspace.currency

        def show(value: Decimal | None, unit: str = unit, cur: str = cur) -> str:
            return _fmt(value, unit, cur)

        if p.projected_end is not None:
            ending = (
                f"At this pace it ends {kpi.period_end:%d %b %Y} at {show(p.projected_end)}"
                f" ({_fmt(p.projected_pct)} % of the way to the target)."
            )
        else:
            ending = "There are too few observations to project the period end."
        miss = p.projected_pct is not None and p.projected_pct < 80
        out.append(
            Finding(
                kind="kpi_off_track",
                severity="high" if miss or p.projected_pct is None else "medium",
                title=f"{kpi.name} ({kpi.objective.title}) is off track",
                explanation=(
                    f"{kpi.name} is at {show(p.actual)} against {show(p.expected_to_date)} expected by today "
                    f"and a target of {show(p.target)}. {ending}"
                ),
                evidence_url=reverse("kpi_detail", kwargs={"ws": workspace.slug, "kpi_pk": kpi.pk}),
                key=f"kpi_off_track:{kpi.pk}:{kpi.period_end.isoformat()}",
            )
        )
    return out


# --- budget pacing -------------------------------------------------------------------------------------


def pacing_findings(workspace: Workspace, today: dt.date) -> list[Finding]:
    from opencmo.budget import ledger

    out = []
    cur = workspace.currency
    month = today.replace(day=1)
    for alert in selectors.pacing_alerts(workspace, today=today):
        planned, used = alert.planned_to_date, alert.used_to_date
        share = (used - planned) / planned if planned else None
        over = alert.status == ledger.OVER
        severity = "high" if over and (share is None or share > Decimal("0.25")) else "medium"
        how = (
            f"{abs(share) * 100:.0f} % {'ahead of' if over else 'behind'}"
            if share is not None
            else "ahead of"
        )
        out.append(
            Finding(
                kind="spend_pacing",
                severity=severity,
                title=f"“{alert.line}” is {'over' if over else 'under'} plan ({alert.plan})",
                explanation=(
                    f"Actual + committed spend on “{alert.line}” is {cur} {ledger.fmt(used)} against "
                    f"{cur} {ledger.fmt(planned)} planned up to the end of {today:%B %Y}: "
                    f"{how} the phased plan."
                    + (
                        " Money committed early can explain it; otherwise slow down or move budget."
                        if over
                        else " Unspent money can be reallocated to channels that perform."
                    )
                ),
                evidence_url=alert.url,
                key=f"spend_pacing:{alert.line_id}:{month.isoformat()}:{alert.status}",
            )
        )
    return out


# --- channels ------------------------------------------------------------------------------------------


def mmm_marginal_roas(workspace: Workspace) -> tuple[dict[str, Decimal], str, str] | None:
    """({channel: marginal ROI}, description, evidence URL) from the newest finished MMM run, when the
    MMM app is installed and has one (opencmo.mmm.selectors.latest_marginal_roi)."""
    from django.apps import apps

    if not apps.is_installed("opencmo.mmm"):
        return None
    try:
        from opencmo.mmm import selectors as mmm
    except ImportError:
        return None
    provider = getattr(mmm, "latest_marginal_roi", None)
    values = provider(workspace) if provider else None
    if not values:
        return None
    labels = mmm.channel_labels(workspace) if hasattr(mmm, "channel_labels") else {}
    run = mmm.latest_run(workspace) if hasattr(mmm, "latest_run") else None
    description, url = "latest run", reverse("mmm_runs", kwargs={"ws": workspace.slug})
    if run is not None:
        when = f" of {timezone.localdate(run.finished_at):%d %b %Y}" if run.finished_at else ""
        description = f"run #{run.pk}{when}"
        url = reverse("mmm_run", kwargs={"ws": workspace.slug, "modelrun_pk": run.pk})
    named = {labels.get(key, key): Decimal(str(v)) for key, v in values.items() if v is not None}
    return named, description, url


def channel_values(analytics: selectors.Analytics, today: dt.date) -> tuple[dict[str, Decimal], str, str]:
    """({channel: value}, method, evidence URL or "" for the channel page) for the weak-channel check
    (see the module text)."""
    mmm = mmm_marginal_roas(analytics.workspace)
    if mmm is not None and len(mmm[0]) >= 3:
        return mmm[0], f"marginal ROAS from the marketing mix model ({mmm[1]})", mmm[2]
    end = min(today, analytics.span[1])
    last = selectors.Filters(end - dt.timedelta(days=WINDOW_DAYS - 1), end, "custom")
    before = last.previous()
    now = {r.channel: r for r in selectors.channel_performance(analytics, last)}
    then = {r.channel: r for r in selectors.channel_performance(analytics, before)}
    period = f"{last.start:%d %b} to {last.end:%d %b %Y}"
    increments = {}
    for channel, r in now.items():
        prev = then.get(channel)
        if prev is None or not prev.spend:
            continue
        d_spend = r.spend - prev.spend
        if abs(d_spend) >= prev.spend * MIN_SPEND_CHANGE:
            increments[channel] = (r.revenue - prev.revenue) / d_spend
    if len(increments) >= 3:
        return (
            increments,
            f"incremental ROAS: change in revenue ÷ change in spend, {period} against the "
            f"{WINDOW_DAYS} days before",
            "",
        )
    average = {c: r.roas for c, r in now.items() if r.roas is not None and r.spend > 0}
    return (
        average,
        f"average ROAS over {period} (spend changed too little to measure increments; an MMM run would "
        "give marginal ROAS)",
        "",
    )


def channel_findings(analytics: selectors.Analytics, today: dt.date) -> list[Finding]:
    values, method, evidence = channel_values(analytics, today)
    if len(values) < 3:
        return []
    out = []
    ws = analytics.workspace
    for channel, value in sorted(values.items()):
        others = [v for c, v in values.items() if c != channel]
        median = Decimal(str(statistics.median(others)))
        if median <= 0 or value >= median * WEAK_SHARE:
            continue
        out.append(
            Finding(
                kind="weak_channel",
                severity="high" if value < median * Decimal("0.25") else "medium",
                title=f"{channel} returns far less per extra {ws.currency} than the other channels",
                explanation=(
                    f"{channel}: {value:.2f} against a median of {median:.2f} for the other "
                    f"{len(others)} channels. Method: {method}. Consider moving budget from {channel} "
                    "to the channels that return more."
                ),
                evidence_url=evidence
                or reverse("insights_channel", kwargs={"ws": ws.slug})
                + "?"
                + selectors.Filters(today, today, "30d", channel).query(),
                key=f"weak_channel:{channel}",
            )
        )
    return out


# --- conversion anomalies ------------------------------------------------------------------------------


def daily_conversions(analytics: selectors.Analytics, end: dt.date, days: int) -> list[tuple[dt.date, int]]:
    """Conversions per day (all kinds) for `days` days up to `end`, days without any counted as 0."""
    start = end - dt.timedelta(days=days - 1)
    rows = dict(
        analytics.store.execute(
            """SELECT CAST(ts AS DATE) AS day, count(*) FROM conversions
               WHERE ts >= ? AND ts < ? GROUP BY day""",
            [
                dt.datetime.combine(start, dt.time()),
                dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
            ],
        ).fetchall()
    )
    return [
        (start + dt.timedelta(days=i), int(rows.get(start + dt.timedelta(days=i), 0))) for i in range(days)
    ]


def robust_z(value: float, window: list[float]) -> Decimal | None:
    """Modified z-score of `value` against `window` (median/MAD); None when the window has no spread
    and the value equals its median, or when the window is empty."""
    if not window:
        return None
    median = statistics.median(window)
    mad = statistics.median(abs(x - median) for x in window)
    if mad == 0:
        # No spread at all (a flat series): any departure is extraordinary; use the mean absolute
        # deviation (scaled like MAD) if it is not zero either, else call it infinitely far.
        mean_dev = statistics.fmean(abs(x - median) for x in window)
        if mean_dev == 0:
            return None if value == median else Decimal(99 if value > median else -99)
        return Decimal(str(round((value - median) / (1.2533 * mean_dev), 2)))
    return Decimal(str(round(0.6745 * (value - median) / mad, 2)))


@dataclass(frozen=True)
class Anomaly:
    day: dt.date
    value: int
    median: float
    z: Decimal


def conversion_anomalies(analytics: selectors.Analytics, today: dt.date) -> tuple[list, list[Anomaly]]:
    """(daily series shown, anomalies among its last RECENT_DAYS days). The last day of data is left out
    when it is today (it is still being counted)."""
    last = analytics.store.execute("SELECT max(ts)::DATE FROM conversions").fetchone()[0]
    if last is None:
        return [], []
    end = min(last, today - dt.timedelta(days=1)) if last >= today else last
    series = daily_conversions(analytics, end, WINDOW_DAYS + RECENT_DAYS)
    if sum(v for _, v in series[:WINDOW_DAYS]) == 0:
        return series, []  # no history yet to compare with
    found = []
    for i in range(WINDOW_DAYS, len(series)):
        day, value = series[i]
        window = [float(v) for _, v in series[i - WINDOW_DAYS : i]]
        z = robust_z(float(value), window)
        if z is not None and abs(z) > Z_LIMIT:
            found.append(Anomaly(day, value, statistics.median(window), z))
    return series, found


def anomaly_findings(analytics: selectors.Analytics, today: dt.date) -> list[Finding]:
    ws = analytics.workspace
    _series, found = conversion_anomalies(analytics, today)
    out = []
    for a in found:
        up = a.z > 0
        out.append(
            Finding(
                kind="conversion_anomaly",
                severity="high" if abs(a.z) > 6 or (not up and a.value == 0) else "medium",
                title=f"Conversions {'spiked' if up else 'dropped'} on {a.day:%a %d %b %Y}",
                explanation=(
                    f"{a.value} conversions against a median of {a.median:g} over the {WINDOW_DAYS} days "
                    "before "
                    f"(robust z-score {a.z}; beyond ±{Z_LIMIT} is unusual). "
                    + (
                        "Check for a promotion, bot traffic or double-counted tracking."
                        if up
                        else "Check tracking (tags, consent banner), the site and the ad accounts."
                    )
                ),
                evidence_url=reverse("insights_home", kwargs={"ws": ws.slug})
                + "?"
                + selectors.Filters(a.day - dt.timedelta(days=WINDOW_DAYS), a.day, "custom").query(),
                key=f"conversion_anomaly:{a.day.isoformat()}:{'up' if up else 'down'}",
            )
        )
    return out


# --- organisation --------------------------------------------------------------------------------------


def raci_findings(workspace: Workspace) -> list[Finding]:
    from opencmo.org import raci, rules

    health = raci.health(workspace)
    out = []
    for f in health.findings:
        if f.activity_id:
            url = reverse("activity_detail", kwargs={"ws": workspace.slug, "activity_pk": f.activity_id})
        elif f.person_id:
            url = reverse("person_detail", kwargs={"ws": workspace.slug, "person_pk": f.person_id})
        else:
            url = reverse("raci_grid", kwargs={"ws": workspace.slug})
        out.append(
            Finding(
                kind="raci",
                severity="high" if f.severity == rules.ERROR else "medium",
                title=f.code.replace("_", " ").capitalize(),
                explanation=f.message,
                evidence_url=url,
                key=f"raci:{f.code}:{f.activity_id or ''}:{f.person_id or ''}:{f.role_key or ''}",
            )
        )
    return out


def approval_findings(workspace: Workspace, today: dt.date) -> list[Finding]:
    limit = int(getattr(settings, "INSIGHTS_APPROVAL_DAYS", APPROVAL_DAYS))
    out = []
    for request in selectors.waiting_approvals(workspace, limit=500):
        waited = (today - timezone.localdate(request.created_at)).days
        if waited <= limit:
            continue
        step = "sign-off from the Consulted people" if request.status == "consulting" else "a decision"
        out.append(
            Finding(
                kind="overdue_approval",
                severity="high" if waited > 2 * limit else "medium",
                title=f"Approval waiting {waited} days: {request.summary}",
                explanation=(
                    f"{request.requested_by.name} asked {request.approver.name} on "
                    f"{timezone.localdate(request.created_at):%d %b %Y} to approve “{request.summary}” "
                    f"({request.get_kind_display().lower()}); it still waits for {step}, {waited} days "
                    f"later (the limit is {limit})."
                ),
                evidence_url=reverse(
                    "activity_detail", kwargs={"ws": workspace.slug, "activity_pk": request.activity_id}
                ),
                key=f"overdue_approval:{request.pk}",
            )
        )
    return out
