"""Reads for tasks: always inside one workspace and only what the user may see (RACI visibility)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.core.models import Membership, Workspace
from opencmo.org import raci
from opencmo.org.models import ApprovalRequest, Person, RaciEntry, SignOff
from opencmo.work.models import Task
from opencmo.work.permissions import TaskRights, can_move, rights

Status = Task.Status
COLUMNS = [Status.BACKLOG, Status.TODO, Status.DOING, Status.REVIEW, Status.DONE]
DONE_ON_BOARD_DAYS = 30  # the Done column shows what was finished lately; the list view has the rest
STATUS_RANK = Case(
    *[When(status=s, then=Value(i)) for i, s in enumerate(COLUMNS)], output_field=IntegerField()
)
SORTS = {
    "due": (F("due_date").asc(nulls_last=True), "title"),
    "-due": (F("due_date").desc(nulls_last=True), "title"),
    "title": ("title",),
    "-title": ("-title",),
    "status": ("status_rank", "position"),
    "-status": ("-status_rank", "position"),
    "campaign": (F("campaign__name").asc(nulls_last=True), "title"),
    "-campaign": (F("campaign__name").desc(nulls_last=True), "title"),
    "updated": ("-updated_at",),
    "-updated": ("updated_at",),
}


def end_of_week(today: date) -> date:
    """Sunday of today's (ISO) week."""
    return today + timedelta(days=6 - today.weekday())


def campaign_url(workspace: Workspace, campaign: Campaign | None) -> str:
    """The campaign's page, once the campaigns area serves it (empty until then)."""
    if campaign is None:
        return ""
    try:
        return reverse("campaign_detail", kwargs={"ws": workspace.slug, "campaign_pk": campaign.pk})
    except NoReverseMatch:
        return ""


def objective_url(workspace: Workspace, objective) -> str:
    try:
        return reverse("objective_detail", kwargs={"ws": workspace.slug, "objective_pk": objective.pk})
    except NoReverseMatch:
        return ""


# --- visibility and people ------------------------------------------------------------------------


def visible_tasks(user, workspace: Workspace) -> QuerySet[Task]:
    qs = Task.objects.filter(workspace=workspace)
    if user is None:
        return qs
    return qs.filter(activity__in=raci.visible_activities(user, workspace).values("pk"))


def visible_campaigns(user, workspace: Workspace) -> QuerySet[Campaign]:
    qs = Campaign.objects.filter(workspace=workspace).select_related("activity")
    if user is None:
        return qs
    return qs.filter(activity__in=raci.visible_activities(user, workspace).values("pk"))


def names_of_users(workspace: Workspace, user_ids) -> dict[int, str]:
    """user id -> the name of their person in this workspace (audit rows name users by email)."""
    ids = {pk for pk in user_ids if pk is not None}
    return dict(Person.objects.filter(workspace=workspace, user_id__in=ids).values_list("user_id", "name"))


def people(workspace: Workspace) -> QuerySet[Person]:
    return Person.objects.filter(workspace=workspace, is_active=True)


def with_card_data(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Everything a card or a list row shows, in a fixed number of queries."""
    latest = ApprovalRequest.objects.filter(activity=OuterRef("activity")).order_by("-created_at", "-pk")
    return (
        qs.select_related("campaign", "activity", "workspace")
        .prefetch_related(
            Prefetch("activity__raci", queryset=RaciEntry.objects.select_related("person", "role"))
        )
        .annotate(
            checklist_total=Count("checklist", distinct=True),
            checklist_done=Count("checklist", filter=Q(checklist__done=True), distinct=True),
            approval_status=Subquery(latest.values("status")[:1]),
            approval_kind=Subquery(latest.values("kind")[:1]),
            status_rank=STATUS_RANK,
        )
    )


class Resolver:
    """Letters -> people for many tasks at once (roles expanded to the active people wearing them)."""

    def __init__(self, workspace: Workspace):
        self.people = {p.pk: p for p in Person.objects.filter(workspace=workspace)}
        self.holders: dict[int, set[int]] = defaultdict(set)
        for role_id, person_id in Person.roles.through.objects.filter(
            workspace=workspace, person__is_active=True
        ).values_list("role_id", "person_id"):
            self.holders[role_id].add(person_id)

    def ids(self, task: Task) -> dict[str, set[int]]:
        return raci.resolve(task.activity, self.holders)

    def letters(self, task: Task) -> dict[str, list[Person]]:
        return {
            letter: sorted((self.people[i] for i in ids if i in self.people), key=lambda p: p.name)
            for letter, ids in self.ids(task).items()
        }

    def letters_of(self, task: Task, person: Person | None) -> set[str]:
        if person is None:
            return set()
        return {letter for letter, ids in self.ids(task).items() if person.pk in ids}


def holding(qs: QuerySet[Task], person: Person, letters: str = "RACI") -> QuerySet[Task]:
    """Tasks on which `person` holds one of `letters`, themselves or through a hat they wear."""
    entries = RaciEntry.objects.filter(letter__in=list(letters)).filter(
        Q(person=person) | Q(role__in=person.roles.all())
    )
    return qs.filter(activity__in=entries.values("activity"))


def by_due(qs: QuerySet[Task], due: str, today: date) -> QuerySet[Task]:
    if due == "late":
        return qs.filter(due_date__lt=today).exclude(status=Status.DONE)
    if due == "week":
        return qs.filter(due_date__gte=today, due_date__lte=end_of_week(today))
    if due == "none":
        return qs.filter(due_date__isnull=True)
    return qs


# --- cards ----------------------------------------------------------------------------------------


@dataclass
class Card:
    task: Task
    people: dict[str, list[Person]]
    rights: TaskRights
    late: bool
    due_soon: bool

    @property
    def responsible(self) -> list[Person]:
        return self.people["R"]

    @property
    def moves(self) -> list[tuple[str, str, bool]]:
        """(column, label, allowed) for the card's "Move to" choice."""
        return [(s, label, can_move(self.rights, self.task, s)) for s, label in Status.choices]

    @property
    def approval_label(self) -> str:
        status = getattr(self.task, "approval_status", None)
        return ApprovalRequest.Status(status).label if status else ""


def cards(user, workspace: Workspace, tasks, today: date | None = None) -> list[Card]:
    today = today or timezone.localdate()
    resolver = Resolver(workspace)
    me = raci.person_for(user, workspace) if user is not None else None
    seat = (
        Membership.objects.filter(user=user, workspace=workspace, is_active=True).first()
        if user is not None
        else None
    )
    out = []
    for task in tasks:
        held = resolver.letters_of(task, me)
        flow = task.kind == Task.Kind.DELIVERABLE or bool(getattr(task, "approval_status", None))
        granted = rights(user, task, letters=held, seat=seat, visible=True, flow=flow)
        open_ = task.status != Status.DONE
        out.append(
            Card(
                task=task,
                people=resolver.letters(task),
                rights=granted,
                late=bool(open_ and task.due_date and task.due_date < today),
                due_soon=bool(
                    open_ and task.due_date and today <= task.due_date <= today + timedelta(days=2)
                ),
            )
        )
    return out


@dataclass
class Column:
    status: str
    label: str
    cards: list[Card] = field(default_factory=list)
    note: str = ""


def board(
    user,
    workspace: Workspace,
    *,
    campaign: Campaign | None = None,
    person: Person | None = None,
    due: str = "",
    today: date | None = None,
) -> list[Column]:
    today = today or timezone.localdate()
    qs = visible_tasks(user, workspace)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if person is not None:
        qs = holding(qs, person)
    qs = by_due(qs, due, today)
    recent = timezone.now() - timedelta(days=DONE_ON_BOARD_DAYS)
    qs = qs.exclude(status=Status.DONE, completed_at__lt=recent)
    by_status: dict[str, list[Task]] = defaultdict(list)
    for task in with_card_data(qs).order_by("position", "pk"):
        by_status[task.status].append(task)
    columns = []
    for status in COLUMNS:
        note = f"finished in the last {DONE_ON_BOARD_DAYS} days" if status == Status.DONE else ""
        columns.append(
            Column(status, Status(status).label, cards(user, workspace, by_status[status], today), note)
        )
    return columns


# --- list -----------------------------------------------------------------------------------------


def task_list(
    user,
    workspace: Workspace,
    *,
    status: str = "",
    campaign: Campaign | None = None,
    responsible: Person | None = None,
    kind: str = "",
    due_from: date | None = None,
    due_to: date | None = None,
    late: bool = False,
    query: str = "",
    sort: str = "due",
    today: date | None = None,
) -> QuerySet[Task]:
    today = today or timezone.localdate()
    qs = visible_tasks(user, workspace)
    if status == "open":
        qs = qs.exclude(status=Status.DONE)
    elif status:
        qs = qs.filter(status=status)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if responsible is not None:
        qs = holding(qs, responsible, "R")
    if kind:
        qs = qs.filter(kind=kind)
    if due_from:
        qs = qs.filter(due_date__gte=due_from)
    if due_to:
        qs = qs.filter(due_date__lte=due_to)
    if late:
        qs = by_due(qs, "late", today)
    if query:
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(deliverable_type__icontains=query)
            | Q(campaign__name__icontains=query)
        )
    return with_card_data(qs).order_by(*SORTS.get(sort, SORTS["due"]), "pk")


# --- my work --------------------------------------------------------------------------------------

DUE_GROUPS = [("late", "Late"), ("week", "This week"), ("later", "Later"), ("none", "No due date")]


def due_group(task: Task, today: date) -> str:
    if task.due_date is None:
        return "none"
    if task.due_date < today:
        return "late"
    if task.due_date <= end_of_week(today):
        return "week"
    return "later"


@dataclass
class MyWork:
    person: Person | None
    letters: list[tuple[str, str, list[tuple[str, str, list[Card]]]]]  # letter, label, [(key, label, cards)]
    signoffs: list[SignOff]
    decisions: list[ApprovalRequest]
    my_requests: list[ApprovalRequest]
    links: dict[int, str]  # activity id -> page (the task's, the campaign's or the activity's)
    recently_done: list[Card]

    @property
    def waiting_count(self) -> int:
        return len(self.signoffs) + len(self.decisions)

    @property
    def open_count(self) -> int:
        return len({c.task.pk for _, _, groups in self.letters for _, _, cs in groups for c in cs})


def approval_links(workspace: Workspace, activity_ids) -> dict[int, str]:
    """activity id -> the page where its approval is handled: a task's or a campaign's page, else the
    activity's."""
    links = {
        pk: reverse("activity_detail", kwargs={"ws": workspace.slug, "activity_pk": pk})
        for pk in activity_ids
    }
    for campaign in Campaign.objects.filter(workspace=workspace, activity_id__in=list(links)):
        links[campaign.activity_id] = campaign_url(workspace, campaign) or links[campaign.activity_id]
    for task_pk, activity_pk in Task.objects.filter(
        workspace=workspace, activity_id__in=list(links)
    ).values_list("pk", "activity_id"):
        links[activity_pk] = reverse("task_detail", kwargs={"ws": workspace.slug, "task_pk": task_pk})
    return links


def my_work(user, workspace: Workspace, today: date | None = None) -> MyWork:
    today = today or timezone.localdate()
    person = raci.person_for(user, workspace)
    if person is None:
        return MyWork(None, [], [], [], [], {}, [])
    mine = holding(visible_tasks(user, workspace), person)
    open_cards = cards(
        user,
        workspace,
        with_card_data(mine.exclude(status=Status.DONE)).order_by(
            F("due_date").asc(nulls_last=True), "title"
        ),
        today,
    )
    letters = []
    for letter, label in (("R", "Responsible"), ("A", "Accountable"), ("C", "Consulted"), ("I", "Informed")):
        held = [c for c in open_cards if letter in c.rights.letters]
        groups = [
            (key, name, [c for c in held if due_group(c.task, today) == key]) for key, name in DUE_GROUPS
        ]
        letters.append((letter, label, [g for g in groups if g[2]]))
    week_ago = timezone.now() - timedelta(days=7)
    done = with_card_data(holding(mine, person, "RA").filter(status=Status.DONE, completed_at__gte=week_ago))
    signoffs = list(
        SignOff.objects.filter(
            workspace=workspace,
            person=person,
            decision=SignOff.Decision.WAITING,
            request__status=ApprovalRequest.Status.CONSULTING,
        ).select_related("request__activity", "request__requested_by")
    )
    decisions = list(
        ApprovalRequest.objects.filter(
            workspace=workspace, approver=person, status=ApprovalRequest.Status.PENDING
        ).select_related("activity", "requested_by")
    )
    my_requests = list(
        ApprovalRequest.objects.filter(
            workspace=workspace,
            requested_by=person,
            status__in=[ApprovalRequest.Status.CONSULTING, ApprovalRequest.Status.PENDING],
        )
        .select_related("activity", "approver")
        .prefetch_related("signoffs__person")
    )
    activity_ids = {s.request.activity_id for s in signoffs} | {
        r.activity_id for r in decisions + my_requests
    }
    links = approval_links(workspace, activity_ids)
    for signoff in signoffs:
        signoff.link = links[signoff.request.activity_id]
    for request in decisions + my_requests:
        request.link = links[request.activity_id]
    return MyWork(
        person,
        letters,
        signoffs,
        decisions,
        my_requests,
        links,
        cards(user, workspace, done.order_by("-completed_at"), today),
    )
