"""Writes for company goals, objectives, KPIs and their actuals, segments and the versioned strategy.

Each service takes the acting user first (`None` is the system), checks permission (see
opencmo.strategy.access), runs in one transaction and records every change in the audit log.
"""

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.models import Workspace
from opencmo.core.notifications import notify
from opencmo.core.permissions import check_fields
from opencmo.org import raci
from opencmo.org.models import Person
from opencmo.strategy import access, selectors
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective, Segment, StrategyVersion

# How far outside a KPI's period an actual may be dated: a month's figure is often reported (and dated)
# a few weeks after the month, and a level is often measured just before a period starts.
ACTUAL_GRACE_DAYS = 31
METRIC_KEY = re.compile(r"^[a-z0-9][a-z0-9_.:-]*$")
GOAL_FIELDS = ("title", "description", "target_year", "is_active")
OBJECTIVE_FIELDS = ("title", "description", "horizon", "owner", "start_date", "end_date", "status", "goals")
KPI_FIELDS = (
    "name",
    "unit",
    "direction",
    "baseline",
    "target",
    "period_start",
    "period_end",
    "source",
    "metric_key",
    "cumulative",
)
SEGMENT_FIELDS = ("name", "description", "is_b2b")
STRATEGY_FIELDS = ("positioning", "segments", "tone_of_voice", "competitors", "trends", "change_summary")


# ---------------------------------------------------------------------------------------------- helpers


def _text(value, field: str, *, required: bool = False, label: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"{label or field.replace('_', ' ').capitalize()} is required."})
    return text


def _decimal(value, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: "Enter a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a finite number."})
    return number


def _measure(value, field: str) -> Decimal:
    """A KPI number at the precision it is stored with (4 decimals), so the audit log compares like
    with like ("90.0000" stays "90.0000" when it is saved again)."""
    number = _decimal(value, field)
    try:
        return number.quantize(Decimal("0.0001"))
    except InvalidOperation:
        raise ValidationError({field: "That number is too large."}) from None


def _clean(obj, *, exclude: Iterable[str] = ()) -> None:
    """Model validation (lengths, choices, digits), skipping the workspace we set ourselves."""
    obj.full_clean(exclude=["workspace", *exclude], validate_constraints=False)


def _same_workspace(workspace: Workspace, objects: Iterable, field: str) -> None:
    for obj in objects:
        if obj is not None and obj.workspace_id != workspace.pk:
            raise ValidationError({field: "That choice belongs to another workspace."})


def _url(name: str, workspace: Workspace, **kwargs) -> str:
    return reverse(name, kwargs={"ws": workspace.slug, **kwargs})


def _user_of(person: Person | None):
    return person.user if person is not None and person.user_id else None


# ------------------------------------------------------------------------------------------------ goals


def _check_goal(goal: CompanyGoal) -> None:
    goal.title = _text(goal.title, "title", required=True)
    goal.description = (goal.description or "").strip()
    if goal.target_year is not None and not 1900 <= int(goal.target_year) <= 2200:
        raise ValidationError({"target_year": "Give a year such as 2028."})
    clash = CompanyGoal.objects.filter(workspace=goal.workspace, title__iexact=goal.title).exclude(pk=goal.pk)
    if clash.exists():
        raise ValidationError({"title": f"There is already a goal called “{goal.title}”."})
    _clean(goal)


@transaction.atomic
def goal_create(
    *, actor, workspace: Workspace, title: str, description: str = "", target_year: int | None = None
) -> CompanyGoal:
    access.require(
        access.can_edit_strategy(actor, workspace),
        "Only administrators and the CMO, executives and strategists set company goals.",
    )
    goal = CompanyGoal(workspace=workspace, title=title, description=description, target_year=target_year)
    _check_goal(goal)
    goal.save()
    audit.record_create(actor=actor, workspace=workspace, obj=goal)
    return goal


@transaction.atomic
def goal_update(*, actor, goal: CompanyGoal, **fields) -> CompanyGoal:
    access.require(
        access.can_edit_strategy(actor, goal.workspace),
        "Only administrators and the CMO, executives and strategists change company goals.",
    )
    check_fields(fields, GOAL_FIELDS, "goal")
    before = audit.snapshot(goal)
    for name, value in fields.items():
        setattr(goal, name, value)
    _check_goal(goal)
    goal.save()
    audit.record_update(actor=actor, workspace=goal.workspace, obj=goal, before=before)
    return goal


@transaction.atomic
def goal_delete(*, actor, goal: CompanyGoal) -> None:
    """Delete a goal; its objectives stay (they are only unlinked from it)."""
    access.require(
        access.can_edit_strategy(actor, goal.workspace),
        "Only administrators and the CMO, executives and strategists delete company goals.",
    )
    audit.record_delete(actor=actor, workspace=goal.workspace, obj=goal)
    goal.delete()


# ------------------------------------------------------------------------------------------- objectives


def _check_objective(objective: Objective, goals, *, previous_owner_id: int | None = None) -> None:
    objective.title = _text(objective.title, "title", required=True)
    objective.description = (objective.description or "").strip()
    if objective.start_date and objective.end_date and objective.end_date < objective.start_date:
        raise ValidationError({"end_date": "The objective must end on or after its start date."})
    owner = objective.owner
    if owner is not None:
        _same_workspace(objective.workspace, [owner], "owner")
        if not owner.is_active and owner.pk != previous_owner_id:  # keeping a departed owner is allowed
            raise ValidationError({"owner": f"{owner.name} is no longer active; choose someone who is."})
    _same_workspace(objective.workspace, goals, "goals")
    _clean(objective)


def _tell_owner(objective: Objective, actor) -> None:
    notify(
        workspace=objective.workspace,
        users=[_user_of(objective.owner)],
        exclude=actor,
        url=_url("objective_detail", objective.workspace, objective_pk=objective.pk),
        subject=f"You are accountable for the objective “{objective.title}”",
        body=f"{audit._actor_label(actor)} made you the owner of “{objective.title}” "
        f"({objective.start_date:%Y-%m-%d} to {objective.end_date:%Y-%m-%d}).",
    )


@transaction.atomic
def objective_create(
    *,
    actor,
    workspace: Workspace,
    title: str,
    start_date: date,
    end_date: date,
    horizon: str = "short",
    owner: Person | None = None,
    goals: Iterable[CompanyGoal] = (),
    description: str = "",
) -> Objective:
    access.require(
        access.can_edit_strategy(actor, workspace),
        "Only administrators and the CMO, executives and strategists create objectives.",
    )
    goals = list(goals)
    objective = Objective(
        workspace=workspace,
        title=title,
        start_date=start_date,
        end_date=end_date,
        horizon=horizon,
        owner=owner,
        description=description,
    )
    _check_objective(objective, goals)
    objective.save()
    objective.goals.set(goals)
    audit.record_create(actor=actor, workspace=workspace, obj=objective)
    if owner is not None:
        _tell_owner(objective, actor)
    return objective


@transaction.atomic
def objective_update(*, actor, objective: Objective, **fields) -> Objective:
    access.require(
        access.can_edit_objective(actor, objective),
        "Only the objective's owner or an administrator may change it.",
    )
    check_fields(fields, OBJECTIVE_FIELDS, "objective")
    before = audit.snapshot(objective)
    goals = list(fields.pop("goals")) if "goals" in fields else list(objective.goals.all())
    old_owner = objective.owner_id
    for name, value in fields.items():
        setattr(objective, name, value)
    _check_objective(objective, goals, previous_owner_id=old_owner)
    objective.save()
    objective.goals.set(goals)
    audit.record_update(actor=actor, workspace=objective.workspace, obj=objective, before=before)
    if objective.owner_id is not None and objective.owner_id != old_owner:
        _tell_owner(objective, actor)
    return objective


@transaction.atomic
def objective_delete(*, actor, objective: Objective) -> None:
    """Delete an objective with its KPIs and their actuals; campaigns are only unlinked from it."""
    access.require(
        access.can_edit_objective(actor, objective),
        "Only the objective's owner or an administrator may delete it.",
    )
    workspace = objective.workspace
    for kpi in objective.kpis.all():
        for actual in kpi.actuals.all():
            audit.record_delete(actor=actor, workspace=workspace, obj=actual)
        audit.record_delete(actor=actor, workspace=workspace, obj=kpi)
    audit.record_delete(actor=actor, workspace=workspace, obj=objective)
    objective.delete()


# ------------------------------------------------------------------------------------------------- KPIs


def _check_kpi(kpi: Kpi) -> None:
    kpi.name = _text(kpi.name, "name", required=True)
    kpi.baseline = _measure(kpi.baseline, "baseline")
    kpi.target = _measure(kpi.target, "target")
    kpi.metric_key = (kpi.metric_key or "").strip()
    if kpi.period_start and kpi.period_end and kpi.period_end < kpi.period_start:
        raise ValidationError({"period_end": "The period must end on or after its start."})
    if kpi.direction == Kpi.Direction.UP and kpi.target < kpi.baseline:
        raise ValidationError(
            {
                "target": "Higher is better, so the target must be at or above the baseline "
                f"({selectors.fmt(kpi.baseline)})."
            }
        )
    if kpi.direction == Kpi.Direction.DOWN and kpi.target > kpi.baseline:
        raise ValidationError(
            {
                "target": "Lower is better, so the target must be at or below the baseline "
                f"({selectors.fmt(kpi.baseline)})."
            }
        )
    if kpi.source == Kpi.Source.IMPORTED and not kpi.metric_key:
        raise ValidationError({"metric_key": "An imported KPI needs the metric it is read from."})
    if kpi.metric_key and not METRIC_KEY.match(kpi.metric_key):
        raise ValidationError(
            {"metric_key": "Use lower-case letters, digits and _ . : - (for example web.sessions)."}
        )
    clash = Kpi.objects.filter(objective=kpi.objective, name__iexact=kpi.name).exclude(pk=kpi.pk)
    if clash.exists():
        raise ValidationError({"name": f"This objective already has a KPI called “{kpi.name}”."})
    _clean(kpi, exclude=["objective"])


@transaction.atomic
def kpi_create(
    *,
    actor,
    objective: Objective,
    name: str,
    target,
    period_start: date,
    period_end: date,
    unit: str = "count",
    direction: str = "up",
    baseline=0,
    source: str = "manual",
    metric_key: str = "",
    cumulative: bool = True,
) -> Kpi:
    access.require(
        access.can_edit_objective(actor, objective),
        "Only the objective's owner or an administrator may add KPIs to it.",
    )
    kpi = Kpi(
        workspace=objective.workspace,
        objective=objective,
        name=name,
        target=target,
        period_start=period_start,
        period_end=period_end,
        unit=unit,
        direction=direction,
        baseline=baseline,
        source=source,
        metric_key=metric_key,
        cumulative=cumulative,
    )
    _check_kpi(kpi)
    kpi.save()
    audit.record_create(actor=actor, workspace=kpi.workspace, obj=kpi)
    return kpi


@transaction.atomic
def kpi_update(*, actor, kpi: Kpi, **fields) -> Kpi:
    access.require(
        access.can_edit_objective(actor, kpi.objective),
        "Only the objective's owner or an administrator may change its KPIs.",
    )
    check_fields(fields, KPI_FIELDS, "KPI")
    before = audit.snapshot(kpi)
    for name, value in fields.items():
        setattr(kpi, name, value)
    _check_kpi(kpi)
    kpi.save()
    audit.record_update(actor=actor, workspace=kpi.workspace, obj=kpi, before=before)
    return kpi


@transaction.atomic
def kpi_delete(*, actor, kpi: Kpi) -> None:
    access.require(
        access.can_edit_objective(actor, kpi.objective),
        "Only the objective's owner or an administrator may delete its KPIs.",
    )
    for actual in kpi.actuals.all():
        audit.record_delete(actor=actor, workspace=kpi.workspace, obj=actual)
    audit.record_delete(actor=actor, workspace=kpi.workspace, obj=kpi)
    kpi.delete()


def _check_actual_date(kpi: Kpi, day: date) -> None:
    if not isinstance(day, date):
        raise ValidationError({"date": "Enter a valid date."})
    today = timezone.localdate()
    if day > today:
        raise ValidationError(
            {"date": f"An actual cannot be dated in the future (today is {today:%Y-%m-%d})."}
        )
    grace = timedelta(days=ACTUAL_GRACE_DAYS)
    if not kpi.period_start - grace <= day <= kpi.period_end + grace:
        raise ValidationError(
            {
                "date": f"Date it within the KPI's period {kpi.period_start:%Y-%m-%d} to "
                f"{kpi.period_end:%Y-%m-%d} (or up to {ACTUAL_GRACE_DAYS} days either side)."
            }
        )


@transaction.atomic
def kpi_actual_record(*, actor, kpi: Kpi, date: date, value, note: str = "") -> KpiActual:
    """Record the KPI's actual for a day; a second value for the same day replaces the first (audited
    as an update). Tells the objective's owner when this takes the KPI off track."""
    access.require(
        access.can_record_actuals(actor, kpi),
        "Only the objective's owner, an analyst or an administrator may enter actuals.",
    )
    if actor is not None and kpi.source == Kpi.Source.IMPORTED:
        raise ValidationError(
            f"“{kpi.name}” is imported from the metric “{kpi.metric_key}”; its actuals are not typed in. "
            "Switch the KPI to manual entry to record values by hand."
        )
    _check_actual_date(kpi, date)
    value = _measure(value, "value")
    note = (note or "").strip()
    before_progress = selectors.kpi_progress(kpi)
    actual = KpiActual.objects.select_for_update().filter(kpi=kpi, date=date).first()
    user = actor if actor is not None and actor.pk else None
    if actual is None:
        actual = KpiActual(
            workspace=kpi.workspace, kpi=kpi, date=date, value=value, note=note, entered_by=user
        )
        _clean(actual, exclude=["kpi", "entered_by"])
        actual.save()
        audit.record_create(actor=actor, workspace=kpi.workspace, obj=actual)
    else:
        before = audit.snapshot(actual)
        actual.value, actual.note, actual.entered_by = value, note, user
        _clean(actual, exclude=["kpi", "entered_by"])
        actual.save()
        audit.record_update(actor=actor, workspace=kpi.workspace, obj=actual, before=before)
    after_progress = selectors.kpi_progress(kpi)
    if before_progress.on_track and not after_progress.on_track and after_progress.has_data:
        objective = kpi.objective
        notify(
            workspace=kpi.workspace,
            users=[_user_of(objective.owner)],
            exclude=actor,
            url=_url("kpi_detail", kpi.workspace, kpi_pk=kpi.pk),
            subject=f"Off track: {kpi.name} ({objective.title})",
            body=f"{kpi.name} stands at {selectors.fmt(after_progress.actual)} against "
            f"{selectors.fmt(after_progress.expected_to_date)} expected by now "
            f"(target {selectors.fmt(kpi.target)} by {kpi.period_end:%Y-%m-%d}).",
        )
    return actual


@transaction.atomic
def kpi_actual_delete(*, actor, actual: KpiActual) -> None:
    access.require(
        access.can_record_actuals(actor, actual.kpi),
        "Only the objective's owner, an analyst or an administrator may remove actuals.",
    )
    audit.record_delete(actor=actor, workspace=actual.workspace, obj=actual)
    actual.delete()


# --------------------------------------------------------------------------------------------- segments


def _check_segment(segment: Segment) -> None:
    segment.name = _text(segment.name, "name", required=True)
    segment.description = (segment.description or "").strip()
    clash = Segment.objects.filter(workspace=segment.workspace, name__iexact=segment.name).exclude(
        pk=segment.pk
    )
    if clash.exists():
        raise ValidationError({"name": f"There is already a segment called “{segment.name}”."})
    _clean(segment)


@transaction.atomic
def segment_create(
    *, actor, workspace: Workspace, name: str, description: str = "", is_b2b: bool = False
) -> Segment:
    access.require(
        access.can_edit_strategy(actor, workspace),
        "Only administrators and the CMO, executives and strategists define target segments.",
    )
    segment = Segment(workspace=workspace, name=name, description=description, is_b2b=is_b2b)
    _check_segment(segment)
    segment.save()
    audit.record_create(actor=actor, workspace=workspace, obj=segment)
    return segment


@transaction.atomic
def segment_update(*, actor, segment: Segment, **fields) -> Segment:
    access.require(
        access.can_edit_strategy(actor, segment.workspace),
        "Only administrators and the CMO, executives and strategists change target segments.",
    )
    check_fields(fields, SEGMENT_FIELDS, "segment")
    before = audit.snapshot(segment)
    for name, value in fields.items():
        setattr(segment, name, value)
    _check_segment(segment)
    segment.save()
    audit.record_update(actor=actor, workspace=segment.workspace, obj=segment, before=before)
    return segment


@transaction.atomic
def segment_delete(*, actor, segment: Segment) -> None:
    """Delete a segment nothing refers to. Campaigns aimed at it and strategy versions naming it (other
    than drafts, from which it is simply removed) keep it: the record must read as it was decided."""
    access.require(
        access.can_edit_strategy(actor, segment.workspace),
        "Only administrators and the CMO, executives and strategists delete target segments.",
    )
    campaigns = list(segment.campaigns.values_list("name", flat=True)[:3])
    if campaigns:
        raise ValidationError(
            f"“{segment.name}” is the target of campaigns ({', '.join(campaigns)}); "
            "aim them elsewhere before deleting it."
        )
    versions = sorted(
        segment.strategies.exclude(status=StrategyVersion.Status.DRAFT).values_list("number", flat=True)
    )
    if versions:
        raise ValidationError(
            f"“{segment.name}” is named in strategy version{'s' if len(versions) > 1 else ''} "
            f"{', '.join(f'v{n}' for n in versions)}, which stay on record. Rename it, or leave it out "
            "of the next version instead."
        )
    audit.record_delete(actor=actor, workspace=segment.workspace, obj=segment)
    segment.delete()


# ------------------------------------------------------------------------------- brand and strategy


def _lock_workspace(workspace: Workspace) -> None:
    """Serialise version numbering (and the one-draft rule) per workspace."""
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()


def _version_url(version: StrategyVersion) -> str:
    return _url("strategy_version_detail", version.workspace, strategyversion_pk=version.pk)


@transaction.atomic
def strategy_draft_create(
    *, actor, workspace: Workspace, base: StrategyVersion | None = None
) -> StrategyVersion:
    """Start a new version as a copy of `base` (default: the strategy in force; blank if there is none).
    One draft or proposal at a time: a strategy is one document, and parallel drafts would each be
    based on the same version and overwrite each other when approved."""
    access.require(access.can_draft(actor, workspace), "Viewers cannot draft a strategy change.")
    _lock_workspace(workspace)
    open_version = selectors.strategy_in_progress(workspace)
    if open_version is not None:
        raise ValidationError(
            f"Version {open_version.number} is already {open_version.get_status_display().lower()}; "
            "work on it (or discard it) instead of starting another."
        )
    if base is not None:
        _same_workspace(workspace, [base], "base")
    base = base or selectors.strategy_current(workspace)
    number = (StrategyVersion.objects.filter(workspace=workspace).aggregate(n=Max("number"))["n"] or 0) + 1
    version = StrategyVersion(workspace=workspace, number=number, status=StrategyVersion.Status.DRAFT)
    if base is not None:
        for name in ("positioning", "tone_of_voice", "competitors", "trends"):
            setattr(version, name, getattr(base, name))
    version.save()
    if base is not None:
        version.segments.set(base.segments.all())
    audit.record_create(actor=actor, workspace=workspace, obj=version)
    return version


def _require_draft(version: StrategyVersion, verb: str) -> None:
    if version.status != StrategyVersion.Status.DRAFT:
        raise ValidationError(
            f"Version {version.number} is {version.get_status_display().lower()}; only a draft can be {verb}."
        )


@transaction.atomic
def strategy_draft_update(*, actor, version: StrategyVersion, **fields) -> StrategyVersion:
    access.require(access.can_draft(actor, version.workspace), "Viewers cannot edit a strategy draft.")
    check_fields(fields, STRATEGY_FIELDS, "strategy")
    _require_draft(version, "edited")
    before = audit.snapshot(version)
    segments = list(fields.pop("segments")) if "segments" in fields else None
    if segments is not None:
        _same_workspace(version.workspace, segments, "segments")
    for name, value in fields.items():
        setattr(version, name, (value or "").replace("\r\n", "\n").replace("\r", "\n").strip())
    _clean(version, exclude=["proposed_by", "decided_by"])
    version.save()
    if segments is not None:
        version.segments.set(segments)
    audit.record_update(actor=actor, workspace=version.workspace, obj=version, before=before)
    return version


@transaction.atomic
def strategy_draft_delete(*, actor, version: StrategyVersion) -> None:
    access.require(access.can_draft(actor, version.workspace), "Viewers cannot discard a strategy draft.")
    _require_draft(version, "discarded")
    audit.record_delete(actor=actor, workspace=version.workspace, obj=version)
    version.delete()


@transaction.atomic
def strategy_propose(
    *,
    actor,
    version: StrategyVersion,
    change_summary: str | None = None,
    proposer: Person | None = None,
) -> StrategyVersion:
    """Ask for approval of a draft. The approver is whoever `route` finds from the proposer up the
    reporting line with strategy authority; never the proposer themselves unless the workspace allows a
    recorded self-approval (see selectors.strategy_route). `proposer` is only for the system (actor
    None) proposing on someone's behalf, e.g. the demo loader; a user always proposes as themselves."""
    workspace = version.workspace
    access.require(access.can_draft(actor, workspace), "Viewers cannot propose a strategy change.")
    _require_draft(version, "proposed")
    if actor is not None:
        proposer = raci.person_for(actor, workspace)
    elif proposer is not None:
        _same_workspace(workspace, [proposer], "proposer")
    if proposer is None:
        raise ValidationError(
            "Only someone in the organisation can propose a strategy change: ask an administrator to "
            "add you under Organisation → People."
        )
    if change_summary is not None:
        version.change_summary = change_summary.strip()
    if not version.change_summary:
        raise ValidationError({"change_summary": "Say in a line what changes and why."})
    current = selectors.strategy_current(workspace)
    if current is None and not version.positioning.strip():
        raise ValidationError({"positioning": "The first strategy needs at least a positioning statement."})
    if current is not None and not selectors.strategy_diff(current, version):
        raise ValidationError("Nothing differs from the strategy in force; change something first.")
    before = audit.snapshot(version)
    version.status = StrategyVersion.Status.PROPOSED
    version.proposed_by, version.proposed_at = proposer, timezone.now()
    decision = selectors.strategy_route(version)  # raises when nobody can approve
    _clean(version, exclude=["proposed_by", "decided_by"])
    version.save()
    audit.record_update(actor=actor, workspace=workspace, obj=version, before=before)
    note = " You are approving your own proposal: record why." if decision.self_approval else ""
    notify(
        workspace=workspace,
        users=[_user_of(decision.approver)],
        exclude=actor,
        url=_version_url(version),
        subject=f"Approval needed: strategy v{version.number}",
        body=f"{proposer.name} proposes a new brand and marketing strategy: {version.change_summary}.{note}",
    )
    return version


@transaction.atomic
def strategy_withdraw(*, actor, version: StrategyVersion) -> StrategyVersion:
    """The proposer (or an administrator) takes a proposal back to draft."""
    workspace = version.workspace
    if version.status != StrategyVersion.Status.PROPOSED:
        raise ValidationError("Only a proposal waiting for approval can be withdrawn.")
    me = raci.person_for(actor, workspace) if actor is not None else None
    if actor is not None and not access.is_admin(actor, workspace) and me != version.proposed_by:
        raise PermissionDenied("Only the proposer or an administrator can withdraw this proposal.")
    before = audit.snapshot(version)
    version.status = StrategyVersion.Status.DRAFT
    version.proposed_by, version.proposed_at = None, None
    version.save()
    audit.record_update(actor=actor, workspace=workspace, obj=version, before=before)
    return version


@transaction.atomic
def strategy_decide(*, actor, version: StrategyVersion, approve: bool, comment: str = "") -> StrategyVersion:
    """The routed approver approves (the version comes into force, the previous one is superseded, and
    everyone in the workspace is told) or rejects (with a reason, told to the proposer)."""
    workspace = version.workspace
    if version.status != StrategyVersion.Status.PROPOSED:
        raise ValidationError(f"Version {version.number} is not waiting for a decision.")
    decision = selectors.strategy_route(version)
    decider = decision.approver
    if actor is not None and raci.person_for(actor, workspace) != decider:
        raise PermissionDenied(f"Only {decider.name} can decide this proposal.")
    comment = (comment or "").strip()
    if approve and decision.self_approval and not comment:
        raise ValidationError({"comment": "You are approving your own proposal: record why (self-approval)."})
    if not approve and not comment:
        raise ValidationError({"comment": "Say why it is rejected, so the proposer can rework it."})
    now = timezone.now()
    if approve:
        for previous in StrategyVersion.objects.select_for_update().filter(
            workspace=workspace, status=StrategyVersion.Status.APPROVED
        ):
            old = audit.snapshot(previous)
            previous.status = StrategyVersion.Status.SUPERSEDED
            previous.save()
            audit.record_update(actor=actor, workspace=workspace, obj=previous, before=old)
    before = audit.snapshot(version)
    version.status = StrategyVersion.Status.APPROVED if approve else StrategyVersion.Status.REJECTED
    version.decided_by, version.decided_at, version.decision_comment = decider, now, comment
    version.save()
    audit.record_update(actor=actor, workspace=workspace, obj=version, before=before)
    url = _version_url(version)
    if approve:
        members = [m.user for m in workspace.memberships.filter(is_active=True).select_related("user")]
        notify(
            workspace=workspace,
            users=members,
            exclude=actor,
            url=url,
            subject=f"New strategy in force: v{version.number}",
            body=f"{decider.name} approved strategy v{version.number}: {version.change_summary}."
            + (f" {comment}" if comment else ""),
        )
    else:
        notify(
            workspace=workspace,
            users=[_user_of(version.proposed_by)],
            exclude=actor,
            url=url,
            subject=f"Rejected: strategy v{version.number}",
            body=f"{decider.name} rejected strategy v{version.number}: {comment}",
        )
    return version
