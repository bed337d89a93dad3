"""The iCal (RFC 5545) document behind a secret calendar feed: the campaigns (all-day events from the
start date to the day after the inclusive end date) and the task deadlines the feed's owner may see in
the feed's workspace, and nothing else. UIDs are stable, so calendar apps update events in place."""

from datetime import timedelta

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from icalendar import Calendar, Event

from opencmo.campaigns import selectors
from opencmo.campaigns.models import CalendarFeed, Campaign

CAMPAIGN_HISTORY_DAYS = 365  # campaigns that ended more than a year ago drop out of the feed
DEADLINE_HISTORY_DAYS = 90
CONFIRMED = {Campaign.Status.APPROVED, Campaign.Status.LIVE, Campaign.Status.DONE, Campaign.Status.EVALUATED}


def _absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _task_path(task, ws: str) -> str:
    try:
        return reverse("task_detail", kwargs={"ws": ws, "task_pk": task.pk})
    except NoReverseMatch:
        if task.campaign_id is None:
            return reverse("calendar", kwargs={"ws": ws})
        return reverse("campaign_detail", kwargs={"ws": ws, "campaign_pk": task.campaign_id})


def build(feed: CalendarFeed, *, base_url: str) -> bytes:
    user, workspace = feed.user, feed.workspace
    ws, today, now = workspace.slug, timezone.localdate(), timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//OpenCMO//Campaign calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"OpenCMO · {workspace.name}")
    cal.add("x-wr-caldesc", f"Campaigns and deadlines in {workspace.name} visible to {user.email}")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")

    campaigns = list(
        selectors.visible_campaigns(user, workspace)
        .filter(end_date__gte=today - timedelta(days=CAMPAIGN_HISTORY_DAYS))
        .order_by("start_date", "pk")
    )
    owners = selectors.accountable_people(workspace, campaigns)
    for campaign in campaigns:
        url = _absolute(base_url, reverse("campaign_detail", kwargs={"ws": ws, "campaign_pk": campaign.pk}))
        lines = [
            f"Status: {campaign.get_status_display()}",
            f"Code: {campaign.code}",
            f"Channels: {', '.join(ch.name for ch in campaign.channels.all()) or '-'}",
            f"Segment: {campaign.segment.name if campaign.segment else '-'}",
            f"Objectives: {'; '.join(o.title for o in campaign.objectives.all()) or '-'}",
            f"Accountable: {', '.join(p.name for p in owners.get(campaign.pk, [])) or '-'}",
        ]
        if campaign.agency:
            lines.append(f"Agency: {campaign.agency}")
        if campaign.description:
            lines += ["", campaign.description]
        lines += ["", url]
        event = Event()
        event.add("uid", f"campaign-{campaign.pk}.ws-{workspace.pk}@opencmo")
        event.add("summary", f"{campaign.name} ({campaign.get_status_display()})")
        event.add("dtstart", campaign.start_date)
        event.add("dtend", campaign.end_date + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("last-modified", campaign.updated_at)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("categories", ["Campaign", campaign.get_status_display()])
        event.add("status", "CONFIRMED" if campaign.status in CONFIRMED else "TENTATIVE")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)

    tasks = selectors.visible_tasks(user, workspace).filter(
        due_date__isnull=False, due_date__gte=today - timedelta(days=DEADLINE_HISTORY_DAYS)
    )
    for task in tasks.order_by("due_date", "pk"):
        url = _absolute(base_url, _task_path(task, ws))
        done = task.status == task.Status.DONE
        lines = [f"Status: {task.get_status_display()}"]
        if task.campaign is not None:
            lines.append(f"Campaign: {task.campaign.name}")
        lines += ["", url]
        event = Event()
        event.add("uid", f"task-{task.pk}.ws-{workspace.pk}@opencmo")
        event.add("summary", f"{'Done' if done else 'Deadline'}: {task.title}")
        event.add("dtstart", task.due_date)
        event.add("dtend", task.due_date + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("last-modified", task.updated_at)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("categories", ["Deadline"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
