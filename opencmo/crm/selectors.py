"""Reads for customers, always scoped to one workspace: contact lists, the overview, the hand-off queue and
funnel report, and the feedback trend."""

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from opencmo.core.models import Workspace
from opencmo.crm.models import (
    Company,
    ConsentRecord,
    Contact,
    Feedback,
    Handoff,
    LifecycleStage,
    StageTransition,
)
from opencmo.org.models import Person


def contacts(
    workspace: Workspace,
    *,
    q: str = "",
    stage: str = "",
    owner: str = "",
    company: int | None = None,
    min_score: Decimal | None = None,
    order: str = "",
) -> QuerySet[Contact]:
    qs = Contact.objects.filter(workspace=workspace).select_related("stage", "company", "owner")
    if q:
        for word in q.split()[:4]:
            qs = qs.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(job_title__icontains=word)
                | Q(company__name__icontains=word)
                | Q(phone__icontains=word)
            )
    if stage:
        qs = qs.filter(stage__key=stage)
    if owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif owner:
        qs = qs.filter(owner_id=owner)
    if company:
        qs = qs.filter(company_id=company)
    if min_score is not None:
        qs = qs.filter(score__gte=min_score)
    orders = {
        "score": ["-score", "last_name"],
        "name": ["last_name", "first_name", "email"],
        "recent": ["-created_at", "-pk"],
        "activity": ["-last_activity_at", "-pk"],
    }
    return qs.order_by(*orders.get(order, orders["score"]))


def companies(workspace: Workspace, *, q: str = "") -> QuerySet[Company]:
    qs = (
        Company.objects.filter(workspace=workspace)
        .select_related("owner")
        .annotate(n_contacts=Count("contacts"))
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q) | Q(industry__icontains=q))
    return qs.order_by("name")


def contact_detail(workspace: Workspace, pk) -> Contact:
    return (
        Contact.objects.filter(workspace=workspace, pk=pk)
        .select_related("stage", "company", "owner", "first_touch_campaign")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=StageTransition.objects.select_related("from_stage", "to_stage", "actor"),
            ),
            Prefetch("consents", queryset=ConsentRecord.objects.select_related("purpose")),
            "bases__purpose",
            "handoffs__assigned_to",
            "handoffs__decided_by",
            "feedback__campaign",
        )
        .get()
    )


@dataclass
class StageCount:
    stage: LifecycleStage
    count: int
    share: Decimal


def stage_counts(workspace: Workspace) -> list[StageCount]:
    counts = dict(
        Contact.objects.filter(workspace=workspace)
        .values("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    )
    largest = max(counts.values(), default=0) or 1
    return [
        StageCount(
            s, counts.get(s.pk, 0), (Decimal(100) * counts.get(s.pk, 0) / largest).quantize(Decimal("0.1"))
        )
        for s in LifecycleStage.objects.filter(workspace=workspace)
        if s.is_active or counts.get(s.pk)
    ]


def handoffs(
    workspace: Workspace, *, status: str = "pending", person: Person | None = None
) -> QuerySet[Handoff]:
    qs = Handoff.objects.filter(workspace=workspace).select_related(
        "contact__company", "contact__stage", "assigned_to", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    if person is not None:
        qs = qs.filter(assigned_to=person)
    return qs.order_by("due_at", "pk") if status == "pending" else qs.order_by("-assigned_at", "-pk")


def _hours(delta: dt.timedelta) -> Decimal:
    return (Decimal(str(delta.total_seconds())) / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


@dataclass
class PersonRow:
    name: str
    assigned: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    breached: int = 0
    hours: list[Decimal] = field(default_factory=list)

    @property
    def median_hours(self) -> Decimal | None:
        return statistics.median(self.hours) if self.hours else None


@dataclass
class Funnel:
    start: dt.date
    end: dt.date
    became_mql: int
    handed_over: int
    accepted: int
    rejected: int
    pending: int
    cancelled: int
    reached_opportunity: int
    reached_customer: int
    breached: list[Handoff]
    reasons: list[tuple[str, int]]
    people: list[PersonRow]
    median_hours: Decimal | None
    sla_hours: int
    items: list[Handoff]

    @property
    def acceptance_rate(self) -> Decimal | None:
        decided = self.accepted + self.rejected
        return (Decimal(100) * self.accepted / decided).quantize(Decimal("0.1")) if decided else None

    @property
    def within_sla_rate(self) -> Decimal | None:
        if not self.handed_over:
            return None
        ok = self.handed_over - len(self.breached) - self.cancelled
        base = self.handed_over - self.cancelled
        return (Decimal(100) * ok / base).quantize(Decimal("0.1")) if base else None

    def steps(self) -> list[tuple[str, int]]:
        return [
            ("Became MQL", self.became_mql),
            ("Handed to sales", self.handed_over),
            ("Accepted (SQL)", self.accepted),
            ("Reached opportunity", self.reached_opportunity),
            ("Became customer", self.reached_customer),
        ]


def funnel(
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    with_contacts: bool = True,
) -> Funnel:
    """The hand-off funnel for MQLs handed over from `start` to `end` (inclusive): how many sales accepted
    or rejected (and why), how fast, how many went on to become opportunities and customers, and every
    SLA breach. `with_contacts=False` leaves the contacts (and deciders) of the items unloaded, for
    callers that only show the counts (a dashboard on a busy workspace)."""
    from opencmo.crm.services import ensure_defaults

    now = now or timezone.now()
    crm = ensure_defaults(workspace)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    items = list(
        Handoff.objects.filter(workspace=workspace, assigned_at__gte=since, assigned_at__lt=until)
        .select_related(*(("contact", "assigned_to", "decided_by") if with_contacts else ("assigned_to",)))
        .order_by("assigned_at", "pk")
    )
    became_mql = StageTransition.objects.filter(
        workspace=workspace, to_stage__key="mql", at__gte=since, at__lt=until
    ).count()
    accepted = [h for h in items if h.status == Handoff.Status.ACCEPTED]
    later = {
        key: set(
            StageTransition.objects.filter(
                workspace=workspace, contact_id__in=[h.contact_id for h in accepted], to_stage__key__in=keys
            ).values_list("contact_id", flat=True)
        )
        for key, keys in (
            ("opportunity", ["opportunity", "customer", "evangelist"]),
            ("customer", ["customer", "evangelist"]),
        )
    }
    reasons: dict[str, int] = {}
    people: dict[str, PersonRow] = {}
    hours = []
    for h in items:
        row = people.setdefault(
            h.assigned_to.name if h.assigned_to else "Unassigned",
            PersonRow(h.assigned_to.name if h.assigned_to else "Unassigned"),
        )
        row.assigned += 1
        if h.status == Handoff.Status.ACCEPTED:
            row.accepted += 1
        elif h.status == Handoff.Status.REJECTED:
            row.rejected += 1
            label = Handoff.RejectReason(h.reject_reason).label if h.reject_reason else "No reason"
            reasons[label] = reasons.get(label, 0) + 1
        elif h.status == Handoff.Status.PENDING:
            row.pending += 1
        if h.breached(now):
            row.breached += 1
        if h.decided_at and h.status in (Handoff.Status.ACCEPTED, Handoff.Status.REJECTED):
            spent = _hours(h.decided_at - h.assigned_at)
            row.hours.append(spent)
            hours.append(spent)
    return Funnel(
        start=start,
        end=end,
        became_mql=became_mql,
        handed_over=len(items),
        accepted=len(accepted),
        rejected=sum(1 for h in items if h.status == Handoff.Status.REJECTED),
        pending=sum(1 for h in items if h.status == Handoff.Status.PENDING),
        cancelled=sum(1 for h in items if h.status == Handoff.Status.CANCELLED),
        reached_opportunity=len(later["opportunity"]),
        reached_customer=len(later["customer"]),
        breached=[h for h in items if h.breached(now)],
        reasons=sorted(reasons.items(), key=lambda kv: -kv[1]),
        people=sorted(people.values(), key=lambda r: r.name),
        median_hours=statistics.median(hours) if hours else None,
        sla_hours=crm.sla_hours,
        items=items,
    )


def overdue_hours(handoff: Handoff, now: dt.datetime) -> Decimal:
    return _hours((handoff.decided_at or now) - handoff.due_at)


# --- feedback trend -------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    month: dt.date
    responses: int
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    total: int = 0  # sum of scores (CSAT)
    satisfied: int = 0  # CSAT 4-5

    @property
    def nps(self) -> Decimal | None:
        if not self.responses:
            return None
        return (Decimal(100) * (self.promoters - self.detractors) / self.responses).quantize(Decimal("0.1"))

    @property
    def csat_average(self) -> Decimal | None:
        return (Decimal(self.total) / self.responses).quantize(Decimal("0.01")) if self.responses else None

    @property
    def csat_share(self) -> Decimal | None:
        return (
            (Decimal(100) * self.satisfied / self.responses).quantize(Decimal("0.1"))
            if self.responses
            else None
        )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def feedback(workspace: Workspace, *, kind: str = "", campaign: int | None = None) -> QuerySet[Feedback]:
    qs = Feedback.objects.filter(workspace=workspace).select_related("contact", "campaign")
    if kind:
        qs = qs.filter(kind=kind)
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    return qs


def feedback_trend(
    workspace: Workspace,
    kind: str,
    *,
    months: int = 12,
    campaign: int | None = None,
    today: dt.date | None = None,
) -> list[TrendPoint]:
    """One point per month for the last `months` months (including this one)."""
    today = today or timezone.localdate()
    first = add_months(month_start(today), -(months - 1))
    points = {add_months(first, i): TrendPoint(add_months(first, i), 0) for i in range(months)}
    rows = feedback(workspace, kind=kind, campaign=campaign).filter(
        received_on__gte=first, received_on__lte=today
    )
    for received_on, score in rows.values_list("received_on", "score"):
        point = points[month_start(received_on)]
        point.responses += 1
        point.total += score
        if kind == Feedback.Kind.NPS:
            if score >= 9:
                point.promoters += 1
            elif score >= 7:
                point.passives += 1
            else:
                point.detractors += 1
        elif score >= 4:
            point.satisfied += 1
    return list(points.values())


def overall(points: list[TrendPoint]) -> TrendPoint:
    total = TrendPoint(points[0].month if points else timezone.localdate(), 0)
    for p in points:
        total.responses += p.responses
        total.promoters += p.promoters
        total.passives += p.passives
        total.detractors += p.detractors
        total.total += p.total
        total.satisfied += p.satisfied
    return total
