"""Reads for campaigns, channels, the calendar and feeds: always inside one workspace, and only what the
user may see (a restricted campaign is visible to its RACI people, its approvers and administrators)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from opencmo.campaigns import overlaps
from opencmo.campaigns.models import CalendarFeed, Campaign, Channel, ExpectedResult
from opencmo.campaigns.services import token_hash
from opencmo.core.models import AuditEvent, Membership, Workspace
from opencmo.org import raci
from opencmo.org.models import Person, RaciEntry
from opencmo.strategy.models import Kpi, Objective, Segment
from opencmo.work.models import Task


def channels(workspace: Workspace) -> QuerySet[Channel]:
    return Channel.objects.filter(workspace=workspace)


def visible_campaigns(user, workspace: Workspace) -> QuerySet[Campaign]:
    visible = raci.visible_activities(user, workspace).prefetch_related(None).values("pk")
    return (
        Campaign.objects.filter(workspace=workspace, activity__in=visible)
        .select_related("segment", "activity")
        .prefetch_related(
            Prefetch("channels", queryset=Channel.objects.order_by("name")),
            Prefetch("objectives", queryset=Objective.objects.order_by("title")),
        )
    )


def accountable_for(person: Person) -> Q:
    """Campaigns whose A is this person, directly or through a hat they wear."""
    entries = RaciEntry.objects.filter(workspace=person.workspace, letter="A").filter(
        Q(person=person) | Q(role__in=person.roles.all())
    )
    return Q(activity__in=entries.values("activity_id"))


@dataclass
class Filters:
    status: str = ""
    channel: Channel | None = None
    objective: Objective | None = None
    owner: Person | None = None
    segment: Segment | None = None
    query: str = ""


def campaigns(user, workspace: Workspace, filters: Filters | None = None) -> QuerySet[Campaign]:
    f = filters or Filters()
    qs = visible_campaigns(user, workspace)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.channel is not None:
        qs = qs.filter(channels=f.channel)
    if f.objective is not None:
        qs = qs.filter(objectives=f.objective)
    if f.owner is not None:
        qs = qs.filter(accountable_for(f.owner))
    if f.segment is not None:
        qs = qs.filter(segment=f.segment)
    if f.query:
        qs = qs.filter(
            Q(name__icontains=f.query)
            | Q(code__icontains=f.query)
            | Q(description__icontains=f.query)
            | Q(agency__icontains=f.query)
        )
    return qs.distinct()


def accountable_people(workspace: Workspace, campaign_list) -> dict[int, list[Person]]:
    """campaign id -> its Accountable people (roles resolved), for lists and calendars."""
    campaign_list = list(campaign_list)
    holders = raci.holders(workspace)
    activities = {c.activity_id: c for c in campaign_list}
    entries: dict[int, list] = {}
    for entry in RaciEntry.objects.filter(activity_id__in=activities, letter="A"):
        entries.setdefault(entry.activity_id, []).append(entry)
    ids_by_campaign: dict[int, set[int]] = {}
    for activity_id, campaign in activities.items():
        ids: set[int] = set()
        for entry in entries.get(activity_id, []):
            ids |= {entry.person_id} if entry.person_id else holders.get(entry.role_id, set())
        ids_by_campaign[campaign.pk] = ids
    people = {p.pk: p for p in Person.objects.filter(pk__in=set().union(set(), *ids_by_campaign.values()))}
    return {
        cid: sorted((people[i] for i in ids if i in people), key=lambda p: p.name)
        for cid, ids in ids_by_campaign.items()
    }


def owners(workspace: Workspace) -> QuerySet[Person]:
    """People holding A on at least one campaign (directly or by a hat): the owner filter's choices."""
    entries = RaciEntry.objects.filter(workspace=workspace, letter="A", activity__kind="campaign")
    return (
        Person.objects.filter(workspace=workspace, is_active=True)
        .filter(Q(pk__in=entries.values("person_id")) | Q(roles__in=entries.values("role_id")))
        .distinct()
        .order_by("name")
    )


def span_of(campaign: Campaign) -> overlaps.Span:
    return overlaps.Span(
        campaign.pk,
        campaign.start_date,
        campaign.end_date,
        campaign.segment_id,
        frozenset(ch.pk for ch in campaign.channels.all()),
    )


def overlaps_among(campaign_list) -> list[overlaps.Overlap]:
    return overlaps.find_overlaps(span_of(c) for c in campaign_list)


def overlaps_with(user, campaign: Campaign) -> list[tuple[overlaps.Overlap, Campaign]]:
    """Visible campaigns colliding with `campaign` (same segment, a shared channel, a shared day)."""
    if campaign.segment_id is None:
        return []
    mine = span_of(campaign)
    others = (
        visible_campaigns(user, campaign.workspace)
        .filter(
            segment_id=campaign.segment_id,
            start_date__lte=campaign.end_date,
            end_date__gte=campaign.start_date,
        )
        .exclude(pk=campaign.pk)
    )
    found = []
    for other in others:
        hit = overlaps.overlap(mine, span_of(other))
        if hit is not None:
            found.append((hit, other))
    return sorted(found, key=lambda pair: (pair[0].start, pair[1].name))


def kpis_of(campaign: Campaign) -> QuerySet[Kpi]:
    return (
        Kpi.objects.filter(workspace=campaign.workspace, objective__in=campaign.objectives.all())
        .select_related("objective")
        .order_by("objective__title", "name")
    )


def expected_results(campaign: Campaign) -> dict[int, ExpectedResult]:
    return {r.kpi_id: r for r in campaign.expected_results.all()}


def expected_totals(user, workspace: Workspace, kpis) -> dict[int, Decimal]:
    """KPI id -> what all campaigns the user may see expect to add to it together."""
    visible = visible_campaigns(user, workspace).values("pk")
    rows = (
        ExpectedResult.objects.filter(workspace=workspace, kpi__in=list(kpis), campaign__in=visible)
        .values("kpi_id")
        .annotate(total=Sum("value"))
    )
    return {row["kpi_id"]: row["total"] for row in rows}


def visible_tasks(user, workspace: Workspace) -> QuerySet[Task]:
    visible = raci.visible_activities(user, workspace).prefetch_related(None).values("pk")
    return Task.objects.filter(workspace=workspace, activity__in=visible).select_related("campaign")


def tasks_of(user, campaign: Campaign) -> QuerySet[Task]:
    return visible_tasks(user, campaign.workspace).filter(campaign=campaign).order_by("due_date", "pk")


def deadlines(user, workspace: Workspace, start: date, end: date, campaign_ids=None) -> QuerySet[Task]:
    """Tasks due between start and end (inclusive) that the user may see; with `campaign_ids`, only the
    tasks of those campaigns (the calendar's filters apply to deadlines through their campaign)."""
    qs = visible_tasks(user, workspace).filter(due_date__gte=start, due_date__lte=end)
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    return qs.order_by("due_date", "title")


@dataclass(frozen=True)
class StatusChange:
    at: object
    actor: str
    old: str
    new: str
    note: str
    early_launch: str


def status_history(campaign: Campaign) -> list[StatusChange]:
    """The campaign's lifecycle from its audit trail, oldest first (with notes and the evaluation)."""
    events = AuditEvent.objects.filter(
        workspace=campaign.workspace,
        object_type=Campaign._meta.label,
        object_id=str(campaign.pk),
    ).order_by("at", "id")
    out = []
    labels = dict(Campaign.Status.choices)
    for event in events:
        status = event.changes.get("status")
        if event.action == AuditEvent.Action.CREATE:
            out.append(StatusChange(event.at, event.actor_label, "", labels.get(status[1], ""), "", ""))
        elif status:
            note = (event.changes.get("note") or [None, ""])[1] or ""
            early = (event.changes.get("early_launch") or [None, ""])[1] or ""
            out.append(
                StatusChange(
                    event.at,
                    event.actor_label,
                    labels.get(status[0], ""),
                    labels.get(status[1], ""),
                    note,
                    early,
                )
            )
    return out


def evaluation(campaign: Campaign) -> StatusChange | None:
    """The evaluation note, written when the campaign was marked evaluated."""
    if campaign.status != Campaign.Status.EVALUATED:
        return None
    done = [c for c in status_history(campaign) if c.new == Campaign.Status.EVALUATED.label]
    return done[-1] if done else None


# --- feeds ----------------------------------------------------------------------------------------


def active_feed(user, workspace: Workspace) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(workspace=workspace, user=user, revoked_at__isnull=True).first()


def feed_by_token(token: str) -> CalendarFeed | None:
    """The live feed for a token: not revoked, its user active and still a member of the workspace."""
    if not token or len(token) > 200:
        return None
    feed = (
        CalendarFeed.objects.select_related("user", "workspace")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    member = Membership.objects.filter(user=feed.user, workspace=feed.workspace, is_active=True).exists()
    return feed if member else None
