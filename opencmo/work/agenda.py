"""The weekly status agenda, generated from live data for a team: the whole workspace, or a manager and
everyone reporting to them (directly or not).

1. What moved in the last 7 days: status changes of tasks, read from the audit log.
2. What is late: open tasks past their due date.
3. What waits for whose approval: open approval requests, with the Consulted people who have not signed
   off yet, or the approver who has not decided yet.
4. KPI actuals against targets so far, for the objectives of the team's campaigns.
5. The coming week's deadlines.

A team's tasks are those on which one of its people is Responsible or Accountable. Only what the reader
may see is shown. `agenda_markdown` renders the same agenda as Markdown for minutes or a wiki.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.core.models import AuditEvent, Workspace
from opencmo.org import raci
from opencmo.org.models import ApprovalRequest, Person, RaciEntry, Role, SignOff
from opencmo.strategy.models import Kpi, Objective
from opencmo.work import selectors
from opencmo.work.models import Task

Status = Task.Status
WINDOW_DAYS = 7


def team_of(manager: Person) -> list[Person]:
    """The manager and everyone reporting to them, directly or indirectly (active people only)."""
    team, seen, frontier = [manager], {manager.pk}, [manager.pk]
    while frontier:
        reports = list(Person.objects.filter(reports_to_id__in=frontier, is_active=True).exclude(pk__in=seen))
        frontier = [p.pk for p in reports]
        seen.update(frontier)
        team.extend(reports)
    return sorted(team, key=lambda p: (p.pk != manager.pk, p.name))


def _team_tasks(qs: QuerySet[Task], team: list[Person]) -> QuerySet[Task]:
    roles = Role.objects.filter(assignments__person__in=team)
    entries = RaciEntry.objects.filter(letter__in=["R", "A"]).filter(Q(person__in=team) | Q(role__in=roles))
    return qs.filter(activity__in=entries.values("activity"))


@dataclass
class Move:
    task: Task
    old: str
    new: str
    who: str
    at: datetime

    @property
    def old_label(self) -> str:
        return Status(self.old).label if self.old in Status.values else str(self.old)

    @property
    def new_label(self) -> str:
        return Status(self.new).label if self.new in Status.values else str(self.new)


@dataclass
class Waiting:
    request: ApprovalRequest
    link: str
    signoffs: list[str]  # Consulted people who have not answered
    approver: str  # set when the decision is what waits
    days: int


@dataclass
class KpiLine:
    kpi: Kpi
    objective: Objective
    actual: str
    target: str
    expected: str
    pct: Decimal | None
    status: str
    on_track: bool | None
    link: str


@dataclass
class Agenda:
    workspace: Workspace
    today: date
    manager: Person | None
    team: list[Person]
    moved: list[Move] = field(default_factory=list)
    late: list[selectors.Card] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    kpis: list[KpiLine] = field(default_factory=list)
    coming: list[selectors.Card] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    kpi_progress_available: bool = True

    @property
    def title(self) -> str:
        who = f"team of {self.manager.name}" if self.manager else self.workspace.name
        return f"Weekly status: {who}, week {self.today.isocalendar().week} ({self.today:%Y-%m-%d})"


def _kpi_progress():
    """opencmo.strategy.selectors.kpi_progress(kpi, on=...) when the strategy area provides it."""
    try:
        from opencmo.strategy import selectors as strategy_selectors
    except ImportError:
        return None, None
    return getattr(strategy_selectors, "kpi_progress", None), getattr(strategy_selectors, "fmt", None)


def _fmt_plain(value: Decimal | None, unit: str = "", currency: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,.2f}"
    if unit == Kpi.Unit.PERCENT:
        return f"{text} %"
    if unit == Kpi.Unit.CURRENCY and currency:
        return f"{currency} {text}"
    return text


def _kpi_url(workspace: Workspace, kpi: Kpi) -> str:
    try:
        return reverse("kpi_detail", kwargs={"ws": workspace.slug, "kpi_pk": kpi.pk})
    except NoReverseMatch:
        return ""


def _kpi_lines(workspace: Workspace, campaigns: list[Campaign], today: date) -> tuple[list[KpiLine], bool]:
    objectives = (
        Objective.objects.filter(workspace=workspace, campaigns__in=campaigns, status=Objective.Status.ACTIVE)
        .distinct()
        .prefetch_related("kpis__actuals")
        .order_by("title")
    )
    compute, fmt = _kpi_progress()
    fmt = fmt or _fmt_plain
    lines = []
    for objective in objectives:
        for kpi in objective.kpis.all():
            unit, currency = kpi.unit, workspace.currency
            if compute is None:
                lines.append(
                    KpiLine(kpi, objective, "—", fmt(kpi.target, unit, currency), "—", None, "", None, "")
                )
                continue
            p = compute(kpi, on=today)
            lines.append(
                KpiLine(
                    kpi=kpi,
                    objective=objective,
                    actual=fmt(p.actual, unit, currency),
                    target=fmt(p.target, unit, currency),
                    expected=fmt(p.expected_to_date, unit, currency),
                    pct=p.pct_of_target,
                    status=getattr(p, "status_label", ""),
                    on_track=p.on_track,
                    link=_kpi_url(workspace, kpi),
                )
            )
    return lines, compute is not None


def build(user, workspace: Workspace, *, manager: Person | None = None, today: date | None = None) -> Agenda:
    today = today or timezone.localdate()
    team = team_of(manager) if manager is not None else []
    agenda = Agenda(workspace=workspace, today=today, manager=manager, team=team)
    scope = selectors.visible_tasks(user, workspace)
    if manager is not None:
        scope = _team_tasks(scope, team)
    open_tasks = scope.exclude(status=Status.DONE)

    # 1. What moved: status changes in the audit log, newest first.
    since = timezone.now() - timedelta(days=WINDOW_DAYS)
    tasks_by_id = {str(t.pk): t for t in scope.select_related("campaign")}
    events = AuditEvent.objects.filter(
        workspace=workspace,
        object_type=Task._meta.label,
        action=AuditEvent.Action.UPDATE,
        at__gte=since,
        object_id__in=list(tasks_by_id),
    ).order_by("-at", "-id")
    events = list(events)
    names = selectors.names_of_users(workspace, [e.actor_id for e in events])
    for event in events:
        change = event.changes.get("status")
        if isinstance(change, list) and len(change) == 2 and change[0] != change[1]:
            agenda.moved.append(
                Move(
                    tasks_by_id[event.object_id],
                    change[0],
                    change[1],
                    names.get(event.actor_id, event.actor_label),
                    event.at,
                )
            )

    # 2. Late, and 5. the coming week.
    late = open_tasks.filter(due_date__lt=today).order_by("due_date", "title")
    coming = open_tasks.filter(due_date__gte=today, due_date__lte=today + timedelta(days=7)).order_by(
        "due_date", "title"
    )
    agenda.late = selectors.cards(
        user, workspace, selectors.with_card_data(late).order_by("due_date", "title"), today
    )
    agenda.coming = selectors.cards(
        user, workspace, selectors.with_card_data(coming).order_by("due_date", "title"), today
    )

    # 3. What waits for whose approval.
    visible = raci.visible_activities(user, workspace).values("pk") if user is not None else None
    requests = ApprovalRequest.objects.filter(
        workspace=workspace, status__in=[ApprovalRequest.Status.CONSULTING, ApprovalRequest.Status.PENDING]
    )
    if visible is not None:
        requests = requests.filter(activity__in=visible)
    if manager is not None:
        requests = requests.filter(
            Q(activity__in=scope.values("activity"))
            | Q(requested_by__in=team)
            | Q(approver__in=team)
            | Q(signoffs__person__in=team)
        ).distinct()
    requests = list(
        requests.select_related("activity", "approver", "requested_by")
        .prefetch_related("signoffs__person")
        .order_by("created_at")
    )
    links = selectors.approval_links(workspace, {r.activity_id for r in requests})
    now = timezone.now()
    for request in requests:
        waiting_signoffs = [
            s.person.name for s in request.signoffs.all() if s.decision == SignOff.Decision.WAITING
        ]
        pending = request.status == ApprovalRequest.Status.PENDING
        agenda.waiting.append(
            Waiting(
                request=request,
                link=links.get(request.activity_id, ""),
                signoffs=waiting_signoffs if not pending else [],
                approver=request.approver.name if pending else "",
                days=(now - request.created_at).days,
            )
        )

    # 4. KPIs of the objectives the team's campaigns serve.
    campaign_ids = set(
        scope.filter(
            Q(status__in=[s for s in Status.values if s != Status.DONE]) | Q(completed_at__gte=since)
        )
        .exclude(campaign__isnull=True)
        .values_list("campaign_id", flat=True)
    )
    campaigns = selectors.visible_campaigns(user, workspace)
    if manager is None:
        running = [Campaign.Status.PLANNED, Campaign.Status.APPROVED, Campaign.Status.LIVE]
        campaigns = campaigns.filter(Q(pk__in=campaign_ids) | Q(status__in=running))
    else:
        campaigns = campaigns.filter(pk__in=campaign_ids)
    agenda.campaigns = list(campaigns.order_by("name"))
    agenda.kpis, agenda.kpi_progress_available = _kpi_lines(workspace, agenda.campaigns, today)
    return agenda


# --- Markdown -------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+|!~])")


def md(text) -> str:
    """Escape text so Markdown shows it literally (names may hold *, _, [ and the like)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _who(card: selectors.Card) -> str:
    names = ", ".join(p.name for p in card.responsible)
    return md(names) if names else "nobody Responsible"


def _task_line(card: selectors.Card, today: date, base_url: str) -> str:
    task = card.task
    url = f"{base_url}{reverse('task_detail', kwargs={'ws': task.workspace.slug, 'task_pk': task.pk})}"
    bits = [f"[{md(task.title)}]({url})"]
    if task.campaign:
        bits.append(f"({md(task.campaign.name)})")
    due = task.due_date
    if due and due < today:
        days = (today - due).days
        bits.append(f"— due {due:%a %d %b}, {days} day{'s' if days != 1 else ''} late")
    elif due:
        bits.append(f"— due {due:%a %d %b}")
    bits.append(f"— R: {_who(card)}")
    bits.append(f"— {Status(task.status).label}")
    return "- " + " ".join(bits)


def _days_ago(days: int) -> str:
    return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"


def agenda_markdown(agenda: Agenda, *, base_url: str = "") -> str:
    today = agenda.today
    out = [f"# {md(agenda.title)}", ""]
    if agenda.manager:
        out += [f"Team: {md(', '.join(p.name for p in agenda.team))}", ""]
    out += [f"Generated by OpenCMO on {timezone.localtime():%Y-%m-%d %H:%M}.", ""]

    out += [f"## 1. What moved in the last {WINDOW_DAYS} days", ""]
    if agenda.moved:
        for m in agenda.moved:
            when = timezone.localtime(m.at)
            out.append(
                f"- {md(m.task.title)}: {m.old_label} → **{m.new_label}** "
                f"({md(m.who)}, {when:%a %d %b %H:%M})"
            )
    else:
        out.append("- Nothing changed column.")
    out.append("")

    out += ["## 2. Late", ""]
    out += [_task_line(c, today, base_url) for c in agenda.late] or ["- Nothing is late."]
    out.append("")

    out += ["## 3. Waiting for approval", ""]
    if agenda.waiting:
        for w in agenda.waiting:
            r = w.request
            whom = (
                f"decision by **{md(w.approver)}**"
                if w.approver
                else f"sign-off from **{md(', '.join(w.signoffs))}**"
            )
            amount = f" {agenda.workspace.currency} {r.amount:,.2f}" if r.amount is not None else ""
            out.append(
                f"- {md(r.summary)} ({md(r.activity.name)}; {r.get_kind_display().lower()}{amount}): "
                f"waiting for {whom}, asked by {md(r.requested_by.name)} {_days_ago(w.days)}"
            )
    else:
        out.append("- No approval is waiting.")
    out.append("")

    out += ["## 4. KPIs against targets", ""]
    if agenda.kpis:
        out += [
            "| Objective | KPI | Actual | Expected by now | Target | Of target | Status |",
            "|---|---|---|---|---|---|---|",
        ]
        for k in agenda.kpis:
            pct = f"{k.pct:.0f} %" if k.pct is not None else "—"
            out.append(
                f"| {md(k.objective.title)} | {md(k.kpi.name)} | {k.actual} | {k.expected} | {k.target} | "
                f"{pct} | {md(k.status)} |"
            )
    else:
        out.append("- No KPIs: the team's campaigns serve no active objective with KPIs.")
    out.append("")

    out += ["## 5. Deadlines in the coming week", ""]
    out += [_task_line(c, today, base_url) for c in agenda.coming] or ["- No deadlines in the coming week."]
    out.append("")
    return "\n".join(out)
