"""Reads for the strategy area, always scoped to one workspace: goals → objectives → KPIs with progress,
traceability down to campaigns and tasks, the strategy in force, its history and differences."""

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opencmo.core.models import Workspace
from opencmo.org import approvals, raci
from opencmo.org.models import DecisionKind, Person
from opencmo.strategy import progress
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective, Segment, StrategyVersion
from opencmo.work.models import Task

# ---------------------------------------------------------------------------------------------- numbers


def fmt(value: Decimal | None, unit: str = "", currency: str = "") -> str:
    """A measure as people read it: thousands separated, no trailing zeros, unit where it helps."""
    if value is None:
        return "\N{EN DASH}"
    rounded = value.quantize(Decimal("0.01")) if abs(value) < 1000 else value.quantize(Decimal("1"))
    text = f"{rounded:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in {"-0", ""}:
        text = "0"
    if unit == Kpi.Unit.PERCENT:
        return f"{text} %"
    if unit == Kpi.Unit.CURRENCY and currency:
        return f"{currency} {text}"
    return text


# ------------------------------------------------------------------------------------------ KPI progress


def kpi_progress(kpi: Kpi, *, on: date | None = None) -> progress.KpiProgress:
    """Where `kpi` stands on day `on` (default: today in the workspace's time zone): actual,
    expected_to_date, target, baseline, pct_of_target, on_track, projected_end and more (see
    opencmo.strategy.progress for every formula). Uses prefetched `actuals` when present."""
    return progress.progress(
        baseline=kpi.baseline,
        target=kpi.target,
        direction=kpi.direction,
        start=kpi.period_start,
        end=kpi.period_end,
        cumulative=kpi.cumulative,
        observations=[(a.date, a.value) for a in kpi.actuals.all()],
        on=on or timezone.localdate(),
    )


def goals(workspace: Workspace, *, include_inactive: bool = False) -> QuerySet[CompanyGoal]:
    qs = CompanyGoal.objects.filter(workspace=workspace)
    return qs if include_inactive else qs.filter(is_active=True)


def segments(workspace: Workspace) -> QuerySet[Segment]:
    """Segments with `campaign_count`, the number of campaigns aimed at each."""
    return Segment.objects.filter(workspace=workspace).annotate(campaign_count=Count("campaigns"))


def objectives(
    workspace: Workspace, *, status: str = "", horizon: str = "", goal: CompanyGoal | None = None
) -> QuerySet[Objective]:
    qs = (
        Objective.objects.filter(workspace=workspace)
        .select_related("owner")
        .prefetch_related(
            "goals",
            Prefetch(
                "kpis",
                queryset=Kpi.objects.order_by("name").prefetch_related(
                    Prefetch("actuals", queryset=KpiActual.objects.order_by("date"))
                ),
            ),
        )
    )
    if status:
        qs = qs.filter(status=status)
    if horizon:
        qs = qs.filter(horizon=horizon)
    if goal is not None:
        qs = qs.filter(goals=goal)
    return qs


def kpis(workspace: Workspace) -> QuerySet[Kpi]:
    return (
        Kpi.objects.filter(workspace=workspace)
        .select_related("objective")
        .prefetch_related(Prefetch("actuals", queryset=KpiActual.objects.order_by("date")))
    )


@dataclass
class KpiRow:
    kpi: Kpi
    progress: progress.KpiProgress


@dataclass
class ObjectiveNode:
    objective: Objective
    kpis: list[KpiRow]

    @property
    def kpi_pct(self) -> Decimal | None:
        return progress.rollup_pct(row.progress.pct_of_target for row in self.kpis)

    @property
    def off_track(self) -> int:
        return sum(row.progress.status == progress.OFF_TRACK for row in self.kpis)


def kpi_overview(workspace: Workspace, *, on: date | None = None, status: str = "") -> list[KpiRow]:
    """Every KPI of the workspace's active objectives with its progress on `on`, optionally only those
    with a progress status (progress.OFF_TRACK, progress.NO_DATA, ...): for agendas and dashboards."""
    on = on or timezone.localdate()
    rows = [
        KpiRow(kpi, kpi_progress(kpi, on=on))
        for kpi in kpis(workspace)
        .filter(objective__status=Objective.Status.ACTIVE)
        .order_by("objective", "name")
    ]
    return [row for row in rows if not status or row.progress.status == status]


@dataclass
class GoalNode:
    goal: CompanyGoal | None  # None: objectives not linked to any goal
    objectives: list[ObjectiveNode]


def objective_node(objective: Objective, on: date | None = None) -> ObjectiveNode:
    """An objective with each KPI's progress (use `objectives()` to have the KPIs prefetched)."""
    on = on or timezone.localdate()
    return ObjectiveNode(objective, [KpiRow(k, kpi_progress(k, on=on)) for k in objective.kpis.all()])


def strategy_tree(
    workspace: Workspace, *, status: str = Objective.Status.ACTIVE, on: date | None = None
) -> list[GoalNode]:
    """Active goals with their objectives (filtered by status; "" for all) and each objective's KPIs
    with progress. An objective serving several goals appears under each; objectives serving no active
    goal come last, under None."""
    on = on or timezone.localdate()
    nodes = {o.pk: objective_node(o, on) for o in objectives(workspace, status=status)}
    tree, placed = [], set()
    for goal in goals(workspace):
        under = [n for n in nodes.values() if any(g.pk == goal.pk for g in n.objective.goals.all())]
        placed |= {n.objective.pk for n in under}
        tree.append(GoalNode(goal, under))
    loose = [n for pk, n in nodes.items() if pk not in placed]
    if loose:
        tree.append(GoalNode(None, loose))
    return tree


# --------------------------------------------------------------------------------------- traceability


def _link(name: str, workspace: Workspace, **kwargs) -> str:
    try:
        return reverse(name, kwargs={"ws": workspace.slug, **kwargs})
    except NoReverseMatch:
        return ""


@dataclass
class CampaignTrace:
    campaign: object
    url: str
    tasks: list = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)
    late: int = 0

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def done(self) -> int:
        return self.by_status.get(Task.Status.DONE, 0)

    @property
    def done_pct(self) -> Decimal | None:
        return None if not self.tasks else Decimal(100) * self.done / len(self.tasks)

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) in workflow order, statuses without tasks left out."""
        return [(s, label, self.by_status[s]) for s, label in Task.Status.choices if self.by_status.get(s)]


@dataclass
class ObjectiveTrace:
    objective: Objective
    goals: list[CompanyGoal]
    kpis: list[KpiRow]
    campaigns: list[CampaignTrace]
    hidden_campaigns: int
    on: date

    @property
    def kpi_pct(self) -> Decimal | None:
        """Average % of target of the KPIs (each clamped to 0-100)."""
        return progress.rollup_pct(row.progress.pct_of_target for row in self.kpis)

    @property
    def tasks_total(self) -> int:
        return sum(c.total for c in self.campaigns)

    @property
    def tasks_done(self) -> int:
        return sum(c.done for c in self.campaigns)

    @property
    def tasks_late(self) -> int:
        return sum(c.late for c in self.campaigns)

    @property
    def done_pct(self) -> Decimal | None:
        """Share of the campaigns' tasks that are done."""
        return None if not self.tasks_total else Decimal(100) * self.tasks_done / self.tasks_total

    @property
    def off_track(self) -> int:
        return sum(row.progress.status == progress.OFF_TRACK for row in self.kpis)


def objective_trace(objective: Objective, user, *, on: date | None = None) -> ObjectiveTrace:
    """Everything beneath an objective that `user` may see: KPIs with progress, campaigns (RACI
    visibility applies: restricted campaigns and tasks of others are left out and only counted) and
    their tasks with status counts and late tasks (due before `on` and not done)."""
    workspace = objective.workspace
    on = on or timezone.localdate()
    fresh = objectives(workspace).get(pk=objective.pk)
    visible = set(raci.visible_activities(user, workspace).values_list("pk", flat=True))
    traces, hidden = [], 0
    campaigns = (
        fresh.campaigns.filter(workspace=workspace)
        .select_related("segment")
        .prefetch_related("tasks")
        .order_by("start_date", "name")
    )
    for campaign in campaigns:
        if campaign.activity_id not in visible:
            hidden += 1
            continue
        tasks = [t for t in campaign.tasks.all() if t.activity_id in visible]
        tasks.sort(key=lambda t: (t.status == Task.Status.DONE, t.due_date or date.max, t.pk))
        trace = CampaignTrace(
            campaign=campaign,
            url=_link("campaign_detail", workspace, campaign_pk=campaign.pk)
            or _link("activity_detail", workspace, activity_pk=campaign.activity_id),
            tasks=[
                {
                    "task": t,
                    "late": t.status != Task.Status.DONE and t.due_date is not None and t.due_date < on,
                    "url": _link("task_detail", workspace, task_pk=t.pk)
                    or _link("activity_detail", workspace, activity_pk=t.activity_id),
                }
                for t in tasks
            ],
            by_status=dict(Counter(t.status for t in tasks)),
        )
        trace.late = sum(row["late"] for row in trace.tasks)
        traces.append(trace)
    return ObjectiveTrace(
        objective=fresh,
        goals=list(fresh.goals.all()),
        kpis=[KpiRow(k, kpi_progress(k, on=on)) for k in fresh.kpis.all()],
        campaigns=traces,
        hidden_campaigns=hidden,
        on=on,
    )


# -------------------------------------------------------------------------------------------- charts


@dataclass
class Chart:
    """SVG geometry for a KPI chart (viewBox 0 0 W H): the pacing line, the actual series, the
    projection, today's marker and axis labels. Built here so the template only draws."""

    width: int
    height: int
    expected: str
    actual: str
    dots: list[dict]
    projection: str
    today_x: float | None
    y_ticks: list[dict]
    x_labels: list[dict]


def nice_scale(low: Decimal, high: Decimal, ticks: int = 4) -> tuple[Decimal, Decimal, Decimal]:
    """An axis from `low` to `high` widened to round numbers: (axis low, axis high, step), the step being
    1, 2, 2.5 or 5 times a power of ten. An axis for values that are all positive does not dip below 0."""
    if low == high:
        low, high = low - 1, high + 1
    raw = (high - low) / ticks
    magnitude = Decimal(10) ** raw.adjusted()
    step = next(
        m * magnitude
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * magnitude >= raw
    )
    axis_low = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    axis_high = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    if low >= 0 > axis_low:
        axis_low = Decimal(0)
    return axis_low, axis_high, step


def kpi_chart(kpi: Kpi, prog: progress.KpiProgress, *, width: int = 640, height: int = 240) -> Chart:
    left, right, top, bottom = 64, 16, 12, 28
    rows = sorted((a.date, a.value) for a in kpi.actuals.all())
    series, running = [], kpi.baseline
    for day, value in rows:
        running = running + value if kpi.cumulative else value
        series.append((day, running))
    start = min([kpi.period_start, *(d for d, _ in rows)])
    end = max([kpi.period_end, *(d for d, _ in rows)])
    values = [kpi.baseline, kpi.target, *(v for _, v in series)]
    if prog.projected_end is not None:
        values.append(prog.projected_end)
    low, high, step = nice_scale(min(values), max(values))
    span_days = max((end - start).days, 1)

    def x(day: date) -> float:
        return round(left + (width - left - right) * (day - start).days / span_days, 1)

    def y(value: Decimal) -> float:
        return round(float(top + (height - top - bottom) * (high - value) / (high - low)), 1)

    actual_points = [(x(kpi.period_start), y(kpi.baseline))] if kpi.cumulative else []
    actual_points += [(x(d), y(v)) for d, v in series]
    projection = ""
    if prog.projected_end is not None and prog.actual is not None and prog.elapsed < 1:
        projection = (
            f"{x(min(prog.on, kpi.period_end))},{y(prog.actual)} {x(kpi.period_end)},{y(prog.projected_end)}"
        )
    ticks = []
    tick = low
    while tick <= high:
        ticks.append(tick)
        tick += step
    return Chart(
        width=width,
        height=height,
        expected=f"{x(kpi.period_start)},{y(kpi.baseline)} {x(kpi.period_end)},{y(kpi.target)}",
        actual=" ".join(f"{px},{py}" for px, py in actual_points),
        dots=[{"x": x(d), "y": y(v), "label": f"{d:%Y-%m-%d}: {fmt(v, kpi.unit)}"} for d, v in series],
        projection=projection,
        today_x=x(prog.on) if start <= prog.on <= end else None,
        y_ticks=[{"y": y(t), "label": fmt(t)} for t in ticks],
        x_labels=[
            {"x": x(kpi.period_start), "label": f"{kpi.period_start:%Y-%m-%d}", "anchor": "start"},
            {"x": x(kpi.period_end), "label": f"{kpi.period_end:%Y-%m-%d}", "anchor": "end"},
        ],
    )


# ------------------------------------------------------------------------------------ brand strategy


def strategy_versions(workspace: Workspace) -> QuerySet[StrategyVersion]:
    return (
        StrategyVersion.objects.filter(workspace=workspace)
        .select_related("proposed_by", "decided_by")
        .prefetch_related("segments")
    )


def strategy_current(workspace: Workspace) -> StrategyVersion | None:
    """The approved version in force (None before the first approval)."""
    return strategy_versions(workspace).filter(status=StrategyVersion.Status.APPROVED).first()


def strategy_in_progress(workspace: Workspace) -> StrategyVersion | None:
    """The draft or proposal being worked on (at most one at a time)."""
    return (
        strategy_versions(workspace)
        .filter(status__in=[StrategyVersion.Status.DRAFT, StrategyVersion.Status.PROPOSED])
        .first()
    )


def strategy_previous(version: StrategyVersion) -> StrategyVersion | None:
    """What a version changes: for a draft or proposal, the strategy in force; for a decided version,
    the last approved one before it."""
    if version.status in {StrategyVersion.Status.DRAFT, StrategyVersion.Status.PROPOSED}:
        current = strategy_current(version.workspace)
        return current if current is not None and current.pk != version.pk else None
    return (
        strategy_versions(version.workspace)
        .filter(
            number__lt=version.number,
            status__in=[StrategyVersion.Status.APPROVED, StrategyVersion.Status.SUPERSEDED],
        )
        .first()
    )


@dataclass
class StrategyRoute:
    """Who decides a proposal and why: the escalation path from the proposer, as `approvals.route`
    returns it ([{person_id, name, covers}], the last one deciding)."""

    approver: Person
    path: list[dict]
    self_approval: bool


def strategy_route(version: StrategyVersion) -> StrategyRoute:
    """The approver of a proposed version: walk up from the proposer to the first person with strategy
    authority (approvals.route). If that is the proposer, the workspace policy decides: a recorded
    self-approval (justification required) or, by default, the next person up the line with authority.
    Raises ValidationError when nobody can approve. Computed live, so a change in the organisation
    (the approver leaves, authority is granted) is reflected at once."""
    if version.proposed_by_id is None:
        raise ValidationError("This version has not been proposed.")
    proposer = Person.objects.get(pk=version.proposed_by_id)  # fresh: the reporting line may have moved
    path = approvals.route(proposer, DecisionKind.STRATEGY, None)
    approver = Person.objects.get(pk=path[-1]["person_id"])
    if approver != proposer:
        return StrategyRoute(approver, path, False)
    if raci.policy_for(version.workspace).allow_recorded_self_approval:
        return StrategyRoute(approver, path, True)
    try:
        path = path[:-1] + approvals.route(approver, DecisionKind.STRATEGY, None, skip=approver)
    except ValidationError:
        raise ValidationError(
            f"{approver.name} would approve their own proposal and nobody above them has strategy "
            "authority. Grant it to their manager (Organisation → Decision authority) or allow recorded "
            "self-approval in the workspace's RACI policy."
        ) from None
    return StrategyRoute(Person.objects.get(pk=path[-1]["person_id"]), path, False)


def strategy_route_or_error(version: StrategyVersion) -> tuple[StrategyRoute | None, str]:
    try:
        return strategy_route(version), ""
    except ValidationError as error:
        return None, " ".join(error.messages)


TEXT_FIELDS = (
    ("positioning", "Positioning statement"),
    ("tone_of_voice", "Tone of voice"),
    ("competitors", "Competitors"),
    ("trends", "Trend notes"),
)
# A word with the spaces before it: whitespace alone never anchors a match, so a reworded phrase shows as
# one deletion and one insertion instead of alternating single words.
_TOKENS = re.compile(r"\s*\S+|\s+")


def _lines(text: str) -> str:
    """Text as stored for comparison: one kind of line break (browsers post CRLF), no outer blanks."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass
class FieldDiff:
    name: str
    label: str
    parts: list[tuple[str, str]] = field(default_factory=list)  # (equal|insert|delete, text)
    added: list[str] = field(default_factory=list)  # segments
    removed: list[str] = field(default_factory=list)


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level differences as (op, text) runs: "equal", "delete" (only in old), "insert" (only in
    new). Whitespace is kept, so joining the equal and insert runs gives `new` back. The template
    escapes each run."""
    a, b = _TOKENS.findall(_lines(old)), _TOKENS.findall(_lines(new))
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("equal", "".join(a[i1:i2])))
            continue
        if op in {"delete", "replace"}:
            parts.append(("delete", "".join(a[i1:i2])))
        if op in {"insert", "replace"}:
            parts.append(("insert", "".join(b[j1:j2])))
    return parts


def strategy_diff(old: StrategyVersion | None, new: StrategyVersion) -> list[FieldDiff]:
    """The fields that differ from `old` to `new` (every filled field when `old` is None)."""
    diffs = []
    for name, label in TEXT_FIELDS:
        before, after = _lines(getattr(old, name) if old else ""), _lines(getattr(new, name))
        if before != after:
            diffs.append(FieldDiff(name, label, parts=text_diff(before, after)))
    old_segments = {s.name for s in old.segments.all()} if old else set()
    new_segments = {s.name for s in new.segments.all()}
    if old_segments != new_segments:
        diffs.append(
            FieldDiff(
                "segments",
                "Target segments",
                added=sorted(new_segments - old_segments),
                removed=sorted(old_segments - new_segments),
            )
        )
    return diffs
