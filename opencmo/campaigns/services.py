"""Writes for channels, campaigns (with their RACI activity, lifecycle and launch approval), expected
results and secret calendar feeds.

Lifecycle: idea → planned → approved → live → done → evaluated, plus approved → planned when a campaign
is re-planned (its launch approval then has to be given again). "approved" needs an approved *launch*
approval request on the campaign's activity (routed by RACI and decision authority, opencmo.org.approvals);
"live" comes only after "approved" and not before the start date unless the Accountable person forces an
early launch; "evaluated" needs an evaluation note and closes the campaign's activity.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from opencmo.campaigns.models import BUILTIN_CHANNELS, CalendarFeed, Campaign, Channel, ExpectedResult
from opencmo.core import audit
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.notifications import notify
from opencmo.core.permissions import require_admin, require_member
from opencmo.org import approvals, raci
from opencmo.org.models import Activity, ApprovalRequest, DecisionKind, Person
from opencmo.org.raci_services import activity_create, activity_delete, raci_set
from opencmo.strategy.models import Kpi, Objective, Segment
from opencmo.webhooks import events as webhook_events

Status = Campaign.Status

# Where each status may go next. Back to planned from approved only (re-planning voids the approval).
LIFECYCLE: dict[str, tuple[str, ...]] = {
    Status.IDEA: (Status.PLANNED,),
    Status.PLANNED: (Status.APPROVED,),
    Status.APPROVED: (Status.LIVE, Status.PLANNED),
    Status.LIVE: (Status.DONE,),
    Status.DONE: (Status.EVALUATED,),
    Status.EVALUATED: (),
}
START_STATUSES = (Status.IDEA, Status.PLANNED)  # a new campaign is an idea or already planned
DELETABLE_STATUSES = (Status.IDEA, Status.PLANNED)  # later ones have history worth keeping
UPDATE_FIELDS = (
    "name",
    "code",
    "description",
    "objectives",
    "channels",
    "segment",
    "agency",
    "start_date",
    "end_date",
    "restricted",
    "creates_leads",
)
ACTIVITY_SYNC = ("name", "description", "restricted", "creates_leads")  # kept equal on the activity
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Letters slugify() would drop: Nordic and other Latin letters that do not decompose to ASCII.
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "œ": "oe", "Œ": "OE", "ð": "d", "þ": "th", "ł": "l"}
)


def campaign_url(campaign: Campaign) -> str:
    return reverse("campaign_detail", kwargs={"ws": campaign.workspace.slug, "campaign_pk": campaign.pk})


def slug_for(text: str, fallback: str, max_length: int = 70) -> str:
    return slugify(text.translate(_TRANSLITERATE))[:max_length].strip("-_") or fallback


# --- channels -------------------------------------------------------------------------------------


@transaction.atomic
def channels_seed(*, actor, workspace: Workspace) -> list[Channel]:
    """Give the workspace the built-in channels it lacks (idempotent; any member's first visit does it).
    Built-in channels cannot be deleted, so seeding again never brings back something removed."""
    require_member(actor, workspace)
    have = set(Channel.objects.filter(workspace=workspace).values_list("key", flat=True))
    created = []
    for key, name in BUILTIN_CHANNELS:
        if key in have:
            continue
        channel, made = Channel.objects.get_or_create(
            workspace=workspace, key=key, defaults={"name": name, "is_builtin": True}
        )
        if made:
            audit.record_create(actor=actor, workspace=workspace, obj=channel)
            created.append(channel)
    return created


def _check_channel_name(workspace: Workspace, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the channel a name."})
    clash = Channel.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a channel called “{name}”."})
    return name


@transaction.atomic
def channel_create(*, actor, workspace: Workspace, name: str) -> Channel:
    require_admin(actor, workspace)
    name = _check_channel_name(workspace, name)
    base = slug_for(name, "channel", 55)
    taken = set(Channel.objects.filter(workspace=workspace).values_list("key", flat=True))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    channel = Channel(workspace=workspace, key=key, name=name, is_builtin=False)
    channel.full_clean(exclude=["workspace"])
    channel.save()
    audit.record_create(actor=actor, workspace=workspace, obj=channel)
    return channel


@transaction.atomic
def channel_update(*, actor, channel: Channel, name: str) -> Channel:
    """Rename a channel (built-in ones too: a team may prefer its own words); its key stays."""
    require_admin(actor, channel.workspace)
    before = audit.snapshot(channel)
    channel.name = _check_channel_name(channel.workspace, name, exclude_pk=channel.pk)
    channel.full_clean(exclude=["workspace"])
    channel.save()
    audit.record_update(actor=actor, workspace=channel.workspace, obj=channel, before=before)
    return channel


@transaction.atomic
def channel_delete(*, actor, channel: Channel) -> None:
    require_admin(actor, channel.workspace)
    if channel.is_builtin:
        raise ValidationError("Built-in channels stay; rename it if the name does not fit.")
    used = channel.campaigns.count()
    if used:
        raise ValidationError(
            f"“{channel.name}” is used by {used} campaign{'s' if used != 1 else ''}; take it off them first."
        )
    audit.record_delete(actor=actor, workspace=channel.workspace, obj=channel)
    channel.delete()


# --- campaigns ------------------------------------------------------------------------------------


def _same_workspace(workspace: Workspace, objects: Iterable, field: str, what: str, errors: dict) -> list:
    objects = [o for o in objects if o is not None]
    if any(o.workspace_id != workspace.pk for o in objects):
        errors[field] = f"Choose {what} of this workspace."
    return objects


def _check_code(workspace: Workspace, code: str, exclude_pk=None) -> str:
    code = (code or "").strip().lower()
    if not CODE_RE.match(code) or len(code) > 80:
        raise ValidationError(
            {"code": "Use lower-case letters, digits, hyphens and underscores (at most 80), e.g. spring-26."}
        )
    if Campaign.objects.filter(workspace=workspace, code__iexact=code).exclude(pk=exclude_pk).exists():
        raise ValidationError({"code": f"Another campaign already has the code “{code}”."})
    return code


def _code_from_name(workspace: Workspace, name: str) -> str:
    base = slug_for(name, "campaign")
    taken = set(
        Campaign.objects.filter(workspace=workspace, code__startswith=base).values_list("code", flat=True)
    )
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def _check_dates(start_date, end_date, errors: dict) -> None:
    if not isinstance(start_date, date):
        errors["start_date"] = "Give a start date."
    if not isinstance(end_date, date):
        errors["end_date"] = "Give an end date."
    elif isinstance(start_date, date) and end_date < start_date:
        errors["end_date"] = "The campaign cannot end before it starts."


def _raci_actor(actor, activity: Activity):
    """Who the RACI change is recorded as. Setting up a new campaign's RACI is part of creating it, which
    the actor was allowed to do; `raci_set` itself only lets administrators and the Accountable person
    shape a matrix, so until the actor holds that right the initial letters are set as the system."""
    if actor is None or raci.can_manage_raci(actor, activity, activity.workspace):
        return actor
    return None


@transaction.atomic
def campaign_create(
    *,
    actor,
    workspace: Workspace,
    name: str,
    code: str = "",
    start_date: date,
    end_date: date,
    objectives: Iterable[Objective] = (),
    channels: Iterable[Channel] = (),
    segment: Segment | None = None,
    agency: str = "",
    description: str = "",
    status: str = "idea",
    accountable: Person | None = None,
    responsible: Iterable[Person] = (),
    restricted: bool = False,
    creates_leads: bool = False,
) -> Campaign:
    """A campaign and its RACI activity (kind campaign, same name) in one go: the Accountable person gets
    A, each Responsible person R. The code defaults to a slug of the name, unique in the workspace."""
    require_member(actor, workspace, write=True)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Give the campaign a name."
    if status not in START_STATUSES:
        errors["status"] = "A new campaign starts as an idea or as planned; later steps follow the lifecycle."
    _check_dates(start_date, end_date, errors)
    objectives = _same_workspace(workspace, objectives, "objectives", "objectives", errors)
    channels = _same_workspace(workspace, channels, "channels", "channels", errors)
    _same_workspace(workspace, [segment], "segment", "a segment", errors)
    responsible = list(dict.fromkeys(p for p in responsible if p is not None))
    for field, people in (("accountable", [accountable]), ("responsible", responsible)):
        _same_workspace(workspace, people, field, "people", errors)
        if field not in errors and any(p is not None and not p.is_active for p in people):
            errors[field] = "Only active people can hold a letter on a campaign."
    if code:
        try:
            code = _check_code(workspace, code)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    code = code or _code_from_name(workspace, name)

    activity = activity_create(
        actor=actor,
        workspace=workspace,
        name=name,
        kind=Activity.Kind.CAMPAIGN,
        description=description,
        restricted=restricted,
        creates_leads=creates_leads,
    )
    campaign = Campaign(
        workspace=workspace,
        activity=activity,
        name=name,
        code=code,
        description=description,
        segment=segment,
        agency=(agency or "").strip(),
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    campaign.full_clean(exclude=["workspace", "activity"])
    campaign.save()
    campaign.objectives.set(objectives)
    campaign.channels.set(channels)
    audit.record_create(actor=actor, workspace=workspace, obj=campaign)

    if accountable is not None:
        letters = {"A", "R"} if accountable in responsible else {"A"}
        raci_set(actor=_raci_actor(actor, activity), activity=activity, person=accountable, letters=letters)
    for person in responsible:
        if person != accountable:
            raci_set(actor=_raci_actor(actor, activity), activity=activity, person=person, letters={"R"})
    return campaign


def may_edit(actor, campaign: Campaign) -> bool:
    """Responsible and Accountable people (while the campaign's activity is open) and administrators."""
    if actor is None:
        return True
    seat = require_member(actor, campaign.workspace)
    if seat.is_admin:
        return True
    return seat.access != "viewer" and raci.can_edit_work(actor, campaign.activity)


def _require_edit(actor, campaign: Campaign) -> None:
    if not may_edit(actor, campaign):
        raise PermissionDenied(
            "Only the campaign's Responsible or Accountable people (or an administrator) may change it."
        )


def _raci_users(campaign: Campaign, letters: str = "RACI") -> list:
    resolved = raci.resolve(campaign.activity)
    ids = set().union(*(resolved[letter] for letter in letters))
    return [p.user for p in Person.objects.filter(pk__in=ids, user__isnull=False).select_related("user")]


def _sync_activity(actor, campaign: Campaign, fields: dict) -> list[str]:
    """Keep the campaign's activity named and flagged like the campaign; returns what changed."""
    activity = campaign.activity
    changes = {k: v for k, v in fields.items() if k in ACTIVITY_SYNC}
    if not changes:
        return []
    before = audit.snapshot(activity)
    for name, value in changes.items():
        setattr(activity, name, value)
    activity.full_clean(exclude=["workspace"])
    activity.save()
    event = audit.record_update(actor=actor, workspace=campaign.workspace, obj=activity, before=before)
    return list(event.changes) if event is not None else []


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, **fields) -> Campaign:
    """Change a campaign's plan. Objectives dropped from it take their KPIs' expected results along."""
    _require_edit(actor, campaign)
    unknown = set(fields) - set(UPDATE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown campaign fields: {', '.join(sorted(unknown))}.")
    workspace = campaign.workspace
    errors: dict[str, str] = {}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            errors["name"] = "Give the campaign a name."
    _check_dates(
        fields.get("start_date", campaign.start_date), fields.get("end_date", campaign.end_date), errors
    )
    if "objectives" in fields:
        fields["objectives"] = _same_workspace(
            workspace, fields["objectives"], "objectives", "objectives", errors
        )
    if "channels" in fields:
        fields["channels"] = _same_workspace(workspace, fields["channels"], "channels", "channels", errors)
    if "segment" in fields:
        _same_workspace(workspace, [fields["segment"]], "segment", "a segment", errors)
    if "agency" in fields:
        fields["agency"] = (fields["agency"] or "").strip()
    if "code" in fields:
        try:
            fields["code"] = _check_code(workspace, fields["code"], exclude_pk=campaign.pk)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    before = audit.snapshot(campaign)
    objectives = fields.pop("objectives", None)
    channels = fields.pop("channels", None)
    activity_fields = {k: fields.pop(k) for k in ("restricted", "creates_leads") if k in fields}
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.full_clean(exclude=["workspace", "activity"])
    campaign.save()
    if objectives is not None:
        campaign.objectives.set(objectives)
        dropped = ExpectedResult.objects.filter(campaign=campaign).exclude(
            kpi__objective__in=[o.pk for o in objectives]
        )
        for result in dropped:
            audit.record_delete(actor=actor, workspace=workspace, obj=result)
            result.delete()
    if channels is not None:
        campaign.channels.set(channels)
    event = audit.record_update(actor=actor, workspace=workspace, obj=campaign, before=before)
    changed_fields = list(event.changes) if event is not None else []
    for name in _sync_activity(actor, campaign, {**fields, **activity_fields}):
        if name not in changed_fields:
            changed_fields.append(name)
    if changed_fields:
        changed = ", ".join(k.replace("_", " ") for k in changed_fields)
        notify(
            workspace=workspace,
            users=_raci_users(campaign),
            exclude=actor,
            url=campaign_url(campaign),
            subject=f"Campaign “{campaign.name}” changed ({changed})",
            body=f"{audit._actor_label(actor)} changed {changed} on the campaign “{campaign.name}”.",
        )
    return campaign


def _status_events(campaign: Campaign):
    return AuditEvent.objects.filter(
        workspace=campaign.workspace,
        object_type=Campaign._meta.label,
        object_id=str(campaign.pk),
        action=AuditEvent.Action.UPDATE,
    )


def replanned_at(campaign: Campaign):
    """When the campaign last went back from approved to planned (its earlier approvals void then)."""
    for event in _status_events(campaign).order_by("-at", "-id"):
        if event.changes.get("status") == [Status.APPROVED, Status.PLANNED]:
            return event.at
    return None


def valid_launch_approval(campaign: Campaign) -> ApprovalRequest | None:
    """The approved launch request that lets the campaign be approved: decided after any re-planning."""
    approved = campaign.activity.approval_requests.filter(
        kind=DecisionKind.LAUNCH, status=ApprovalRequest.Status.APPROVED
    )
    since = replanned_at(campaign)
    if since is not None:
        approved = approved.filter(decided_at__gt=since)
    return approved.order_by("-decided_at").first()


def _launch_gate(campaign: Campaign) -> None:
    if valid_launch_approval(campaign) is not None:
        return
    pending = campaign.activity.approval_requests.filter(
        kind=DecisionKind.LAUNCH,
        status__in=[ApprovalRequest.Status.CONSULTING, ApprovalRequest.Status.PENDING],
    ).first()
    if pending is not None:
        raise ValidationError(
            {"status": f"The launch approval is still open ({pending.get_status_display().lower()})."}
        )
    raise ValidationError(
        {"status": "A campaign is approved through a launch approval: ask for one on the campaign page."}
    )


def _transition(actor, campaign: Campaign, status: str, note: str, extra: dict | None = None) -> Campaign:
    workspace = campaign.workspace
    before = audit.snapshot(campaign)
    old = campaign.status
    campaign.status = status
    campaign.save()
    changes = audit.diff(before, audit.snapshot(campaign))
    if note:
        changes["note"] = [None, note]
    changes.update(extra or {})
    audit.record(
        actor=actor, workspace=workspace, action=AuditEvent.Action.UPDATE, obj=campaign, changes=changes
    )
    if status == Status.EVALUATED and campaign.activity.is_open:
        activity = campaign.activity
        before_activity = audit.snapshot(activity)
        activity.is_open, activity.closed_at = False, timezone.now()
        activity.save()
        audit.record_update(actor=actor, workspace=workspace, obj=activity, before=before_activity)
    webhook_events.campaign_status_changed(campaign, old, actor, note)  # rows now, sent after commit
    label, was = Status(status).label, Status(old).label
    body = f"{audit._actor_label(actor)} moved “{campaign.name}” from {was} to {label}."
    notify(
        workspace=workspace,
        users=_raci_users(campaign),
        exclude=actor,
        url=campaign_url(campaign),
        subject=f"Campaign “{campaign.name}” is now {label.lower()}",
        body=f"{body}\n\n{note}" if note else body,
    )
    return campaign


def next_statuses(campaign: Campaign) -> tuple[str, ...]:
    return LIFECYCLE[campaign.status]


@transaction.atomic
def campaign_set_status(
    *, actor, campaign: Campaign, status: str, note: str = "", force: bool = False
) -> Campaign:
    """Move a campaign along its lifecycle. `force` launches before the start date (Accountable only);
    `note` says why (required for the evaluation)."""
    _require_edit(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    note = (note or "").strip()
    if status not in Status.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    allowed = LIFECYCLE[campaign.status]
    if status not in allowed:
        nxt = " or ".join(Status(s).label.lower() for s in allowed) or "nothing (it is finished)"
        raise ValidationError(
            {
                "status": f"A campaign that is {Status(campaign.status).label.lower()} cannot become "
                f"{Status(status).label.lower()}; next comes {nxt}."
            }
        )
    extra = {}
    if status == Status.APPROVED:
        _launch_gate(campaign)
    if status == Status.LIVE and timezone.localdate() < campaign.start_date:
        if not force:
            raise ValidationError(
                {
                    "status": f"The campaign starts on {campaign.start_date:%Y-%m-%d}. Only its Accountable "
                    "person can launch it early."
                }
            )
        if actor is not None and "A" not in raci.letters_of(actor, campaign.activity):
            raise PermissionDenied("Only the Accountable person can launch a campaign before its start date.")
        extra["early_launch"] = [None, f"{(campaign.start_date - timezone.localdate()).days} days early"]
    if status == Status.EVALUATED and not note:
        raise ValidationError({"note": "Write the evaluation: what worked, what did not, what to keep."})
    return _transition(actor, campaign, status, note, extra)


@transaction.atomic
def campaign_request_launch(*, actor, campaign: Campaign, summary: str) -> ApprovalRequest:
    """Ask for launch approval (R or A; C sign off, then A or whoever their authority escalates to)."""
    if campaign.status != Status.PLANNED:
        raise ValidationError(
            {"summary": "Launch approval is asked for a planned campaign: move the idea to planned first."}
        )
    return approvals.approval_request(
        actor=actor, activity=campaign.activity, kind=DecisionKind.LAUNCH, summary=summary
    )


def launch_decided(request: ApprovalRequest, actor) -> None:
    """Decision hook (registered in CampaignsConfig.ready): an approved launch request moves its planned
    campaign to approved in the deciding transaction, wherever it was decided (campaign or activity
    page). The approver's authority is what "approved" means, so no R/A check applies here."""
    if request.kind != DecisionKind.LAUNCH or request.status != ApprovalRequest.Status.APPROVED:
        return
    campaign = Campaign.objects.select_for_update().filter(activity_id=request.activity_id).first()
    if campaign is None or campaign.status != Status.PLANNED:
        return
    who = request.decided_by.name if request.decided_by else "the approver"
    note = f"Launch approved by {who}. {request.decision_comment}".strip()
    _transition(actor, campaign, Status.APPROVED, note)


@transaction.atomic
def campaign_delete(*, actor, campaign: Campaign) -> None:
    """Administrators remove an idea or a planned campaign without tasks; later ones are history."""
    workspace = campaign.workspace
    require_admin(actor, workspace)
    if campaign.status not in DELETABLE_STATUSES:
        raise ValidationError(
            f"A campaign that is {campaign.get_status_display().lower()} is kept for the record."
        )
    if campaign.tasks.exists():
        raise ValidationError("The campaign has tasks: move or delete them first.")
    activity = campaign.activity
    for result in campaign.expected_results.all():
        audit.record_delete(actor=actor, workspace=workspace, obj=result)
    audit.record_delete(actor=actor, workspace=workspace, obj=campaign)
    campaign.delete()
    activity_delete(actor=actor, activity=activity)


# --- expected results -----------------------------------------------------------------------------


@transaction.atomic
def expected_results_set(
    *, actor, campaign: Campaign, values: dict[Kpi, Decimal | None]
) -> list[ExpectedResult]:
    """What the campaign is expected to add to KPIs of its own objectives. None removes an expectation."""
    _require_edit(actor, campaign)
    workspace = campaign.workspace
    objective_ids = set(campaign.objectives.values_list("pk", flat=True))
    current = {r.kpi_id: r for r in campaign.expected_results.all()}
    kept = []
    for kpi, value in values.items():
        if kpi.workspace_id != workspace.pk or kpi.objective_id not in objective_ids:
            raise ValidationError({"kpi": f"“{kpi.name}” is not a KPI of this campaign's objectives."})
        if value is not None and not isinstance(value, Decimal | int):
            raise ValidationError({"value": "Expected results are exact numbers (Decimal)."})
        existing = current.get(kpi.pk)
        if value is None:
            if existing is not None:
                audit.record_delete(actor=actor, workspace=workspace, obj=existing)
                existing.delete()
            continue
        value = Decimal(value)
        if existing is None:
            result = ExpectedResult(workspace=workspace, campaign=campaign, kpi=kpi, value=value)
            result.full_clean(exclude=["workspace"])
            result.save()
            audit.record_create(actor=actor, workspace=workspace, obj=result)
        else:
            before = audit.snapshot(existing)
            existing.value = value
            existing.full_clean(exclude=["workspace"])
            existing.save()
            audit.record_update(actor=actor, workspace=workspace, obj=existing, before=before)
            result = existing
        kept.append(result)
    return kept


# --- calendar feeds -------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_create(*, actor, workspace: Workspace) -> tuple[CalendarFeed, str]:
    """A new secret iCal URL for the actor in this workspace; any older one stops working. Returns the
    token, which is shown once: only its SHA-256 is stored."""
    if actor is None:
        raise PermissionDenied("A calendar feed belongs to a person.")
    require_member(actor, workspace)
    for old in CalendarFeed.objects.filter(workspace=workspace, user=actor, revoked_at__isnull=True):
        _revoke(actor, old)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(workspace=workspace, user=actor, token_hash=token_hash(token))
    audit.record_create(actor=actor, workspace=workspace, obj=feed)
    return feed, token


def _revoke(actor, feed: CalendarFeed) -> None:
    before = audit.snapshot(feed)
    feed.revoked_at = timezone.now()
    feed.save()
    audit.record_update(actor=actor, workspace=feed.workspace, obj=feed, before=before)


@transaction.atomic
def feed_revoke(*, actor, feed: CalendarFeed) -> CalendarFeed:
    """Its owner (or an administrator of the workspace) switches a feed off for good."""
    if actor is not None and actor.pk != feed.user_id:
        require_admin(actor, feed.workspace)
    if feed.revoked_at is None:
        _revoke(actor, feed)
    return feed


def feed_mark_used(*, feed: CalendarFeed) -> None:
    """Stamp the last fetch (like last_login: usage, not a change, so not audited)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
