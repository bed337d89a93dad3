"""Writes for activities, their RACI letters, the workspace's RACI policy and decision authority."""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.notifications import notify
from opencmo.core.permissions import check_fields, require_admin, require_member
from opencmo.org import raci
from opencmo.org.models import (
    Activity,
    DecisionAuthority,
    DecisionKind,
    Letter,
    OrgPolicy,
    Person,
    RaciEntry,
    Role,
)

ACTIVITY_FIELDS = ("name", "kind", "description", "creates_leads", "restricted")
POLICY_FIELDS = ("max_accountable", "max_responsible_open", "allow_recorded_self_approval")


def activity_url(activity: Activity) -> str:
    """Where a person sees this activity's work: the task or campaign page if it is one, else its own."""
    ws = activity.workspace.slug
    for related, name, kwarg in (
        ("task", "task_detail", "task_pk"),
        ("campaign", "campaign_detail", "campaign_pk"),
    ):
        owner = getattr(activity, related, None) if hasattr(activity, related) else None
        if owner is not None:
            try:
                return reverse(name, kwargs={"ws": ws, kwarg: owner.pk})
            except NoReverseMatch:
                break
    return reverse("activity_detail", kwargs={"ws": ws, "activity_pk": activity.pk})


def _users_with(activity: Activity, letters: str) -> list:
    resolved = raci.resolve(activity)
    ids = set().union(*(resolved[letter] for letter in letters))
    return [p.user for p in Person.objects.filter(pk__in=ids, user__isnull=False).select_related("user")]


NAMED_ONCE = ("process", "deliverable", "other")  # tasks and campaigns may repeat a title


def _check_activity_name(workspace, name: str, kind: str, exclude_pk=None) -> None:
    if kind not in NAMED_ONCE:
        return
    same = Activity.objects.filter(workspace=workspace, name__iexact=name.strip(), kind__in=NAMED_ONCE)
    if same.exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"There is already an activity called “{name.strip()}”."})


@transaction.atomic
def activity_create(*, actor, workspace, **fields) -> Activity:
    require_member(actor, workspace, write=True)
    check_fields(fields, ACTIVITY_FIELDS, "activity")
    _check_activity_name(workspace, fields.get("name", ""), fields.get("kind", Activity.Kind.PROCESS))
    activity = Activity(workspace=workspace, **fields)
    activity.full_clean(exclude=["workspace"])
    activity.save()
    audit.record_create(actor=actor, workspace=workspace, obj=activity)
    return activity


@transaction.atomic
def activity_update(*, actor, activity: Activity, **fields) -> Activity:
    if actor is not None and not (
        raci.can_edit_work(actor, activity) or raci.can_manage_raci(actor, activity, activity.workspace)
    ):
        raise PermissionDenied(
            "Only the Responsible or Accountable people (or an administrator) may edit this."
        )
    check_fields(fields, ACTIVITY_FIELDS, "activity")
    if "name" in fields or "kind" in fields:
        _check_activity_name(
            activity.workspace,
            fields.get("name", activity.name),
            fields.get("kind", activity.kind),
            exclude_pk=activity.pk,
        )
    before = audit.snapshot(activity)
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.full_clean(exclude=["workspace"])
    activity.save()
    event = audit.record_update(actor=actor, workspace=activity.workspace, obj=activity, before=before)
    if event is not None:
        changed = ", ".join(event.changes)
        notify(
            workspace=activity.workspace,
            users=_users_with(activity, "RACI"),
            exclude=actor,
            subject=f"“{activity.name}” changed ({changed})",
            url=activity_url(activity),
            body=f"{audit._actor_label(actor)} changed {changed} on “{activity.name}”.",
        )
    return activity


# An activity may be the RACI side of another app's object (a task); closing it there must go through that
# app's own rules (a task is finished by moving its card to Done). A hook returns True when it handled the
# close. Modules register in their AppConfig.ready().
CloseHook = Callable[[object, Activity], bool]
_close_hooks: list[CloseHook] = []


def on_close(hook: CloseHook) -> CloseHook:
    if hook not in _close_hooks:
        _close_hooks.append(hook)
    return hook


@transaction.atomic
def activity_close(*, actor, activity: Activity) -> Activity:
    for hook in _close_hooks:
        if hook(actor, activity):
            return Activity.objects.get(pk=activity.pk)
    if actor is not None and not raci.can_close(actor, activity):
        raise PermissionDenied("Only the Accountable person closes an activity.")
    before = audit.snapshot(activity)
    activity.is_open, activity.closed_at = False, timezone.now()
    activity.save()
    audit.record_update(actor=actor, workspace=activity.workspace, obj=activity, before=before)
    notify(
        workspace=activity.workspace,
        users=_users_with(activity, "RACI"),
        exclude=actor,
        subject=f"“{activity.name}” was closed",
        url=activity_url(activity),
    )
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> None:
    require_admin(actor, activity.workspace)
    for entry in activity.raci.all():
        audit.record_delete(actor=actor, workspace=activity.workspace, obj=entry)
    audit.record_delete(actor=actor, workspace=activity.workspace, obj=activity)
    activity.delete()


def parse_letters(text: str) -> set[str]:
    """'ra', 'R, A', 'A/R' -> {'R', 'A'}; anything but R, A, C, I is an error naming the bad characters."""
    cleaned = {c for c in text.upper() if not c.isspace() and c not in ",/;+"}
    bad = cleaned - set(Letter.values)
    if bad:
        raise ValidationError({"letters": f"Use only R, A, C and I (not {', '.join(sorted(bad))})."})
    return cleaned


@transaction.atomic
def raci_set(
    *,
    actor,
    activity: Activity,
    letters: str | set[str],
    person: Person | None = None,
    role: Role | None = None,
) -> set[str]:
    """Set the letters one person or role holds on an activity (replacing what it held)."""
    workspace = activity.workspace
    if actor is not None and not raci.can_manage_raci(actor, activity, workspace):
        raise PermissionDenied("Only an administrator or the Accountable person may change this RACI.")
    if (person is None) == (role is None):
        raise ValidationError("Give either a person or a role.")
    holder = person or role
    if holder.workspace_id != workspace.pk:
        raise ValidationError("That person or role belongs to another workspace.")
    wanted = parse_letters(letters) if isinstance(letters, str) else set(letters)
    if not wanted <= set(Letter.values):
        raise ValidationError({"letters": "Use only R, A, C and I."})
    current = {e.letter: e for e in activity.raci.filter(person=person, role=role)}
    for letter, entry in current.items():
        if letter not in wanted:
            audit.record_delete(actor=actor, workspace=workspace, obj=entry)
            entry.delete()
    added = sorted(wanted - set(current))
    for letter in added:
        entry = RaciEntry.objects.create(
            workspace=workspace, activity=activity, letter=letter, person=person, role=role
        )
        audit.record_create(actor=actor, workspace=workspace, obj=entry)
    if added:
        users = (
            [person.user]
            if person is not None
            else [
                p.user for p in role.people.filter(is_active=True, user__isnull=False).select_related("user")
            ]
        )
        names = ", ".join(Letter(letter).label for letter in added)
        notify(
            workspace=workspace,
            users=users,
            exclude=actor,
            url=activity_url(activity),
            subject=f"You are now {names} on “{activity.name}”",
        )
    return wanted


@transaction.atomic
def policy_update(*, actor, workspace, **fields) -> OrgPolicy:
    require_admin(actor, workspace)
    check_fields(fields, POLICY_FIELDS, "policy")
    policy = raci.policy_for(workspace)
    before = audit.snapshot(policy)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["workspace"])
    policy.save()
    audit.record_update(actor=actor, workspace=workspace, obj=policy, before=before)
    return policy


@transaction.atomic
def authority_set(
    *,
    actor,
    workspace,
    kind: str,
    role: Role | None = None,
    person: Person | None = None,
    max_amount: Decimal | None = None,
) -> DecisionAuthority:
    """Grant (or change) what a role or person may approve."""
    require_admin(actor, workspace)
    if kind not in DecisionKind.values:
        raise ValidationError({"kind": f"Unknown decision kind “{kind}”."})
    if (person is None) == (role is None):
        raise ValidationError("Give either a person or a role.")
    if (person or role).workspace_id != workspace.pk:
        raise ValidationError("That person or role belongs to another workspace.")
    if max_amount is not None and max_amount < 0:
        raise ValidationError({"max_amount": "A limit cannot be negative."})
    if kind != DecisionKind.BUDGET:
        max_amount = None  # only budgets have amounts
    authority = DecisionAuthority.objects.filter(
        workspace=workspace, kind=kind, role=role, person=person
    ).first()
    if authority is None:
        authority = DecisionAuthority.objects.create(
            workspace=workspace, kind=kind, role=role, person=person, max_amount=max_amount
        )
        audit.record_create(actor=actor, workspace=workspace, obj=authority)
    else:
        before = audit.snapshot(authority)
        authority.max_amount = max_amount
        authority.save()
        audit.record_update(actor=actor, workspace=workspace, obj=authority, before=before)
    return authority


@transaction.atomic
def authority_revoke(*, actor, authority: DecisionAuthority) -> None:
    require_admin(actor, authority.workspace)
    audit.record_delete(actor=actor, workspace=authority.workspace, obj=authority)
    authority.delete()


def authorities_seed_defaults(*, actor, workspace) -> None:
    """Executives and the CMO may approve everything; other limits are the workspace's to set."""
    for key in ("executive", "cmo"):
        role = Role.objects.filter(workspace=workspace, key=key).first()
        if role is not None:
            for kind in DecisionKind.values:
                authority_set(actor=actor, workspace=workspace, kind=kind, role=role)
