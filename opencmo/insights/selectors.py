"""Figures behind the dashboards: one function per panel, pure reads, plain data out.

The review pack (opencmo/reviews) calls the same functions so a number on a dashboard and in a board
report are the same number. Marketing figures come from the analytics engine (opencmo.analytics: kpis,
attribution) over the workspace's store, opened read-only once per request (:func:`open_analytics`);
plans, objectives, pipeline and work come from their own apps' selectors. Nothing here re-implements a
formula: ROAS, CAC, pacing and projections are the engine's and the apps' own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from opencmo.analytics import kpis as engine
from opencmo.analytics.attribution import make_model
from opencmo.analytics.paths import PathTable, PathTableError
from opencmo.analytics.store import Store
from opencmo.core.models import Workspace

ZERO = Decimal(0)
_MISSING = object()

# ------------------------------------------------------------------------------------------- filters

PERIODS: dict[str, str] = {
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "qtd": "Quarter to date",
    "ytd": "Year to date",
    "365d": "Last 12 months",
    "custom": "Custom dates",
}
DEFAULT_PERIOD = "90d"


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows: an inclusive day range, optionally one channel (as named in the data) and
    one objective (its campaigns only)."""

    start: dt.date
    end: dt.date
    period: str = DEFAULT_PERIOD
    channel: str = ""
    objective_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        """Trend resolution that keeps a chart readable: days up to ~6 weeks, weeks up to ~9 months."""
        if self.days <= 45:
            return "day"
        return "week" if self.days <= 270 else "month"

    def params(self, **overrides) -> dict[str, str]:
        values = {
            "period": self.period,
            "start": self.start.isoformat() if self.period == "custom" else "",
            "end": self.end.isoformat() if self.period == "custom" else "",
            "channel": self.channel,
            "objective": str(self.objective_id or ""),
        }
        values.update({k: "" if v is None else str(v) for k, v in overrides.items()})
        return {k: v for k, v in values.items() if v}

    def query(self, **overrides) -> str:
        """The filters as a query string (without "?"), for shareable links and CSV exports."""
        return urlencode(self.params(**overrides))

    def previous(self) -> Filters:
        """The same length of time just before this one (for period-on-period comparisons)."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end, period="custom")


def period_range(period: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """(start, end) of a named period ending on `anchor` (inclusive)."""
    if period == "30d":
        return anchor - dt.timedelta(days=29), anchor
    if period == "qtd":
        return dt.date(anchor.year, 3 * ((anchor.month - 1) // 3) + 1, 1), anchor
    if period == "ytd":
        return dt.date(anchor.year, 1, 1), anchor
    if period == "365d":
        return anchor - dt.timedelta(days=364), anchor
    return anchor - dt.timedelta(days=89), anchor


# ------------------------------------------------------------------------------------ analytics store


class Analytics:
    """The workspace's analytics store, with the workspace's reporting currency and exchange rates, so
    every panel asks the engine the same way.

    Speed: the store is opened read-only only when a figure is not cached yet. Figures are cached (Django
    cache) under the store file's version, its size and modification time with its write-ahead log, so
    an import makes every cached figure stale at once, and under every input of the computation (period,
    grouping, exchange rates). Figures are pure functions of those inputs, so a cached figure is always
    the engine's current answer."""

    CACHE_SECONDS = 6 * 3600

    def __init__(self, workspace: Workspace, path, *, timeout: float = 5) -> None:
        self.workspace = workspace
        self.path = path
        self.timeout = timeout
        self._store: Store | None = None
        self._memo: dict = {}

    @property
    def store(self) -> Store:
        """The open store (opened read-only on first use; `close` releases it)."""
        if self._store is None:
            self._store = Store(self.path, read_only=True, timeout=self.timeout).open()
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @cached_property
    def version(self) -> str:
        parts = []
        for candidate in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                stat = candidate.stat()
            except FileNotFoundError:
                parts.append("-")
            else:
                parts.append(f"{stat.st_size}.{stat.st_mtime_ns}")
        return ":".join(parts)

    def cached(self, name: str, key: tuple, compute):
        """compute() memoised for this request and across requests until the store changes."""
        from django.core.cache import cache

        memo_key = (name, key)
        if memo_key in self._memo:
            return self._memo[memo_key]
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        cache_key = f"insights:{self.workspace.pk}:{self.version}:{name}:{digest}"
        value = cache.get(cache_key, _MISSING)
        if value is _MISSING:
            value = compute()
            cache.set(cache_key, value, self.CACHE_SECONDS)
        self._memo[memo_key] = value
        return value

    @property
    def span(self) -> tuple[dt.date, dt.date] | None:
        """First and last day with ad data (or, without ads, with touchpoints)."""

        def compute():
            low, high = self.store.execute("SELECT min(day), max(day) FROM ad_performance").fetchone()
            if low is None:
                low, high = self.store.execute(
                    "SELECT min(ts)::DATE, max(ts)::DATE FROM touchpoints"
                ).fetchone()
            return (low, high) if low is not None else None

        return self.cached("span", (), compute)

    @property
    def has_data(self) -> bool:
        return self.span is not None

    @property
    def channels(self) -> list[str]:
        """Channel names as they appear in the data (ads and journeys)."""

        def compute():
            rows = self.store.execute(
                """SELECT DISTINCT coalesce(channel, platform) FROM ad_performance
                   UNION SELECT DISTINCT channel FROM touchpoints"""
            ).fetchall()
            return sorted({r[0] for r in rows if r[0]}, key=str.lower)

        return self.cached("channels", (), compute)

    @property
    def currencies(self) -> list[str]:
        def compute():
            rows = self.store.execute(
                "SELECT DISTINCT currency FROM ad_performance UNION SELECT DISTINCT currency FROM orders"
            ).fetchall()
            return sorted(r[0] for r in rows if r[0])

        return self.cached("currencies", (), compute)

    def money_options(self, end: dt.date) -> dict:
        """currency/fx for the engine: report in the workspace currency, converting other currencies with
        the latest budget exchange rate on or before `end`. One currency in the data: report in it."""
        if ("money", end) not in self._memo:
            self._memo[("money", end)] = self._money_options(end)
        return dict(self._memo[("money", end)])

    def _money_options(self, end: dt.date) -> dict:
        others = [c for c in self.currencies if c != self.workspace.currency]
        if not others:
            return {"currency": self.workspace.currency if self.currencies else None}
        from opencmo.budget.models import ExchangeRate

        fx: dict[str, Decimal] = {}
        for rate in ExchangeRate.objects.filter(
            workspace=self.workspace, currency__in=others, date__lte=end
        ).order_by("currency", "-date"):
            fx.setdefault(rate.currency, rate.rate)
        missing = [c for c in others if c not in fx]
        if missing and len(self.currencies) == 1:
            return {"currency": None}  # the data is all in one other currency: report in it
        if missing:
            raise ValueError(
                f"The data holds amounts in {', '.join(missing)}: add an exchange rate into "
                f"{self.workspace.currency} under Budget → Exchange rates."
            )
        return {"currency": self.workspace.currency, "fx": fx}

    def kpis(
        self,
        *,
        start: dt.date,
        end: dt.date,
        grain: str = "total",
        by: Sequence[str] = ("channel",),
        objectives: dict[int, str] | None = None,
        revenue_source: str = "platform",
    ) -> list[engine.KpiRow]:
        """opencmo.analytics.kpis.kpis for this store (memoised per request: panels share queries)."""
        money = self.money_options(end)
        key = (
            start,
            end,
            grain,
            tuple(by),
            tuple(sorted((objectives or {}).items())),
            revenue_source,
            money.get("currency"),
            tuple(sorted((money.get("fx") or {}).items())),
        )
        return self.cached(
            "kpis",
            key,
            lambda: engine.kpis(
                self.store,
                grain=grain,
                by=by,
                start=start,
                end=end,
                objectives=objectives,
                revenue_source=revenue_source,
                **money,
            ),
        )

    def filtered_kpis(self, filters: Filters, *, grain: str = "total", by: Sequence[str] = ("channel",)):
        """KPI rows in the filters' period, keeping only the chosen channel and objective's campaigns.

        Filtering is done by grouping the engine's query by those dimensions and keeping the matching
        groups, so the sums are exactly the engine's."""
        dims = list(by)
        objectives = None
        if filters.channel and "channel" not in dims:
            dims.append("channel")
        if filters.objective_id:
            objectives = {
                pk: str(filters.objective_id) for pk in objective_campaign_ids(filters.objective_id)
            }
            dims.append("objective")
        rows = self.kpis(start=filters.start, end=filters.end, grain=grain, by=dims, objectives=objectives)
        if filters.channel:
            rows = [r for r in rows if r.channel == filters.channel]
        if filters.objective_id:
            rows = [r for r in rows if r.objective == str(filters.objective_id)]
        return rows


@contextmanager
def open_analytics(workspace: Workspace, *, timeout: float = 5) -> Iterator[Analytics | None]:
    """The workspace's analytics, or None when nothing was ever imported (no store file yet)."""
    from opencmo.data.services import open_store

    path = open_store(workspace).path
    if not path.exists():
        yield None
        return
    analytics = Analytics(workspace, path, timeout=timeout)
    try:
        yield analytics
    finally:
        analytics.close()


def objective_campaign_ids(objective_id: int) -> list[int]:
    from opencmo.campaigns.models import Campaign

    return list(Campaign.objects.filter(objectives=objective_id).values_list("pk", flat=True))


def _merge(rows: Sequence[engine.KpiRow], key) -> dict:
    """Rows grouped by `key` and re-totalled by the engine (ratios recomputed from the sums)."""
    groups: dict = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {k: engine.totals(v) for k, v in groups.items()}


# ----------------------------------------------------------------------------- marketing performance


@dataclass(frozen=True)
class Headline:
    label: str
    value: Decimal | int | None
    kind: str  # "money", "ratio" (shown as 4.2x), "count"
    previous: Decimal | int | None = None

    @property
    def change(self) -> Decimal | None:
        """Relative change against the previous period (0.12 = +12 %), None when not comparable."""
        if self.value is None or self.previous in (None, 0):
            return None
        return ((Decimal(self.value) - Decimal(self.previous)) / abs(Decimal(self.previous))).quantize(
            Decimal("0.001")
        )


def headlines(analytics: Analytics, filters: Filters) -> list[Headline]:
    """Spend, revenue, ROAS, CAC and leads in the period, each against the period before."""
    now = engine.totals(analytics.filtered_kpis(filters))
    before = engine.totals(analytics.filtered_kpis(filters.previous()))

    def pick(row, name):
        return getattr(row, name) if row is not None else None

    specs = [
        ("Spend", "spend", "money"),
        ("Revenue", "revenue", "money"),
        ("ROAS", "roas", "ratio"),
        ("CAC", "cac", "money"),
        ("Leads", "leads", "count"),
    ]
    if not pick(now, "leads") and not pick(before, "leads"):
        # No lead-kind conversions (a shop): the platforms' conversions say more than a row of zeros.
        specs[-1] = ("Conversions", "conversions", "count")
    return [Headline(label, pick(now, name), kind, pick(before, name)) for label, name, kind in specs]


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    spend: Decimal
    revenue: Decimal
    roas: Decimal | None
    cac: Decimal | None
    cpl: Decimal | None
    conversions: Decimal
    leads: int | None
    new_customers: int | None
    share_of_spend: Decimal | None


def channel_performance(analytics: Analytics, filters: Filters) -> list[ChannelRow]:
    """ROAS, CAC and CPL by channel over the period, largest spend first (the engine's numbers)."""
    rows = [r for r in analytics.filtered_kpis(filters) if r.channel]
    merged = _merge(rows, lambda r: r.channel)  # one row per channel even when grouped by objective too
    total_spend = sum((r.spend for r in merged.values()), ZERO)
    out = [
        ChannelRow(
            channel=name,
            spend=r.spend,
            revenue=r.revenue,
            roas=r.roas,
            cac=r.cac,
            cpl=r.cpl,
            conversions=r.conversions,
            leads=r.leads,
            new_customers=r.new_customers,
            share_of_spend=engine.ratio(r.spend, total_spend, engine.RATE_PLACES),
        )
        for name, r in merged.items()
    ]
    return sorted(out, key=lambda r: (-r.spend, r.channel))


@dataclass(frozen=True)
class TrendPoint:
    period: dt.date
    channel: str
    spend: Decimal
    revenue: Decimal
    roas: Decimal | None
    conversions: Decimal


def channel_trend(analytics: Analytics, filters: Filters) -> list[TrendPoint]:
    """Spend, revenue and ROAS per channel per day/week/month (see Filters.grain)."""
    rows = [r for r in analytics.filtered_kpis(filters, grain=filters.grain) if r.channel]
    spending = {r.channel for r in rows if r.spend}  # channels without ad spend (Direct) have no trend
    merged = _merge([r for r in rows if r.channel in spending], lambda r: (r.period, r.channel))
    return [
        TrendPoint(period, channel, r.spend, r.revenue, r.roas, r.conversions)
        for (period, channel), r in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][1]))
        if period is not None
    ]


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int | None
    name: str
    spend: Decimal
    revenue: Decimal
    roas: Decimal | None
    cac: Decimal | None
    conversions: Decimal
    url: str = ""


def campaign_performance(analytics: Analytics, filters: Filters) -> list[CampaignRow]:
    """Every campaign with spend in the period (ours when mapped, else the platform's name)."""
    from opencmo.campaigns.models import Campaign

    rows = analytics.filtered_kpis(filters, by=("campaign",))
    merged = _merge(rows, lambda r: (r.campaign_id, r.campaign))
    names = dict(
        Campaign.objects.filter(
            workspace=analytics.workspace, pk__in=[k[0] for k in merged if k[0]]
        ).values_list("pk", "name")
    )
    ws = analytics.workspace.slug
    out = []
    for (campaign_id, platform_name), r in merged.items():
        if campaign_id is None and not platform_name:
            continue  # leads/orders credited to no campaign at all
        if campaign_id is not None and campaign_id not in names:
            continue  # mapped to a campaign since deleted
        out.append(
            CampaignRow(
                campaign_id,
                names.get(campaign_id) or f"{platform_name} (not mapped)",
                r.spend,
                r.revenue,
                r.roas,
                r.cac,
                r.conversions,
                reverse("insights_campaign", kwargs={"ws": ws, "campaign_pk": campaign_id})
                if campaign_id
                else "",
            )
        )
    return sorted(out, key=lambda r: (-r.spend, r.name))


def top_and_bottom(rows: list[CampaignRow], n: int = 5, min_share: Decimal = Decimal("0.01")):
    """(best, worst) campaigns by ROAS, among those with at least `min_share` of the spend (tiny tests
    with one lucky sale would otherwise top the list)."""
    total = sum((r.spend for r in rows), ZERO)
    ranked = [r for r in rows if r.roas is not None and total and r.spend >= total * min_share]
    ranked.sort(key=lambda r: (-r.roas, r.name))
    n = min(n, (len(ranked) + 1) // 2)  # few campaigns: split them rather than list all as "top"
    best = ranked[:n]
    worst = [r for r in reversed(ranked) if r not in best][:n]
    return best, worst


# --------------------------------------------------------------------------------------- attribution

ATTRIBUTION_MODELS: dict[str, str] = {
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "markov": "Data-driven (Markov)",
}


@dataclass(frozen=True)
class CreditRow:
    model: str
    channel: str
    conversions: float
    value: float
    share: float


@dataclass
class Attribution:
    rows: list[CreditRow] = field(default_factory=list)
    total_conversions: float = 0.0
    unattributed: float = 0.0
    problem: str = ""


def attribution_split(
    analytics: Analytics, filters: Filters, *, models: Sequence[str] = tuple(ATTRIBUTION_MODELS)
) -> Attribution:
    """Conversion credit per channel under several models, from the journeys ending in the period.

    Journeys cross channels, so the channel and objective filters do not narrow them (a channel's
    share only means something next to the others); pages highlight the chosen channel instead."""
    money = analytics.money_options(filters.end)
    key = (
        filters.start,
        filters.end,
        tuple(models),
        money.get("currency"),
        tuple(sorted((money.get("fx") or {}).items())),
    )
    return analytics.cached("attribution", key, lambda: _attribution(analytics, filters, models, money))


def _attribution(analytics: Analytics, filters: Filters, models: Sequence[str], money: dict) -> Attribution:
    try:
        paths = PathTable.from_store(analytics.store, start=filters.start, end=filters.end, **money)
    except (PathTableError, ValueError) as error:
        return Attribution(problem=str(error))
    if paths.n_paths == 0 or paths.total_conversions == 0:
        return Attribution(problem="No conversions with touchpoints in this period.")
    result = Attribution(total_conversions=paths.total_conversions)
    result.unattributed = float(paths.unattributed[0]) if paths.unattributed else 0.0
    for name in models:
        model = make_model(name).fit(paths)
        for credit in model.results():
            result.rows.append(
                CreditRow(
                    ATTRIBUTION_MODELS.get(name, name),
                    credit.channel,
                    credit.conversions,
                    credit.value,
                    credit.share,
                )
            )
    return result


# -------------------------------------------------------------------------------- plan, goals, work


@dataclass(frozen=True)
class ObjectiveRow:
    objective_id: int
    objective: str
    kpi_id: int
    kpi: str
    unit: str
    currency: str
    actual: Decimal | None
    target: Decimal
    expected: Decimal
    pct_of_target: Decimal | None
    expected_pct: Decimal
    projected_end: Decimal | None
    period_end: dt.date
    status: str
    status_label: str
    url: str


def objectives_vs_targets(workspace: Workspace, filters: Filters | None = None, *, on: dt.date | None = None):
    """Each KPI of the active objectives: where it stands on `on` against the expected value to date,
    the target and the projection to period end (opencmo.strategy.progress does the maths)."""
    from opencmo.strategy.selectors import kpi_overview

    out = []
    for row in kpi_overview(workspace, on=on):
        kpi, prog = row.kpi, row.progress
        if filters and filters.objective_id and kpi.objective_id != filters.objective_id:
            continue
        out.append(
            ObjectiveRow(
                kpi.objective_id,
                kpi.objective.title,
                kpi.pk,
                kpi.name,
                kpi.unit,
                workspace.currency,
                prog.actual,
                prog.target,
                prog.expected_to_date,
                prog.pct_of_target,
                prog.expected_pct,
                prog.projected_end,
                kpi.period_end,
                prog.status,
                prog.status_label,
                reverse("kpi_detail", kwargs={"ws": workspace.slug, "kpi_pk": kpi.pk}),
            )
        )
    return out


@dataclass(frozen=True)
class PlanRow:
    plan_id: int
    name: str
    start: dt.date
    end: dt.date
    amount: Decimal
    committed: Decimal
    actual: Decimal
    landing: Decimal
    variance: Decimal
    pct_used: Decimal | None
    url: str


@dataclass(frozen=True)
class MonthRow:
    plan: str
    month: dt.date
    planned: Decimal
    actual: Decimal
    committed: Decimal


@dataclass(frozen=True)
class ChannelBudgetRow:
    channel: str
    channel_key: str
    amount: Decimal
    actual: Decimal
    committed: Decimal
    landing: Decimal


@dataclass
class BudgetView:
    plans: list[PlanRow] = field(default_factory=list)
    months: list[MonthRow] = field(default_factory=list)
    channels: list[ChannelBudgetRow] = field(default_factory=list)


def budget_vs_actual(
    user, workspace: Workspace, filters: Filters, *, today: dt.date | None = None
) -> BudgetView:
    """Plans overlapping the period (that `user` may see), their totals, months and channel lines.

    Figures are whole-plan figures from opencmo.budget (pacing, landing forecast); months are limited to
    the filter period."""
    from opencmo.budget.models import BudgetPlan
    from opencmo.budget.selectors import plan_figures, visible_plans

    today = today or timezone.localdate()
    view = BudgetView()
    plans = (
        visible_plans(user, workspace)
        .filter(start_date__lte=filters.end, end_date__gte=filters.start)
        .exclude(status=BudgetPlan.Status.DRAFT)
        .order_by("start_date", "name")
    )
    first_month = filters.start.replace(day=1)
    for plan in plans:
        figures = plan_figures(plan, today)
        if not figures.rows:
            continue
        root = figures.root
        view.plans.append(
            PlanRow(
                plan.pk,
                plan.name,
                plan.start_date,
                plan.end_date,
                root.amount,
                root.committed,
                root.actual,
                root.landing,
                root.variance,
                root.pct_used,
                reverse("budget_plan", kwargs={"ws": workspace.slug, "budgetplan_pk": plan.pk}),
            )
        )
        for month in root.pacing.months:
            if first_month <= month.month <= filters.end:
                view.months.append(
                    MonthRow(plan.name, month.month, month.planned, month.actual, month.committed)
                )
        for row in figures.rows:
            line = row.line
            if line.channel_id is None or (
                filters.channel and not channel_matches(filters.channel, line.channel)
            ):
                continue
            view.channels.append(
                ChannelBudgetRow(
                    line.channel.name, line.channel.key, row.amount, row.actual, row.committed, row.landing
                )
            )
    merged: dict[str, list] = {}
    for row in view.channels:
        a = merged.setdefault(row.channel, [row.channel_key, ZERO, ZERO, ZERO, ZERO])
        a[1] += row.amount
        a[2] += row.actual
        a[3] += row.committed
        a[4] += row.landing
    view.channels = [ChannelBudgetRow(name, *values) for name, values in sorted(merged.items())]
    return view


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


# GA4 default channel groups (how the data names channels) -> the built-in channel keys they belong to.
CHANNEL_ALIASES = {
    "organicsearch": "seo_content",
    "organicvideo": "seo_content",
    "referral": "partnerships",
    "affiliates": "partnerships",
    "paidvideo": "display",
    "paidother": "display",
    "audio": "tv_radio",
    "sms": "email",
}


def channel_matches(data_name: str, channel) -> bool:
    """Whether a channel as named in the data ("Paid Search") is the workspace's Channel `channel`."""
    name = _norm(data_name)
    return name in {_norm(channel.key), _norm(channel.name)} or CHANNEL_ALIASES.get(name) == channel.key


@dataclass(frozen=True)
class Pipeline:
    steps: list[tuple[str, int]]
    acceptance_rate: Decimal | None
    within_sla_rate: Decimal | None
    median_hours: Decimal | None
    rejected: int
    pending: int
    reasons: list[tuple[str, int]]


def pipeline(workspace: Workspace, filters: Filters) -> Pipeline:
    """The marketing → sales hand-off funnel for MQLs handed over in the period (opencmo.crm)."""
    from opencmo.crm.selectors import funnel

    f = funnel(workspace, filters.start, filters.end, with_contacts=False)
    return Pipeline(
        f.steps(), f.acceptance_rate, f.within_sla_rate, f.median_hours, f.rejected, f.pending, f.reasons
    )


# ----------------------------------------------------------------------------------- manager view


def live_campaigns(user, workspace: Workspace, filters: Filters | None = None):
    from opencmo.campaigns.models import Campaign
    from opencmo.campaigns.selectors import visible_campaigns

    qs = visible_campaigns(user, workspace).filter(status=Campaign.Status.LIVE).prefetch_related("channels")
    if filters and filters.objective_id:
        qs = qs.filter(objectives=filters.objective_id)
    return list(qs.order_by("end_date", "name"))


def late_tasks(user, workspace: Workspace, *, today: dt.date | None = None, limit: int = 50):
    """Open tasks past their due date that `user` may see, most overdue first."""
    from opencmo.work.models import Task
    from opencmo.work.selectors import visible_tasks

    today = today or timezone.localdate()
    return list(
        visible_tasks(user, workspace)
        .filter(due_date__lt=today)
        .exclude(status=Task.Status.DONE)
        .select_related("campaign")
        .order_by("due_date", "pk")[:limit]
    )


def waiting_approvals(workspace: Workspace, *, limit: int = 50):
    """Open approval requests, oldest first, with their approver and activity."""
    from opencmo.org.models import ApprovalRequest

    return list(
        ApprovalRequest.objects.filter(
            workspace=workspace,
            status__in=[ApprovalRequest.Status.CONSULTING, ApprovalRequest.Status.PENDING],
        )
        .select_related("approver", "requested_by", "activity")
        .order_by("created_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class PacingAlert:
    plan_id: int
    plan: str
    line_id: int
    line: str
    status: str  # "over" / "under"
    planned_to_date: Decimal
    used_to_date: Decimal
    url: str

    @property
    def gap(self) -> Decimal:
        return self.used_to_date - self.planned_to_date


def pacing_alerts(workspace: Workspace, *, user=None, today: dt.date | None = None) -> list[PacingAlert]:
    """Budget lines of running plans off their phased plan to date (the budget alerts' own rule)."""
    from opencmo.budget.models import BudgetPlan
    from opencmo.budget.selectors import plan_figures, visible_plans
    from opencmo.budget.services import line_url

    today = today or timezone.localdate()
    plans = (
        visible_plans(user, workspace) if user is not None else BudgetPlan.objects.filter(workspace=workspace)
    )
    plans = plans.filter(status=BudgetPlan.Status.ACTIVE, start_date__lte=today, end_date__gte=today)
    out = []
    for plan in plans.order_by("name"):
        for row in plan_figures(plan, today).alerts():
            planned, used = row.pacing.to_date()
            out.append(
                PacingAlert(
                    plan.pk, plan.name, row.pk, row.line.name, row.status, planned, used, line_url(row.line)
                )
            )
    return out


# ------------------------------------------------------------------------------- campaign & channel


@dataclass
class CampaignInsights:
    totals: engine.KpiRow | None
    trend: list[engine.KpiRow]
    channels: list[engine.KpiRow]
    expected: list[dict]
    tasks: list[tuple[str, int]]
    budget: list[dict]


def campaign_insights(
    analytics: Analytics | None, campaign, filters: Filters, *, today: dt.date | None = None
) -> CampaignInsights:
    """One campaign: its results over the period (engine, grouped by campaign), the KPIs it is expected
    to move, its work and its budget lines."""
    from opencmo.budget.models import BudgetLine
    from opencmo.budget.selectors import plan_figures
    from opencmo.strategy.selectors import kpi_progress
    from opencmo.work.models import Task

    today = today or timezone.localdate()
    trend, channels, total = [], [], None
    if analytics is not None and analytics.has_data:
        by_period = analytics.kpis(
            start=filters.start, end=filters.end, grain=filters.grain, by=("campaign",)
        )
        trend = [r for r in by_period if r.campaign_id == campaign.pk]
        by_channel = analytics.kpis(start=filters.start, end=filters.end, by=("channel", "campaign"))
        channels = [r for r in by_channel if r.campaign_id == campaign.pk]
        total = engine.totals(channels)
    expected = []
    results = campaign.expected_results.select_related("kpi__objective").prefetch_related("kpi__actuals")
    for result in results.order_by("kpi__name"):
        kpi = result.kpi
        prog = kpi_progress(kpi, on=today)
        expected.append({"kpi": kpi, "expected": result.value, "progress": prog})
    counts = Counter(Task.objects.filter(campaign=campaign).values_list("status", flat=True))
    tasks = [(label, counts.get(value, 0)) for value, label in Task.Status.choices]
    budget = []
    lines = BudgetLine.objects.filter(workspace=campaign.workspace, campaign=campaign).select_related("plan")
    for plan in {line.plan for line in lines}:
        figures = plan_figures(plan, today)
        for line in lines:
            if line.plan_id == plan.pk:
                row = figures.line(line.pk)
                budget.append({"plan": plan, "line": line, "figures": row})
    return CampaignInsights(total, trend, channels, expected, tasks, budget)


def campaigns_in_channel(analytics: Analytics, filters: Filters) -> list[CampaignRow]:
    """Campaign performance within the filtered channel (filters.channel must be set)."""
    return campaign_performance(analytics, filters)


def workspace_channels(workspace: Workspace):
    from opencmo.campaigns.models import Channel

    return list(Channel.objects.filter(workspace=workspace).order_by("name"))


def objective_choices(workspace: Workspace) -> list[tuple[int, str]]:
    from opencmo.strategy.models import Objective

    return list(
        Objective.objects.filter(workspace=workspace)
        .order_by("-start_date", "title")
        .values_list("pk", "title")
    )
