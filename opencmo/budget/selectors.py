"""Reads for budgets, always within one workspace: the plans a user may see, a plan's figures (every
line's amount, reserve, committed, actual, forecast, variance and monthly pacing, rolled up the tree),
spend lists, the unmatched queue, rates and reallocation history."""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from opencmo.budget import ledger
from opencmo.budget.models import (
    BudgetLine,
    BudgetPlan,
    Commitment,
    ExchangeRate,
    MonthlyAmount,
    ReallocationRequest,
    SpendEntry,
)
from opencmo.campaigns.models import Campaign
from opencmo.core.models import AuditEvent, Workspace
from opencmo.org import raci
from opencmo.strategy.models import Kpi, KpiActual

ZERO = ledger.ZERO
RESULT_KEYS = ("leads", "customers", "revenue", "gross_margin")


def visible_plans(user, workspace: Workspace) -> QuerySet[BudgetPlan]:
    activities = raci.visible_activities(user, workspace).values("pk")
    return BudgetPlan.objects.filter(workspace=workspace, activity__in=activities).select_related("activity")


def plan_rows(user, workspace: Workspace, today: dt.date | None = None) -> list[dict]:
    """The budget home's list: each visible plan with its total, committed, actual and % used."""
    plans = list(visible_plans(user, workspace).order_by("-start_date", "name"))
    roots = {
        line.plan_id: line
        for line in BudgetLine.objects.filter(plan__in=plans, parent__isnull=True).select_related("plan")
    }
    spent = dict(
        SpendEntry.objects.filter(line__plan__in=plans)
        .values("line__plan")
        .annotate(total=Sum("amount_base"))
        .values_list("line__plan", "total")
    )
    committed = dict(
        Commitment.objects.filter(line__plan__in=plans)
        .values("line__plan")
        .annotate(total=Sum("amount"))
        .values_list("line__plan", "total")
    )
    today = today or timezone.localdate()
    rows = []
    for plan in plans:
        total = roots[plan.pk].amount if plan.pk in roots else ZERO
        actual, promised = spent.get(plan.pk) or ZERO, committed.get(plan.pk) or ZERO
        rows.append(
            {
                "plan": plan,
                "total": total,
                "actual": actual,
                "committed": promised,
                "left": total - actual - promised,
                "pct_used": ledger.ratio(actual + promised, total),
                "current": plan.start_date <= today <= plan.end_date,
            }
        )
    return rows


@dataclass
class LineFigures:
    line: BudgetLine
    depth: int
    children: list[int]
    reserve: Decimal
    pacing: ledger.Pacing
    phased: bool
    status: str | None = None  # "over" / "under" the phased plan to date, while an active plan runs
    efficiency: ledger.Efficiency | None = None

    @property
    def pk(self) -> int:
        return self.line.pk

    @property
    def amount(self) -> Decimal:
        return self.line.amount

    @property
    def committed(self) -> Decimal:
        return self.pacing.committed

    @property
    def actual(self) -> Decimal:
        return self.pacing.actual

    @property
    def used(self) -> Decimal:
        return self.pacing.used

    @property
    def landing(self) -> Decimal:
        return self.pacing.landing

    @property
    def variance(self) -> Decimal:
        return self.pacing.variance

    @property
    def pct_used(self) -> Decimal | None:
        return self.pacing.pct_used

    @property
    def pct_used_percent(self) -> Decimal | None:
        pct = self.pct_used
        return None if pct is None else (pct * 100).quantize(Decimal("0.1"))

    @property
    def allocated(self) -> Decimal:
        return self.amount - self.reserve

    @property
    def left(self) -> Decimal:
        """Amount minus actual and committed: what is still free to spend."""
        return self.amount - self.used


@dataclass
class PlanFigures:
    plan: BudgetPlan
    months: list[dt.date]
    today: dt.date
    rows: list[LineFigures]  # the tree in display order (depth first)
    by_id: dict[int, LineFigures] = field(default_factory=dict)

    def line(self, pk: int) -> LineFigures:
        return self.by_id[pk]

    @property
    def root(self) -> LineFigures:
        return self.rows[0]

    @property
    def running(self) -> bool:
        return self.plan.start_date <= self.today <= self.plan.end_date

    def alerts(self) -> list[LineFigures]:
        return [row for row in self.rows if row.status]


def _results(plan: BudgetPlan, objective_ids: set[int]) -> dict[int, dict[str, Decimal]]:
    """objective id -> {metric_key: value} from KPI actuals within the plan's period: summed for
    cumulative KPIs (leads), the latest value for levels (a margin)."""
    if not objective_ids:
        return {}
    kpis = Kpi.objects.filter(
        workspace=plan.workspace, objective_id__in=objective_ids, metric_key__in=RESULT_KEYS
    )
    actuals = defaultdict(list)
    for actual in KpiActual.objects.filter(
        kpi__in=kpis, date__range=(plan.start_date, plan.end_date)
    ).order_by("date"):
        actuals[actual.kpi_id].append(actual.value)
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for kpi in kpis:
        values = actuals.get(kpi.pk)
        if not values:
            continue
        value = sum(values, Decimal(0)) if kpi.cumulative else values[-1]
        if kpi.metric_key == "gross_margin" and kpi.unit == Kpi.Unit.PERCENT:
            value = value / 100
        out[kpi.objective_id][kpi.metric_key] = out[kpi.objective_id].get(kpi.metric_key, Decimal(0)) + value
    return out


def _efficiency(spend: Decimal, results: dict[str, Decimal]) -> ledger.Efficiency:
    return ledger.Efficiency(
        spend=spend,
        leads=results.get("leads"),
        customers=results.get("customers"),
        revenue=results.get("revenue"),
        margin=results.get("gross_margin"),
    )


def plan_figures(plan: BudgetPlan, today: dt.date | None = None) -> PlanFigures:
    """Every line of the plan with its money rolled up: committed and actual of a line include the lines
    under it. A line without phasing of its own is shown evenly spread, or, with lines under it, as they
    are phased plus its reserve evenly spread."""
    today = today or timezone.localdate()
    months = ledger.months_between(plan.start_date, plan.end_date)
    month_set = set(months)
    lines = {
        line.pk: line
        for line in BudgetLine.objects.filter(plan=plan).select_related(
            "objective", "channel", "campaign", "accountable", "plan", "workspace"
        )
    }
    tree = ledger.Tree((pk, line.parent_id, line.amount) for pk, line in lines.items())
    planned: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    forecast: dict[int, dict[dt.date, Decimal | None]] = defaultdict(dict)
    for row in MonthlyAmount.objects.filter(line__plan=plan):
        planned[row.line_id][row.month] = row.planned
        forecast[row.line_id][row.month] = row.forecast
    own_committed: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in (
        Commitment.objects.filter(line__plan=plan).values("line_id", "month").annotate(total=Sum("amount"))
    ):
        own_committed[row["line_id"]][row["month"]] += row["total"]
    own_actual: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in (
        SpendEntry.objects.filter(line__plan=plan)
        .annotate(month=TruncMonth("date"))
        .values("line_id", "month")
        .annotate(total=Sum("amount_base"))
    ):
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        own_actual[row["line_id"]][month] += row["total"]

    # Roll committed and actual up the tree (children before parents).
    order = tree.subtree(tree.root) if tree.root is not None else []
    sub_committed: dict[int, dict[dt.date, Decimal]] = {}
    sub_actual: dict[int, dict[dt.date, Decimal]] = {}
    for pk in reversed(order):
        c = defaultdict(Decimal, own_committed.get(pk, {}))
        a = defaultdict(Decimal, own_actual.get(pk, {}))
        for child in tree.nodes[pk].children:
            for m, v in sub_committed[child].items():
                c[m] += v
            for m, v in sub_actual[child].items():
                a[m] += v
        sub_committed[pk], sub_actual[pk] = c, a

    objective_ids = {line.objective_id for line in lines.values() if line.objective_id}
    results = _results(plan, objective_ids)
    running = plan.status == BudgetPlan.Status.ACTIVE and plan.start_date <= today <= plan.end_date
    figures = PlanFigures(plan, months, today, [])

    def sort_key(pk: int):
        line = lines[pk]
        rank = {"objective": 1, "channel": 2, "campaign": 3, "other": 4}.get(line.level, 0)
        return (rank, line.name.lower(), pk)

    pacings: dict[int, ledger.Pacing] = {}
    phased_ids = {pk for pk in lines if planned.get(pk)}

    def compute(pk: int) -> None:
        """Children first: a parent's default forecast rolls up what its children expect."""
        below = tree.nodes[pk].children
        for child in below:
            compute(child)
        line = lines[pk]
        if pk in phased_ids:
            plan_list = [planned[pk].get(m, ZERO) for m in months]
        elif below and months:
            plan_list = ledger.rolled_planned(tree.reserve(pk), [pacings[c] for c in below], len(months))
        else:
            plan_list = ledger.split_evenly(line.amount, len(months)) if months else []
        entered = forecast.get(pk)
        if below:
            entered = ledger.rolled_forecast(
                months, plan_list, tree.reserve(pk), [pacings[c] for c in below], entered
            )
        pacings[pk] = ledger.pacing(
            line.amount,
            months,
            plan_list,
            {m: v for m, v in sub_committed[pk].items() if m in month_set},
            {m: v for m, v in sub_actual[pk].items() if m in month_set},
            today,
            entered,
        )

    def visit(pk: int, depth: int) -> None:
        line = lines[pk]
        phased = pk in phased_ids
        pacing = pacings[pk]
        children = sorted(tree.nodes[pk].children, key=sort_key)
        row = LineFigures(line, depth, children, tree.reserve(pk), pacing, phased)
        if running:
            planned_to_date, used_to_date = pacing.to_date()
            row.status = ledger.pace_status(planned_to_date, used_to_date, today.day, **alert_thresholds())
        if line.objective_id and line.objective_id in results:
            row.efficiency = _efficiency(pacing.actual, results[line.objective_id])
        figures.rows.append(row)
        figures.by_id[pk] = row
        for child in children:
            visit(child, depth + 1)

    if tree.root is not None:
        compute(tree.root)
        visit(tree.root, 0)
        root = figures.by_id[tree.root]
        if results:
            root.efficiency = _efficiency(root.actual, _combined(results))
    return figures


def _combined(results: dict[int, dict[str, Decimal]]) -> dict[str, Decimal]:
    """Results of all the plan's objectives together; the margin is the revenue-weighted one, known only
    if every objective with revenue has one."""
    out: dict[str, Decimal] = {}
    for key in ("leads", "customers", "revenue"):
        values = [r[key] for r in results.values() if key in r]
        if values:
            out[key] = sum(values, Decimal(0))
    with_revenue = [r for r in results.values() if r.get("revenue")]
    if with_revenue and all("gross_margin" in r for r in with_revenue):
        profit = sum((r["revenue"] * r["gross_margin"] for r in with_revenue), Decimal(0))
        out["gross_margin"] = profit / sum((r["revenue"] for r in with_revenue), Decimal(0))
    return out


def alert_thresholds() -> dict:
    from opencmo.budget import alerts

    return alerts.thresholds()


def line_choices(plan: BudgetPlan) -> list[tuple[int, str]]:
    """(pk, indented name) of every line of a plan in tree order, for select boxes."""
    figures = plan_figures(plan)
    return [(row.pk, "\u2003" * row.depth + row.line.name) for row in figures.rows]


def spend_entries(
    workspace: Workspace,
    *,
    plan: BudgetPlan | None = None,
    line: BudgetLine | None = None,
    campaign=None,
    channel=None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    matched: str = "",
    source: str = "",
    q: str = "",
) -> QuerySet[SpendEntry]:
    entries = SpendEntry.objects.filter(workspace=workspace).select_related(
        "campaign", "channel", "line", "line__plan", "entered_by"
    )
    if plan is not None:
        entries = entries.filter(line__plan=plan)
    if line is not None:
        entries = entries.filter(line=line)
    if campaign is not None:
        entries = entries.filter(campaign=campaign)
    if channel is not None:
        entries = entries.filter(channel=channel)
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    if matched == "unmatched":
        entries = entries.filter(campaign__isnull=True, line__isnull=True)
    elif matched == "noline":
        entries = entries.filter(line__isnull=True)
    elif matched == "matched":
        entries = entries.filter(line__isnull=False)
    if source:
        entries = entries.filter(source=source)
    if q:
        entries = entries.filter(
            Q(description__icontains=q) | Q(external_campaign__icontains=q) | Q(campaign__name__icontains=q)
        )
    return entries.order_by("-date", "-pk")


def unmatched_groups(workspace: Workspace) -> list[dict]:
    """Imported spend not matched to a campaign, one group per platform and campaign name."""
    return list(
        SpendEntry.objects.filter(workspace=workspace, campaign__isnull=True)
        .exclude(external_campaign="")
        .values("platform", "external_campaign")
        .annotate(entries=Count("pk"), total=Sum("amount_base"), first=Min("date"), last=Max("date"))
        .order_by("-total", "platform", "external_campaign")
    )


def suggest_campaign(workspace: Workspace, external_name: str, campaigns=None):
    """A best guess for the unmatched queue: the one campaign sharing the most words (of 4+ letters)
    between its code or name and the platform's campaign name; None when nothing or a tie."""
    words = _words(external_name)
    if not words:
        return None
    campaigns = campaigns if campaigns is not None else list(Campaign.objects.filter(workspace=workspace))
    scored = sorted(
        ((len(words & (_words(c.code) | _words(c.name))), c) for c in campaigns), key=lambda sc: -sc[0]
    )
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^0-9a-zæøåäö]+", (text or "").lower()) if len(w) >= 4}


def without_line(workspace: Workspace) -> list[dict]:
    """Spend matched to a campaign that has no budget line in any plan covering its date."""
    return list(
        SpendEntry.objects.filter(workspace=workspace, campaign__isnull=False, line__isnull=True)
        .values("campaign", "campaign__name")
        .annotate(entries=Count("pk"), total=Sum("amount_base"), first=Min("date"), last=Max("date"))
        .order_by("-total")
    )


def exchange_rates(workspace: Workspace, currency: str = "") -> QuerySet[ExchangeRate]:
    rates = ExchangeRate.objects.filter(workspace=workspace)
    if currency:
        rates = rates.filter(currency=currency.upper())
    return rates.order_by("currency", "-date")


def reallocations(plan: BudgetPlan) -> list[dict]:
    """The plan's reallocation history, newest first, with the approval trail and, for requests that
    were approved but could not be applied, why."""
    items = list(
        ReallocationRequest.objects.filter(plan=plan).select_related(
            "from_line",
            "to_line",
            "requested_by",
            "approval",
            "approval__approver",
            "approval__decided_by",
        )
    )
    outcomes = {}
    for event in AuditEvent.objects.filter(
        workspace=plan.workspace,
        object_type=ReallocationRequest._meta.label,
        object_id__in=[str(r.pk) for r in items],
    ).order_by("at", "id"):
        if "outcome" in event.changes:
            outcomes[event.object_id] = event.changes["outcome"][1]
    rows = []
    for realloc in items:
        status = realloc.status
        approval = realloc.approval
        if (
            status == ReallocationRequest.Status.PENDING
            and approval is not None
            and approval.status == "withdrawn"
        ):
            status = ReallocationRequest.Status.WITHDRAWN  # withdrawn on the activity page
        rows.append(
            {
                "r": realloc,
                "status": status,
                "status_label": ReallocationRequest.Status(status).label,
                "approval": approval,
                "outcome": outcomes.get(str(realloc.pk), ""),
                "open": status == ReallocationRequest.Status.PENDING
                and approval is not None
                and approval.is_open,
            }
        )
    return rows


def store_rates(store, workspace: Workspace, start: dt.date, end: dt.date) -> tuple[dict | None, str]:
    """Exchange rates into the workspace currency (the budget's rates on `end`) for the currencies the
    analytics store's ad data uses in [start, end], for `opencmo.analytics.kpis(fx=...)`. A currency
    without a rate is left out of the rates, and the note says so and where to add one."""
    from django.core.exceptions import ValidationError

    from opencmo.analytics import queries
    from opencmo.analytics.query import backend_for
    from opencmo.budget.services import rate_for

    rows = backend_for(store).fetch(queries.currencies("ad_performance"), {"first": start, "last": end}).rows
    rates, missing = {}, []
    for code in sorted({row[0] for row in rows if row[0]} - {workspace.currency}):
        try:
            rates[code] = rate_for(workspace, code, end)
        except ValidationError:
            missing.append(code)
    note = ""
    if missing:
        note = (
            f"Figures in {', '.join(missing)} are left out: add exchange rates into {workspace.currency} "
            "under Budget → Exchange rates."
        )
    return (rates or None), note
