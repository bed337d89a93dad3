"""Dashboards (CMO, manager, campaign, channel) and the insights feed.

Every dashboard is a GET page whose filters live in the URL; an htmx request (the filter form) gets only
the dashboard body back. `?csv=<panel>` on any dashboard URL answers that panel's table as CSV, with the
same filters, so the export always matches what is on screen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from opencmo.analytics.store import StoreError
from opencmo.core.exports import csv_response
from opencmo.core.tenancy import workspace_view
from opencmo.insights import charts, findings, selectors, tables
from opencmo.insights.forms import filter_form
from opencmo.insights.tables import Panel
from opencmo.insights.vega import chart_html


def _page(request: HttpRequest, template: str, body: str, context: dict) -> HttpResponse:
    """CSV of one panel, the dashboard body (htmx) or the whole page."""
    wanted = request.GET.get("csv")
    if wanted:
        panel = next((p for p in context.get("panels", {}).values() if p.key == wanted), None)
        if panel is None:
            raise Http404("No such table on this page.")
        f = context["filters"]
        name = f"{context['csv_prefix']}-{panel.key}-{f.start:%Y%m%d}-{f.end:%Y%m%d}.csv"
        return csv_response(name, panel.table.header, panel.table.csv_rows())
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, body, context)
    return render(request, template, context)


def _with_analytics(
    request: HttpRequest,
    build: Callable[[selectors.Analytics | None, dict], None],
    default: Callable[[dt.date], tuple[dt.date, dt.date] | None] | None = None,
) -> dict:
    """Open the store once (read-only), set up the filters and let `build` fill the context."""
    workspace = request.workspace
    today = timezone.localdate()
    context: dict = {"today": today, "problem": "", "panels": {}}
    try:
        with selectors.open_analytics(workspace) as analytics:
            has_data = analytics is not None and analytics.has_data
            anchor = min(today, analytics.span[1]) if has_data else today
            form = filter_form(
                request,
                channels=analytics.channels if has_data else [],
                objectives=selectors.objective_choices(workspace),
                anchor=anchor,
                default=default(anchor) if default else None,
            )
            filters = form.filters()
            context.update(form=form, filters=filters, has_data=has_data, analytics=analytics)
            try:
                build(analytics if has_data else None, context)
            except ValueError as error:  # e.g. amounts in a currency without an exchange rate
                context["problem"] = str(error)
                build(None, context)
            if has_data and not context["problem"]:
                context["data_span"] = analytics.span
                context["currency"] = (
                    analytics.money_options(filters.end).get("currency") or workspace.currency
                )
    except StoreError as error:
        context["problem"] = f"The analytics data cannot be read right now ({error}). Try again in a minute."
        if "filters" not in context:
            form = filter_form(
                request, channels=[], objectives=selectors.objective_choices(workspace), anchor=today
            )
            context.update(form=form, filters=form.filters(), has_data=False)
        build(None, context)
    context.pop("analytics", None)
    context.setdefault("currency", workspace.currency)
    return context


def _cached_view(analytics: selectors.Analytics, name: str, f: selectors.Filters, build: Callable[[], dict]):
    """Store-driven panels cached with the analytics figures (same invalidation: an import changes the
    store's version), keyed also by the exchange rates and by a stamp of the workspace's campaigns
    (their names and links appear in the panels)."""
    from django.db.models import Count, Max

    from opencmo.campaigns.models import Campaign

    stamp = Campaign.objects.filter(workspace=analytics.workspace).aggregate(
        n=Count("pk"), at=Max("updated_at")
    )
    key = (f, analytics.workspace.slug, repr(analytics.money_options(f.end)), stamp["n"], str(stamp["at"]))
    return analytics.cached(f"view:{name}", key, build)


def _channel_link(workspace, filters: selectors.Filters) -> Callable[[str], str]:
    base = reverse("insights_channel", kwargs={"ws": workspace.slug})
    return lambda name: f"{base}?{filters.query(channel=name)}"


def _panel(key: str, title: str, table: tables.Table, chart=None, *, label: str = "", **extra) -> Panel:
    html = chart_html(chart, label=label or title) if chart is not None and table.rows else None
    return Panel(key, title, table, html, **extra)


# --- CMO dashboard ------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def insights_home(request: HttpRequest) -> HttpResponse:
    def build(analytics: selectors.Analytics | None, context: dict) -> None:
        f: selectors.Filters = context["filters"]
        planned = _cached_for_user(
            request, "cmo-plans", f, lambda: _plans_panels(request, f, context["today"])
        )
        context["panels"].update(planned["panels"])
        context.update(budget_plans=planned["budget_plans"], pipeline=planned["pipeline"])
        if analytics is None:
            return
        marketing = _cached_view(analytics, "cmo", f, lambda: _marketing(analytics, f))
        context["headlines"] = marketing["headlines"]
        context["panels"].update(marketing["panels"])

    context = _with_analytics(request, build)
    context.update(csv_prefix="insights", page="cmo")
    return _page(request, "insights/home.html", "insights/_home_body.html", context)


def _cached_for_user(
    request: HttpRequest, name: str, f: selectors.Filters, build: Callable[[], dict]
) -> dict:
    """Panels drawn from the app database, cached briefly per user (RACI decides what each one sees) and
    per filter. The key holds the workspace's latest audit time: every change OpenCMO makes is audited,
    so a change shows at once; the two-minute lifetime bounds anything that is not (e.g. the date)."""
    from django.core.cache import cache
    from django.db.models import Max

    from opencmo.core.models import AuditEvent

    stamp = AuditEvent.objects.filter(workspace=request.workspace).aggregate(at=Max("at"))["at"]
    raw = repr((name, request.workspace.pk, request.user.pk, f, str(stamp), timezone.localdate()))
    key = "insights:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, 120)
    return value


def _plans_panels(request: HttpRequest, f: selectors.Filters, today: dt.date) -> dict:
    """The CMO dashboard's panels from plans: objectives, budget and the sales pipeline."""
    workspace, user = request.workspace, request.user
    panels: dict = {}
    objectives = selectors.objectives_vs_targets(workspace, f, on=today)
    panels["objectives"] = _panel(
        "objectives",
        "Objectives vs targets",
        tables.objectives_table(objectives),
        charts.objectives_chart(objectives),
        note="Bars: % of target reached; black tick: % expected by today.",
        empty="No active objectives with KPIs.",
        links=[("Strategy", reverse("strategy_home", kwargs={"ws": workspace.slug}))],
    )
    budget = selectors.budget_vs_actual(user, workspace, f, today=today)
    panels["budget"] = _panel(
        "budget",
        "Budget vs actual",
        tables.budget_months_table(budget.months, workspace.currency),
        charts.budget_chart(budget.months, workspace.currency),
        note="Monthly spend of the plans running in the period against their phased plan.",
        empty="No budget plan covers this period.",
    )
    pipe = selectors.pipeline(workspace, f)
    panels["pipeline"] = _panel(
        "pipeline",
        "Pipeline from marketing",
        tables.pipeline_table(pipe) if pipe.steps and pipe.steps[0][1] else tables.Table([], []),
        charts.pipeline_chart(pipe.steps),
        note="Contacts who became MQL in the period and how far the hand-offs to sales got.",
        empty="No MQLs or hand-offs in this period.",
        links=[("Customers", reverse("crm_home", kwargs={"ws": workspace.slug}))],
    )
    return {"panels": panels, "budget_plans": budget.plans, "pipeline": pipe}


def _marketing(analytics: selectors.Analytics, f: selectors.Filters) -> dict:
    """The CMO dashboard's panels drawn from the analytics store (cached as a whole, see _cached_view)."""
    workspace = analytics.workspace
    currency = analytics.money_options(f.end).get("currency")
    out = {"headlines": selectors.headlines(analytics, f), "panels": {}}
    panels = out["panels"]
    channels = selectors.channel_performance(analytics, f)
    panels["channels"] = _panel(
        "channels",
        "ROAS and CAC by channel",
        tables.channels_table(channels, currency, link=_channel_link(workspace, f)),
        charts.channel_roas_chart(channels, currency),
        note="Revenue as the ad platforms report it; leads and new customers credited to the last "
        "non-direct touch within 30 days.",
        empty="No ad spend in this period.",
    )
    trend = selectors.channel_trend(analytics, f)
    panels["trend"] = _panel(
        "trend",
        f"Spend by channel per {f.grain}",
        tables.trend_table(trend, currency),
        charts.channel_trend_chart(trend, currency),
        note="Click a channel in the legend to highlight it.",
        empty="No ad spend in this period.",
    )
    attribution = selectors.attribution_split(analytics, f)
    panels["attribution"] = _panel(
        "attribution",
        "Attribution split",
        tables.attribution_table(attribution.rows),
        charts.attribution_chart(attribution.rows, highlight=f.channel),
        note="Share of conversions credited to each channel by three models, from the journeys that "
        "ended in the period (all channels, whatever the filter).",
        empty=attribution.problem or "No journeys in this period.",
    )
    campaigns = selectors.campaign_performance(analytics, f)
    best, worst = selectors.top_and_bottom(campaigns)
    panels["campaigns"] = _panel(
        "campaigns",
        "Top and bottom campaigns by ROAS",
        tables.Table(
            tables.campaigns_table(best, currency, rank="Top").columns,
            tables.campaigns_table(best, currency, rank="Top").rows
            + tables.campaigns_table(worst, currency, rank="Bottom").rows,
        ),
        charts.campaigns_chart(best, worst, currency),
        note="Campaigns with at least 1 % of the spend.",
        empty="No campaign with spend in this period.",
    )
    for panel in panels.values():
        panel.table_html  # noqa: B018 - render once, before caching
    return out


# --- manager dashboard ----------------------------------------------------------------------------------


@workspace_view()
@require_GET
def insights_manager(request: HttpRequest) -> HttpResponse:
    workspace, user = request.workspace, request.user
    today = timezone.localdate()
    form = filter_form(request, channels=[], objectives=selectors.objective_choices(workspace), anchor=today)
    filters = form.filters()
    late = selectors.late_tasks(user, workspace, today=today)
    context = {
        "form": form,
        "filters": filters,
        "today": today,
        "page": "manager",
        "live": selectors.live_campaigns(user, workspace, filters),
        "late": [(task, (today - task.due_date).days) for task in late],
        "approvals": [
            (a, (timezone.now() - a.created_at).days) for a in selectors.waiting_approvals(workspace)
        ],
        "alerts": selectors.pacing_alerts(workspace, user=user, today=today),
    }
    return render(request, "insights/manager.html", context)


# --- campaign page --------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def insights_campaign(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    from opencmo.campaigns.selectors import visible_campaigns

    workspace = request.workspace
    campaign = visible_campaigns(request.user, workspace).filter(pk=campaign_pk).first()
    if campaign is None:
        raise Http404("No such campaign.")

    def build(analytics: selectors.Analytics | None, context: dict) -> None:
        f = context["filters"]
        data = selectors.campaign_insights(analytics, campaign, f, today=context["today"])
        context["data"] = data
        currency = analytics.money_options(f.end).get("currency") if analytics else workspace.currency
        context["panels"]["trend"] = _panel(
            "trend",
            f"Spend and revenue per {f.grain}",
            tables.kpi_rows_table(data.trend, currency),
            charts.campaign_trend_chart(data.trend, currency),
            empty="No ad data for this campaign in the period. Map its platform campaigns under "
            "Budget → Unmatched spend.",
        )
        context["panels"]["channels"] = _panel(
            "channels",
            "By channel",
            tables.kpi_rows_table(data.channels, currency, first="Channel", first_kind="text"),
            empty="No channel results in the period.",
        )

    def campaign_dates(anchor: dt.date) -> tuple[dt.date, dt.date] | None:
        """The campaign's own dates, ended at the data's last day; None (the usual default) when the
        campaign has not started by then."""
        end = min(campaign.end_date, anchor)
        return (campaign.start_date, end) if campaign.start_date <= end else None

    context = _with_analytics(request, build, default=campaign_dates)
    context.update(campaign=campaign, csv_prefix=f"campaign-{campaign.pk}", page="campaign")
    return _page(request, "insights/campaign.html", "insights/_campaign_body.html", context)


# --- channel page ---------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def insights_channel(request: HttpRequest) -> HttpResponse:
    workspace, user = request.workspace, request.user

    def build(analytics: selectors.Analytics | None, context: dict) -> None:
        f: selectors.Filters = context["filters"]
        context["channel_list"] = []
        if analytics is None:
            return
        currency = analytics.money_options(f.end).get("currency")
        everything = selectors.channel_performance(analytics, selectors.Filters(f.start, f.end, f.period))
        context["channel_list"] = everything
        if not f.channel:
            return
        context["channel_row"] = next((r for r in everything if r.channel == f.channel), None)
        trend = selectors.channel_trend(analytics, f)
        context["panels"]["trend"] = _panel(
            "trend",
            f"{f.channel}: revenue per {f.grain}",
            tables.trend_table(trend, currency),
            charts.channel_trend_chart(trend, currency, measure="revenue"),
            empty="No ad spend on this channel in the period.",
        )
        campaigns = selectors.campaign_performance(analytics, f)
        context["panels"]["campaigns"] = _panel(
            "campaigns",
            f"Campaigns on {f.channel}",
            tables.campaigns_table(campaigns, currency),
            empty="No campaign spent on this channel in the period.",
        )
        attribution = selectors.attribution_split(analytics, f)
        context["panels"]["attribution"] = _panel(
            "attribution",
            "Credit for conversions, compared with the other channels",
            tables.attribution_table(attribution.rows),
            charts.attribution_chart(attribution.rows, highlight=f.channel),
            empty=attribution.problem or "No journeys in this period.",
        )
        budget = selectors.budget_vs_actual(user, workspace, f, today=context["today"])
        context["panels"]["budget"] = _panel(
            "budget",
            "Budget lines for this channel",
            tables.budget_channels_table(budget.channels, workspace.currency),
            empty="No budget line is tied to this channel.",
        )

    context = _with_analytics(request, build)
    context.update(csv_prefix="channel", page="channel")
    return _page(request, "insights/channel.html", "insights/_channel_body.html", context)


# --- insights feed --------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def insights_feed(request: HttpRequest) -> HttpResponse:
    found = findings.findings(request.workspace)
    groups = [(level, [f for f in found if f.severity == level]) for level in findings.SEVERITIES]
    if request.GET.get("csv"):
        return csv_response(
            "insights-feed.csv",
            ["severity", "kind", "title", "explanation", "evidence", "key"],
            [
                [
                    f.severity,
                    f.kind,
                    f.title,
                    f.explanation,
                    request.build_absolute_uri(f.evidence_url),
                    f.key,
                ]
                for f in found
            ],
        )
    context = {"groups": groups, "count": len(found), "page": "feed", "conversions": None}
    try:
        with selectors.open_analytics(request.workspace) as analytics:
            if analytics is not None and analytics.has_data:
                series, anomalies = findings.conversion_anomalies(analytics, timezone.localdate())
                if series:
                    context["conversions"] = chart_html(
                        charts.conversions_chart(series, [a.day for a in anomalies]),
                        label="Daily conversions with unusual days marked",
                    )
    except StoreError:
        pass  # the feed still lists the other findings
    return render(request, "insights/feed.html", context)
