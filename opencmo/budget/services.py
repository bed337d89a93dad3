"""Writes for budgets: plans and their allocation trees, monthly phasing and forecasts, commitments,
exchange rates, actual spend (by hand or imported) and its matching to campaigns, and reallocations
approved through the RACI approval flow.

Every function takes the acting user (`actor`; None is the system), checks permission (opencmo.budget
.access), runs in one transaction and writes an audit row for each change. Tree maths lives in
opencmo.budget.ledger; this module loads the lines (locked for update), asks the ledger, saves.
"""

import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from opencmo.budget import access, ledger
from opencmo.budget.ledger import LedgerError
from opencmo.budget.models import (
    BudgetLine,
    BudgetPlan,
    Commitment,
    ExchangeRate,
    MonthlyAmount,
    ReallocationRequest,
    SpendEntry,
)
from opencmo.campaigns.models import Campaign, Channel, PlatformCampaign
from opencmo.core import audit
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.notifications import notify
from opencmo.core.permissions import require_admin
from opencmo.org import approvals, raci
from opencmo.org.models import ApprovalRequest, DecisionKind, Person, Role
from opencmo.org.raci_services import activity_create, activity_update, raci_set

Level = BudgetLine.Level
RANK = {Level.TOTAL: 0, Level.OBJECTIVE: 1, Level.CHANNEL: 2, Level.CAMPAIGN: 3}
RATE_PLACES = Decimal("0.00000001")


# --- helpers ------------------------------------------------------------------------------------------


def _money(value, field: str = "amount") -> Decimal:
    try:
        return ledger.money(value)
    except LedgerError as error:
        raise ValidationError({field: error.message}) from None


def _ledger_error(error: LedgerError) -> ValidationError:
    return ValidationError({error.field: error.message}) if error.field else ValidationError(error.message)


def _fmt(workspace: Workspace, amount: Decimal) -> str:
    return f"{workspace.currency} {ledger.fmt(amount)}"


def plan_url(plan: BudgetPlan) -> str:
    return reverse("budget_plan", kwargs={"ws": plan.workspace.slug, "budgetplan_pk": plan.pk})


def line_url(line: BudgetLine) -> str:
    return reverse("budget_line", kwargs={"ws": line.workspace.slug, "budgetline_pk": line.pk})


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _open(plan: BudgetPlan) -> None:
    if plan.status == BudgetPlan.Status.CLOSED:
        raise ValidationError(f"“{plan.name}” is closed; reopen it to change it.")


def _same_workspace(obj, workspace: Workspace, field: str) -> None:
    if obj is not None and obj.workspace_id != workspace.pk:
        raise ValidationError({field: "That belongs to another workspace."})


def _locked_tree(plan: BudgetPlan) -> tuple[ledger.Tree, dict[int, BudgetLine]]:
    """The plan's lines, locked against concurrent changes until the transaction ends."""
    lines = {line.pk: line for line in BudgetLine.objects.select_for_update().filter(plan=plan)}
    return ledger.Tree((pk, line.parent_id, line.amount) for pk, line in lines.items()), lines


def plan_months(plan: BudgetPlan) -> list[dt.date]:
    return ledger.months_between(plan.start_date, plan.end_date)


def _first_open_month(plan: BudgetPlan, today: dt.date | None = None) -> int:
    """Index of the current month in the plan (0 before it starts, len after it ends)."""
    today = today or timezone.localdate()
    months = plan_months(plan)
    current = ledger.month_start(today)
    return next((i for i, m in enumerate(months) if m >= current), len(months))


def _save_amount(actor, line: BudgetLine, amount: Decimal) -> None:
    before = audit.snapshot(line)
    line.amount = amount
    line.save(update_fields=["amount", "updated_at"])
    audit.record_update(actor=actor, workspace=line.workspace, obj=line, before=before)
    _rephase(actor, line)


def _rephase(actor, line: BudgetLine) -> None:
    """Keep a phased line's months adding up to its amount after the amount changed: the difference
    goes to (or comes from) the open months first (ledger.adjust_phasing)."""
    rows = {m.month: m for m in line.months.all()}
    if not rows:
        return  # not phased: shown evenly spread, nothing stored to fix
    months = plan_months(line.plan)
    planned = [rows[m].planned if m in rows else ledger.ZERO for m in months]
    if sum(planned, ledger.ZERO) == line.amount:
        return
    adjusted = ledger.adjust_phasing(planned, line.amount, _first_open_month(line.plan))
    _write_planned(actor, line, dict(zip(months, adjusted, strict=True)))


def _write_planned(actor, line: BudgetLine, planned: dict[dt.date, Decimal]) -> None:
    existing = {m.month: m for m in line.months.all()}
    for month, amount in planned.items():
        row = existing.get(month)
        if row is None:
            row = MonthlyAmount.objects.create(
                workspace=line.workspace, line=line, month=month, planned=amount
            )
            audit.record_create(actor=actor, workspace=line.workspace, obj=row)
        elif row.planned != amount:
            before = audit.snapshot(row)
            row.planned = amount
            row.save(update_fields=["planned", "updated_at"])
            audit.record_update(actor=actor, workspace=line.workspace, obj=row, before=before)


def _people_in(workspace: Workspace, people: Iterable[Person], field: str) -> list[Person]:
    out = []
    for person in people:
        if person.workspace_id != workspace.pk:
            raise ValidationError({field: "That person belongs to another workspace."})
        if not person.is_active:
            raise ValidationError({field: f"{person.name} is no longer active."})
        out.append(person)
    return out


# --- plans --------------------------------------------------------------------------------------------


def _check_plan_fields(workspace: Workspace, name: str, start_date, end_date, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A budget plan needs a name, e.g. “FY 2027”."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if BudgetPlan.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"There is already a budget plan called “{name}”."})
    if start_date is None or end_date is None:
        raise ValidationError({"end_date": "Give the first and the last day of the period."})
    if end_date <= start_date:
        raise ValidationError({"end_date": "The period must end after it starts."})
    if (end_date - start_date).days > 3 * 366:
        raise ValidationError({"end_date": "A budget period covers at most three years."})
    return name


def _default_accountable(workspace: Workspace) -> Person:
    cmo = Person.objects.filter(workspace=workspace, is_active=True, roles__key="cmo").order_by("pk").first()
    if cmo is None:
        raise ValidationError(
            {"accountable": "Nobody wears the CMO hat; choose who is Accountable for this budget."}
        )
    return cmo


@transaction.atomic
def plan_create(
    *,
    actor,
    workspace: Workspace,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    total,
    accountable: Person | None = None,
    responsible: Sequence[Person] = (),
    restricted: bool = False,
) -> BudgetPlan:
    """A budget plan with its RACI activity ("Budget <name>": A = `accountable`, by default a person
    wearing the CMO hat; R = `responsible`, by default everyone wearing the marketing-manager hat, or
    the Accountable person when nobody does) and its total line holding `total`."""
    require_admin(actor, workspace)
    name = _check_plan_fields(workspace, name, start_date, end_date)
    total = _money(total, "total")
    if total < 0:
        raise ValidationError({"total": "A budget cannot be negative."})
    if accountable is None:
        accountable = _default_accountable(workspace)
    accountable = _people_in(workspace, [accountable], "accountable")[0]
    responsible = _people_in(workspace, responsible, "responsible")

    activity = activity_create(
        actor=actor,
        workspace=workspace,
        name=f"Budget {name}"[:200],
        kind="process",
        description=f"Budget plan {start_date:%Y-%m-%d} to {end_date:%Y-%m-%d}: allocation, spend and "
        "reallocations.",
        restricted=restricted,
    )
    letters: dict[int, set[str]] = {accountable.pk: {"A"}}
    by_pk = {accountable.pk: accountable}
    for person in responsible:
        letters.setdefault(person.pk, set()).add("R")
        by_pk[person.pk] = person
    managers = Role.objects.filter(workspace=workspace, key="marketing_manager").first()
    use_role = (
        not responsible
        and managers is not None
        and managers.people.filter(is_active=True, workspace=workspace).exists()
    )
    if not responsible and not use_role:
        letters[accountable.pk].add("R")  # a one-person team: the Accountable person does the work
    for pk, held in letters.items():
        raci_set(actor=actor, activity=activity, person=by_pk[pk], letters=held)
    if use_role:
        raci_set(actor=actor, activity=activity, role=managers, letters="R")

    plan = BudgetPlan.objects.create(
        workspace=workspace, name=name, start_date=start_date, end_date=end_date, activity=activity
    )
    audit.record_create(actor=actor, workspace=workspace, obj=plan)
    root = BudgetLine.objects.create(
        workspace=workspace, plan=plan, level=Level.TOTAL, name=f"Total {name}"[:200], amount=total
    )
    audit.record_create(actor=actor, workspace=workspace, obj=root)
    return plan


@transaction.atomic
def plan_update(
    *,
    actor,
    plan: BudgetPlan,
    name: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    status: str | None = None,
    restricted: bool | None = None,
) -> BudgetPlan:
    """Rename, move the period, change the status (draft → active → closed) or restrict the plan."""
    _require(access.can_shape(actor, plan), "Only the plan's Accountable person or an administrator may.")
    workspace = plan.workspace
    name = plan.name if name is None else name
    start_date = start_date or plan.start_date
    end_date = end_date or plan.end_date
    name = _check_plan_fields(workspace, name, start_date, end_date, exclude_pk=plan.pk)
    if status is not None and status not in BudgetPlan.Status.values:
        raise ValidationError({"status": "Unknown status."})
    if (start_date, end_date) != (plan.start_date, plan.end_date):
        _check_period_holds_data(plan, start_date, end_date)
    before = audit.snapshot(plan)
    plan.name, plan.start_date, plan.end_date = name, start_date, end_date
    if status is not None:
        plan.status = status
    plan.save()
    audit.record_update(actor=actor, workspace=workspace, obj=plan, before=before)
    activity_fields = {}
    if plan.activity.name != f"Budget {name}"[:200]:
        activity_fields["name"] = f"Budget {name}"[:200]
    if restricted is not None and restricted != plan.activity.restricted:
        activity_fields["restricted"] = restricted
    if activity_fields:
        activity_update(actor=actor, activity=plan.activity, **activity_fields)
    if (start_date, end_date) != (before["start_date"], before["end_date"]):
        _refit_months(actor, plan)
    return plan


def _check_period_holds_data(plan: BudgetPlan, start: dt.date, end: dt.date) -> None:
    first, last = ledger.month_start(start), ledger.month_start(end)
    outside_spend = SpendEntry.objects.filter(line__plan=plan).exclude(date__range=(start, end))
    outside_commitments = Commitment.objects.filter(line__plan=plan).exclude(month__range=(first, last))
    if outside_spend.exists() or outside_commitments.exists():
        raise ValidationError(
            {"start_date": "Spend or commitments are booked outside the new period; move them first."}
        )


def _refit_months(actor, plan: BudgetPlan) -> None:
    """After the period moved: drop month rows that fell outside (keeping each line's total by
    rephasing it over the new months)."""
    months = set(plan_months(plan))
    for line in plan.lines.all():
        gone = [m for m in line.months.all() if m.month not in months]
        for row in gone:
            audit.record_delete(actor=actor, workspace=plan.workspace, obj=row)
            row.delete()
        if gone:
            if line.months.exists():
                _rephase(actor, line)
            else:
                _spread(actor, line)


@transaction.atomic
def plan_delete(*, actor, plan: BudgetPlan) -> None:
    """Administrators may delete a plan on which no money is booked (close it otherwise)."""
    require_admin(actor, plan.workspace)
    if (
        SpendEntry.objects.filter(line__plan=plan).exists()
        or Commitment.objects.filter(line__plan=plan).exists()
    ):
        raise ValidationError("Spend or commitments are booked on this plan: close it instead of deleting.")
    workspace, activity = plan.workspace, plan.activity
    for row in MonthlyAmount.objects.filter(line__plan=plan):
        audit.record_delete(actor=actor, workspace=workspace, obj=row)
    for realloc in plan.reallocations.all():
        audit.record_delete(actor=actor, workspace=workspace, obj=realloc)
    for line in plan.lines.order_by("-level"):
        audit.record_delete(actor=actor, workspace=workspace, obj=line)
    audit.record_delete(actor=actor, workspace=workspace, obj=plan)
    plan.delete()
    # The plan's RACI activity stays (with its approval history) but is closed.
    before = audit.snapshot(activity)
    activity.is_open, activity.closed_at = False, timezone.now()
    activity.save()
    audit.record_update(actor=actor, workspace=workspace, obj=activity, before=before)


# --- lines --------------------------------------------------------------------------------------------


def _ancestor_with(line: BudgetLine | None, attr: str):
    while line is not None:
        value = getattr(line, attr)
        if value is not None:
            return value
        line = line.parent
    return None


def _check_line(
    plan: BudgetPlan, parent: BudgetLine, level: str, name: str, objective, channel, campaign
) -> tuple[str, object, object, object]:
    """Validate where a new line goes and what it refers to; returns (name, objective, channel,
    campaign) with references that do not belong to the level dropped."""
    workspace = plan.workspace
    if level not in Level.values:
        raise ValidationError({"level": "Choose objective, channel, campaign or other."})
    if level == Level.TOTAL:
        raise ValidationError({"level": "A plan has one total line; add objectives, channels or campaigns."})
    if parent.level == Level.CAMPAIGN and level != Level.OTHER:
        raise ValidationError(
            {"level": "Under a campaign line only “Other” lines (say production, media) go."}
        )
    if parent.level == Level.OTHER and level != Level.OTHER:
        raise ValidationError({"level": "Under an “Other” line only more “Other” lines go."})
    if level in RANK and RANK[level] <= RANK.get(parent.level, -1):
        order = "total → objective → channel → campaign"
        raise ValidationError(
            {
                "level": f"A {Level(level).label.lower()} line cannot go under a "
                f"{Level(parent.level).label.lower()} line (the order is {order})."
            }
        )
    for obj, key in ((objective, "objective"), (channel, "channel"), (campaign, "campaign")):
        _same_workspace(obj, workspace, key)
    if level == Level.OBJECTIVE:
        if objective is None:
            raise ValidationError({"objective": "Choose the objective this money serves."})
        channel = campaign = None
        ref = objective
    elif level == Level.CHANNEL:
        if channel is None:
            raise ValidationError({"channel": "Choose the channel."})
        objective = campaign = None
        ref = channel
    elif level == Level.CAMPAIGN:
        if campaign is None:
            raise ValidationError({"campaign": "Choose the campaign."})
        objective = channel = None
        ref = campaign
        _check_campaign_fits(plan, parent, campaign)
    else:
        objective = channel = campaign = None
        ref = None
        if not (name or "").strip():
            raise ValidationError({"name": "Name the line, e.g. “Agency retainer” or “Production”."})
    siblings = BudgetLine.objects.filter(plan=plan, parent=parent, level=level)
    if ref is not None and siblings.filter(**{level: ref}).exists():
        raise ValidationError({level: f"“{ref}” already has a line here."})
    name = (name or "").strip() or str(ref)
    if level == Level.OTHER and siblings.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"There is already a line called “{name}” here."})
    return name[:200], objective, channel, campaign


def _check_campaign_fits(plan: BudgetPlan, parent: BudgetLine, campaign: Campaign) -> None:
    channel = _ancestor_with(parent, "channel")
    runs_on = list(campaign.channels.all())
    if channel is not None and runs_on and channel not in runs_on:
        names = ", ".join(c.name for c in runs_on)
        raise ValidationError(
            {
                "campaign": f"“{campaign}” does not run on {channel} (it runs on {names}). Put the line "
                "under one of those channels, or add the channel to the campaign."
            }
        )
    objective = _ancestor_with(parent, "objective")
    serves = list(campaign.objectives.all())
    if objective is not None and serves and objective not in serves:
        names = ", ".join(o.title for o in serves)
        raise ValidationError({"campaign": f"“{campaign}” does not serve “{objective}” (it serves {names})."})
    if campaign.end_date < plan.start_date or campaign.start_date > plan.end_date:
        raise ValidationError(
            {
                "campaign": f"“{campaign}” runs {campaign.start_date:%Y-%m-%d} to "
                f"{campaign.end_date:%Y-%m-%d}, outside this plan's period."
            }
        )


@transaction.atomic
def line_allocate(
    *,
    actor,
    parent: BudgetLine,
    level: str,
    name: str = "",
    amount,
    objective=None,
    channel=None,
    campaign=None,
    accountable: Person | None = None,
) -> BudgetLine:
    """A new line under `parent`, its `amount` taken out of the parent's reserve."""
    plan = parent.plan
    _require(access.can_shape(actor, plan), "Only the plan's Accountable person or an administrator may.")
    _open(plan)
    amount = _money(amount)
    name, objective, channel, campaign = _check_line(plan, parent, level, name, objective, channel, campaign)
    if accountable is not None:
        _people_in(plan.workspace, [accountable], "accountable")
    tree, _ = _locked_tree(plan)
    try:
        tree.allocate(parent.pk, "new", amount)
    except LedgerError as error:
        raise _ledger_error(error) from None
    line = BudgetLine.objects.create(
        workspace=plan.workspace,
        plan=plan,
        parent=parent,
        level=level,
        name=name,
        objective=objective,
        channel=channel,
        campaign=campaign,
        amount=amount,
        accountable=accountable,
    )
    audit.record_create(actor=actor, workspace=plan.workspace, obj=line)
    if campaign is not None:
        _attach_waiting_spend(actor, line)
    return line


def _attach_waiting_spend(actor, line: BudgetLine) -> None:
    """Spend already matched to the campaign but waiting for a budget line lands on the new line."""
    plan = line.plan
    waiting = SpendEntry.objects.filter(
        workspace=plan.workspace,
        campaign=line.campaign,
        line__isnull=True,
        date__range=(plan.start_date, plan.end_date),
    )
    for entry in waiting:
        before = audit.snapshot(entry)
        entry.line = line
        entry.save(update_fields=["line", "updated_at"])
        audit.record_update(actor=actor, workspace=plan.workspace, obj=entry, before=before)


@transaction.atomic
def line_resize(*, actor, line: BudgetLine, amount) -> BudgetLine:
    """Set a line's amount: more comes out of the parent's reserve, less goes back to it. The total line
    changes the plan's total. A phased line's open months absorb the difference."""
    plan = line.plan
    _require(access.can_shape(actor, plan), "Only the plan's Accountable person or an administrator may.")
    _open(plan)
    amount = _money(amount)
    tree, lines = _locked_tree(plan)
    try:
        tree.resize(line.pk, amount)
    except LedgerError as error:
        raise _ledger_error(error) from None
    line = lines[line.pk]
    _save_amount(actor, line, amount)
    return line


@transaction.atomic
def line_update(*, actor, line: BudgetLine, name: str | None = None, accountable=...) -> BudgetLine:
    """Rename a line or change who is accountable for it (and gets its alerts)."""
    _require(
        access.can_shape(actor, line.plan), "Only the plan's Accountable person or an administrator may."
    )
    before = audit.snapshot(line)
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": "A line needs a name."})
        line.name = name[:200]
    if accountable is not ...:
        if accountable is not None:
            _people_in(line.workspace, [accountable], "accountable")
        line.accountable = accountable
    line.save()
    audit.record_update(actor=actor, workspace=line.workspace, obj=line, before=before)
    return line


@transaction.atomic
def line_delete(*, actor, line: BudgetLine) -> Decimal:
    """Delete a line (and the lines under it); its amount goes back to the parent's reserve. Refused when
    spend or commitments are booked on it or it has reallocation history. Returns the amount freed."""
    plan = line.plan
    _require(access.can_shape(actor, plan), "Only the plan's Accountable person or an administrator may.")
    _open(plan)
    tree, lines = _locked_tree(plan)
    if line.parent_id is None:
        raise ValidationError("The total line goes only with its plan.")
    subtree = tree.subtree(line.pk)
    if SpendEntry.objects.filter(line_id__in=subtree).exists():
        raise ValidationError(
            f"Spend is booked on “{line.name}”{' or a line under it' if len(subtree) > 1 else ''}; "
            "it cannot be deleted. Set its amount to what was spent instead."
        )
    if Commitment.objects.filter(line_id__in=subtree).exists():
        raise ValidationError(f"Commitments are booked on “{line.name}”; remove them first.")
    moved = ReallocationRequest.objects.filter(plan=plan)
    if moved.filter(from_line_id__in=subtree).exists() or moved.filter(to_line_id__in=subtree).exists():
        raise ValidationError(
            f"“{line.name}” has reallocation history; set its amount to 0 instead of deleting it."
        )
    freed = tree.remove(line.pk)
    for pk in reversed(subtree):
        for row in MonthlyAmount.objects.filter(line_id=pk):
            audit.record_delete(actor=actor, workspace=plan.workspace, obj=row)
        audit.record_delete(actor=actor, workspace=plan.workspace, obj=lines[pk])
    lines[line.pk].delete()
    return freed


# --- phasing and forecasts -------------------------------------------------------------------------------


def _spread(actor, line: BudgetLine) -> None:
    months = plan_months(line.plan)
    _write_planned(actor, line, dict(zip(months, ledger.split_evenly(line.amount, len(months)), strict=True)))


@transaction.atomic
def phasing_spread_evenly(*, actor, line: BudgetLine) -> None:
    """Spread the line's amount evenly over the plan's months (whole cents, adding up exactly)."""
    _require(
        access.can_shape(actor, line.plan), "Only the plan's Accountable person or an administrator may."
    )
    _open(line.plan)
    _spread(actor, line)


def _same_line_last_year(line: BudgetLine) -> BudgetLine | None:
    """The line that plays the same part in the plan one year earlier (same level and objective /
    channel / campaign, or same name), if there is such a plan."""
    plan = line.plan
    shifted = (
        plan.start_date.replace(year=plan.start_date.year - 1)
        if not (plan.start_date.month == 2 and plan.start_date.day == 29)
        else plan.start_date.replace(year=plan.start_date.year - 1, day=28)
    )
    earlier = (
        BudgetPlan.objects.filter(workspace=plan.workspace, start_date__lte=shifted, end_date__gte=shifted)
        .exclude(pk=plan.pk)
        .order_by("-start_date")
        .first()
    )
    if earlier is None:
        return None
    candidates = BudgetLine.objects.filter(plan=earlier, level=line.level)
    if line.level == Level.TOTAL:
        return candidates.first()
    for attr in ("campaign", "channel", "objective"):
        if getattr(line, f"{attr}_id"):
            found = candidates.filter(**{f"{attr}_id": getattr(line, f"{attr}_id")}).first()
            if found:
                return found
    return candidates.filter(name__iexact=line.name).first()


@transaction.atomic
def phasing_copy_last_year(*, actor, line: BudgetLine) -> str:
    """Phase the line like the same line a year earlier: by its actual spend per month if it had any,
    else by its planned months. Returns a sentence saying what was copied."""
    _require(
        access.can_shape(actor, line.plan), "Only the plan's Accountable person or an administrator may."
    )
    _open(line.plan)
    from opencmo.budget import selectors  # the figures live there; imported here to avoid a cycle

    previous = _same_line_last_year(line)
    if previous is None:
        raise ValidationError(
            "There is no matching line in a plan one year earlier to copy from; spread evenly or enter the "
            "months by hand."
        )
    figures = selectors.plan_figures(previous.plan).line(previous.pk)
    actual = {m.month: m.actual for m in figures.pacing.months}
    planned = {m.month: m.planned for m in figures.pacing.months}
    source, shape = "actual spend", actual
    if not any(actual.values()):
        source, shape = "planned months", planned
    if not any(shape.values()):
        raise ValidationError(f"“{previous.name}” in {previous.plan.name} has no spend or plan to copy.")
    months = plan_months(line.plan)
    split = ledger.split_by_shape(line.amount, ledger.shape_from(shape, months))
    _write_planned(actor, line, dict(zip(months, split, strict=True)))
    return f"Phased like the {source} of “{previous.name}” in {previous.plan.name}."


def _month_values(plan: BudgetPlan, values: dict, *, allow_empty: bool, what: str) -> dict[dt.date, Decimal]:
    months = plan_months(plan)
    out = {}
    for key, value in values.items():
        month = ledger.month_start(key)
        if month not in months:
            raise ValidationError({what: f"{month:%B %Y} is outside the plan's period."})
        if value is None or value == "":
            if not allow_empty:
                raise ValidationError({what: f"Give an amount for {month:%B %Y}."})
            out[month] = None
            continue
        amount = _money(value, what)
        if amount < 0:
            raise ValidationError({what: f"{month:%B %Y}: an amount cannot be negative."})
        out[month] = amount
    return out


@transaction.atomic
def phasing_set(*, actor, line: BudgetLine, planned: dict) -> None:
    """Set the planned amount of every month of the plan; they must add up to the line's amount."""
    _require(
        access.can_shape(actor, line.plan), "Only the plan's Accountable person or an administrator may."
    )
    _open(line.plan)
    values = _month_values(line.plan, planned, allow_empty=False, what="planned")
    months = plan_months(line.plan)
    full = {m: values.get(m, ledger.ZERO) for m in months}
    total = sum(full.values(), ledger.ZERO)
    if total != line.amount:
        ws = line.workspace
        gap = line.amount - total
        how = f"{_fmt(ws, gap)} is still to place" if gap > 0 else f"they are {_fmt(ws, -gap)} over"
        raise ValidationError(
            {
                "planned": f"The months add up to {_fmt(ws, total)} but the line holds "
                f"{_fmt(ws, line.amount)}: {how}."
            }
        )
    _write_planned(actor, line, full)


@transaction.atomic
def forecast_set(*, actor, line: BudgetLine, forecast: dict) -> None:
    """Set the forecast of months (None or empty: the forecast is the planned amount)."""
    _require(
        access.can_operate(actor, line.plan),
        "Only the plan's Responsible or Accountable people (or an administrator) may.",
    )
    _open(line.plan)
    values = _month_values(line.plan, forecast, allow_empty=True, what="forecast")
    existing = {m.month: m for m in line.months.all()}
    evenly = None
    for month, amount in values.items():
        row = existing.get(month)
        if row is None:
            if amount is None:
                continue
            if evenly is None:  # an unphased line gets its phasing as shown stored with the first forecast
                from opencmo.budget import selectors

                shown = selectors.plan_figures(line.plan).line(line.pk).pacing.months
                evenly = {m.month: m.planned for m in shown}
                _write_planned(actor, line, evenly)
                existing = {m.month: m for m in line.months.all()}
            row = existing[month]
        if row.forecast != amount:
            before = audit.snapshot(row)
            row.forecast = amount
            row.save(update_fields=["forecast", "updated_at"])
            audit.record_update(actor=actor, workspace=line.workspace, obj=row, before=before)


# --- commitments --------------------------------------------------------------------------------------


def _check_commitment(line: BudgetLine, supplier: str, month, amount) -> tuple[str, dt.date, Decimal]:
    supplier = (supplier or "").strip()
    if not supplier:
        raise ValidationError({"supplier": "Who is the money promised to?"})
    if month is None:
        raise ValidationError({"month": "Choose the month the money falls in."})
    month = ledger.month_start(month)
    if month not in plan_months(line.plan):
        raise ValidationError({"month": f"{month:%B %Y} is outside the plan's period."})
    amount = _money(amount)
    if amount <= 0:
        raise ValidationError({"amount": "A commitment is a positive amount."})
    return supplier[:150], month, amount


@transaction.atomic
def commitment_create(
    *, actor, line: BudgetLine, supplier: str, month: dt.date, amount, reference: str = "", note: str = ""
) -> Commitment:
    """A purchase order or agency agreement: money promised, not yet spent. Lower or remove it as the
    invoices arrive as spend, so the money is not counted twice."""
    _require(
        access.can_operate(actor, line.plan),
        "Only the plan's Responsible or Accountable people (or an administrator) may.",
    )
    _open(line.plan)
    supplier, month, amount = _check_commitment(line, supplier, month, amount)
    commitment = Commitment.objects.create(
        workspace=line.workspace,
        line=line,
        supplier=supplier,
        reference=(reference or "").strip()[:100],
        month=month,
        amount=amount,
        note=(note or "").strip()[:300],
    )
    audit.record_create(actor=actor, workspace=line.workspace, obj=commitment)
    return commitment


@transaction.atomic
def commitment_update(
    *,
    actor,
    commitment: Commitment,
    supplier: str,
    month: dt.date,
    amount,
    reference: str = "",
    note: str = "",
) -> Commitment:
    line = commitment.line
    _require(
        access.can_operate(actor, line.plan),
        "Only the plan's Responsible or Accountable people (or an administrator) may.",
    )
    _open(line.plan)
    supplier, month, amount = _check_commitment(line, supplier, month, amount)
    before = audit.snapshot(commitment)
    commitment.supplier, commitment.month, commitment.amount = supplier, month, amount
    commitment.reference, commitment.note = (reference or "").strip()[:100], (note or "").strip()[:300]
    commitment.save()
    audit.record_update(actor=actor, workspace=line.workspace, obj=commitment, before=before)
    return commitment


@transaction.atomic
def commitment_delete(*, actor, commitment: Commitment) -> None:
    line = commitment.line
    _require(
        access.can_operate(actor, line.plan),
        "Only the plan's Responsible or Accountable people (or an administrator) may.",
    )
    _open(line.plan)
    audit.record_delete(actor=actor, workspace=line.workspace, obj=commitment)
    commitment.delete()


# --- exchange rates -----------------------------------------------------------------------------------


def _currency(workspace: Workspace, value: str, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValidationError({field: f"“{value}” is not a currency code; use three letters such as EUR."})
    return code


def _rate_value(value, field: str = "rate") -> Decimal:
    if isinstance(value, float):
        raise ValidationError({field: "Give the rate as text or a Decimal, not a float."})
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationError({field: f"“{value}” is not a number."}) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError({field: "A rate is a positive number."})
    rate = rate.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
    if rate >= Decimal(10**10):
        raise ValidationError({field: "That rate is too large."})
    if rate == 0:
        raise ValidationError({field: "That rate is too small (8 decimals at most)."})
    return rate


def rate_for(workspace: Workspace, currency: str, day: dt.date) -> Decimal:
    """Workspace currency per unit of `currency` on `day`: the stored rate of that day or the latest
    earlier one. A missing rate is an error naming the currency and the date."""
    if currency == workspace.currency:
        return Decimal(1).quantize(RATE_PLACES)
    found = (
        ExchangeRate.objects.filter(workspace=workspace, currency=currency, date__lte=day)
        .order_by("-date")
        .first()
    )
    if found is None:
        raise ValidationError(
            {
                "currency": f"No exchange rate for {currency} on or before {day:%Y-%m-%d}. Add one under "
                f"Budget → Exchange rates (units of {workspace.currency} per {currency})."
            }
        )
    return found.rate


def _reconvert(actor, workspace: Workspace, currency: str, since: dt.date) -> int:
    """Convert again the spend in `currency` from `since` up to the next stored rate (a rate was added,
    corrected or removed). Returns how many entries changed."""
    later = (
        ExchangeRate.objects.filter(workspace=workspace, currency=currency, date__gt=since)
        .order_by("date")
        .first()
    )
    entries = SpendEntry.objects.filter(workspace=workspace, currency=currency, date__gte=since)
    if later is not None:
        entries = entries.filter(date__lt=later.date)
    changed = 0
    for entry in entries:
        rate = rate_for(workspace, currency, entry.date)
        base = ledger.convert(entry.amount, rate)
        if (entry.rate, entry.amount_base) != (rate, base):
            before = audit.snapshot(entry)
            entry.rate, entry.amount_base = rate, base
            entry.save(update_fields=["rate", "amount_base", "updated_at"])
            audit.record_update(actor=actor, workspace=workspace, obj=entry, before=before)
            changed += 1
    return changed


def _can_keep_data(actor, workspace: Workspace) -> None:
    _require(
        access.can_keep_data(actor, workspace),
        "Only administrators and the people Responsible or Accountable for a budget may.",
    )


@transaction.atomic
def rate_set(*, actor, workspace: Workspace, currency: str, date: dt.date, rate) -> ExchangeRate:
    """Store (or correct) the rate of a currency on a day; spend that used the previous rate for those
    days is converted again."""
    _can_keep_data(actor, workspace)
    currency = _currency(workspace, currency)
    if currency == workspace.currency:
        raise ValidationError({"currency": f"{currency} is the workspace currency; it needs no rate."})
    if date is None:
        raise ValidationError({"date": "Give the date the rate is for."})
    rate = _rate_value(rate)
    found = ExchangeRate.objects.filter(workspace=workspace, currency=currency, date=date).first()
    if found is None:
        found = ExchangeRate.objects.create(workspace=workspace, currency=currency, date=date, rate=rate)
        audit.record_create(actor=actor, workspace=workspace, obj=found)
    elif found.rate != rate:
        before = audit.snapshot(found)
        found.rate = rate
        found.save()
        audit.record_update(actor=actor, workspace=workspace, obj=found, before=before)
    else:
        return found
    _reconvert(actor, workspace, currency, date)
    return found


@transaction.atomic
def rate_update(*, actor, rate: ExchangeRate, currency: str, date: dt.date, value) -> ExchangeRate:
    """Change a stored rate's currency, day or value."""
    workspace = rate.workspace
    _can_keep_data(actor, workspace)
    currency = _currency(workspace, currency)
    if currency == workspace.currency:
        raise ValidationError({"currency": f"{currency} is the workspace currency; it needs no rate."})
    value = _rate_value(value)
    clash = ExchangeRate.objects.filter(workspace=workspace, currency=currency, date=date).exclude(pk=rate.pk)
    if clash.exists():
        raise ValidationError({"date": f"There is already a {currency} rate for {date:%Y-%m-%d}."})
    old_currency, old_date = rate.currency, rate.date
    before = audit.snapshot(rate)
    rate.currency, rate.date, rate.rate = currency, date, value
    rate.save()
    audit.record_update(actor=actor, workspace=workspace, obj=rate, before=before)
    try:
        _reconvert(actor, workspace, old_currency, old_date)
        _reconvert(actor, workspace, currency, min(date, old_date) if currency == old_currency else date)
    except ValidationError:
        raise ValidationError(
            {"date": f"Spend in {old_currency} from {old_date:%Y-%m-%d} would be left without a rate."}
        ) from None
    return rate


@transaction.atomic
def rate_delete(*, actor, rate: ExchangeRate) -> None:
    """Remove a rate; spend that used it falls back to the latest earlier rate (refused if none)."""
    workspace = rate.workspace
    _can_keep_data(actor, workspace)
    audit.record_delete(actor=actor, workspace=workspace, obj=rate)
    currency, day = rate.currency, rate.date
    rate.delete()
    try:
        _reconvert(actor, workspace, currency, day)
    except ValidationError:
        raise ValidationError(
            f"Spend in {currency} from {day:%Y-%m-%d} uses this rate and no earlier one exists; "
            "correct the rate instead of deleting it."
        ) from None


@dataclass
class RowProblem:
    row: int  # 1-based number of the data row (the header is row 0 in CSV files)
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}"


@dataclass
class RateImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return f"{self.created} rates added, {self.updated} changed, {self.unchanged} unchanged."


def _parse_date(value, field: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: f"“{value}” is not a date; use YYYY-MM-DD."}) from None


class _DryRun(Exception):
    pass


def rates_import_csv(*, actor, workspace: Workspace, data: bytes, dry_run: bool = False) -> RateImport:
    """Import rates from CSV with the columns currency, date, rate (a header row; comma or semicolon).
    All or nothing: every bad row is reported with its number and nothing is saved."""
    _can_keep_data(actor, workspace)
    result = RateImport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append(RowProblem(0, "file", "The file is not UTF-8 text."))
        return result
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("currency", "date", "rate") if c not in header]
    if missing:
        result.problems.append(
            RowProblem(0, "header", f"Missing column(s) {', '.join(missing)}; expected currency,date,rate.")
        )
        return result
    parsed, seen = [], {}
    for number, raw in enumerate(reader, start=1):
        if not any(cell.strip() for cell in raw):
            continue
        row = dict(zip(header, raw, strict=False))
        problems_before = len(result.problems)
        values = {}
        for name, check in (
            ("currency", lambda v: _currency(workspace, v)),
            ("date", _parse_date),
            ("rate", _rate_value),
        ):
            try:
                values[name] = check(row.get(name, ""))
            except ValidationError as error:
                result.problems.append(RowProblem(number, name, " ".join(error.messages)))
        if len(result.problems) > problems_before:
            continue
        if values["currency"] == workspace.currency:
            result.problems.append(RowProblem(number, "currency", "The workspace currency needs no rate."))
            continue
        key = (values["currency"], values["date"])
        if key in seen:
            result.problems.append(
                RowProblem(number, "date", f"Row {seen[key]} already gives {key[0]} on {key[1]:%Y-%m-%d}.")
            )
            continue
        seen[key] = number
        parsed.append(values)
    if result.problems:
        return result
    try:
        with transaction.atomic():
            for values in parsed:
                found = ExchangeRate.objects.filter(
                    workspace=workspace, currency=values["currency"], date=values["date"]
                ).first()
                if found is None:
                    result.created += 1
                elif found.rate == values["rate"]:
                    result.unchanged += 1
                    continue
                else:
                    result.updated += 1
                rate_set(actor=actor, workspace=workspace, **values)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


# --- spend --------------------------------------------------------------------------------------------


class Matcher:
    """Finds our campaign and budget line for platform spend. Loads mappings, campaigns and campaign
    lines once, so an import of thousands of rows does not ask the database for each."""

    STATUS_ORDER = {BudgetPlan.Status.ACTIVE: 0, BudgetPlan.Status.DRAFT: 1, BudgetPlan.Status.CLOSED: 2}

    def __init__(self, workspace: Workspace, platform: str = ""):
        self.workspace = workspace
        self.platform = platform
        self.by_name: dict[str, Campaign] = {}
        self.by_lower: dict[str, Campaign] = {}
        self.by_id: dict[str, Campaign] = {}
        mappings = PlatformCampaign.objects.filter(workspace=workspace, platform=platform).select_related(
            "campaign"
        )
        for m in mappings.order_by("pk"):
            self.by_name.setdefault(m.external_name, m.campaign)
            self.by_lower.setdefault(m.external_name.lower(), m.campaign)
            if m.external_id:
                self.by_id.setdefault(m.external_id, m.campaign)
        self.codes = [(c, _tokens(c.code)) for c in Campaign.objects.filter(workspace=workspace) if c.code]
        self._lines: dict[int, list[tuple[BudgetLine, Channel | None]]] | None = None
        self._found: dict[tuple[str, str], Campaign | None] = {}

    def campaign(self, external_name: str, external_id: str = "") -> Campaign | None:
        """A stored mapping (by name, then by id), else our campaign code as the whole name or as whole
        words inside it ("NO | spring-launch | search"), only when exactly one code fits."""
        key = (external_name, external_id)
        if key not in self._found:
            self._found[key] = self._campaign(external_name, external_id)
        return self._found[key]

    def _campaign(self, external_name: str, external_id: str) -> Campaign | None:
        found = self.by_name.get(external_name) or self.by_lower.get(external_name.lower())
        if found is None and external_id:
            found = self.by_id.get(external_id)
        if found is not None:
            return found
        name = _tokens(external_name)
        if not name:
            return None
        exact = [c for c, code in self.codes if code == name]
        if exact:
            return exact[0]
        inside = [c for c, code in self.codes if code and f"-{code}-" in f"-{name}-"]
        return inside[0] if len(inside) == 1 else None

    def line(self, campaign: Campaign, day: dt.date, channel: Channel | None = None) -> BudgetLine | None:
        """The campaign's line in the plan covering `day`: the one on the same channel if there are
        several, an active plan before a draft before a closed one."""
        if self._lines is None:
            self._lines = {}
            for line in BudgetLine.objects.filter(
                workspace=self.workspace, campaign__isnull=False
            ).select_related("plan", "parent"):
                self._lines.setdefault(line.campaign_id, []).append((line, _ancestor_with(line, "channel")))
        covering = [
            (line, on)
            for line, on in self._lines.get(campaign.pk, [])
            if line.plan.start_date <= day <= line.plan.end_date
        ]
        if not covering:
            return None

        def rank(pair):
            line, on = pair
            return (
                not (channel is not None and on == channel),
                self.STATUS_ORDER.get(line.plan.status, 3),
                line.pk,
            )

        return min(covering, key=rank)[0]


def match_campaign(
    workspace: Workspace, platform: str, external_name: str, external_id: str = ""
) -> Campaign | None:
    """Our campaign for an ad platform's campaign (see Matcher.campaign)."""
    return Matcher(workspace, platform).campaign(external_name, external_id)


def _tokens(text: str) -> str:
    """'NO | Spring_Launch | Search' -> 'no-spring-launch-search' (codes match on whole words)."""
    return re.sub("-+", "-", slugify(text).replace("_", "-")).strip("-")


def line_for(workspace: Workspace, campaign: Campaign, day: dt.date, channel: Channel | None = None):
    """The budget line of `campaign` in the plan covering `day` (see Matcher.line)."""
    return Matcher(workspace).line(campaign, day, channel)


def _line_channel(line: BudgetLine | None):
    return _ancestor_with(line, "channel") if line is not None else None


@transaction.atomic
def spend_create(
    *,
    actor,
    workspace: Workspace,
    date: dt.date,
    amount,
    currency: str = "",
    line: BudgetLine | None = None,
    campaign: Campaign | None = None,
    channel: Channel | None = None,
    description: str = "",
) -> SpendEntry:
    """Spend entered by hand: on a budget line, or on a campaign (which finds its line). Converted to the
    workspace currency at the stored rate of that day or the latest earlier one."""
    _same_workspace(line, workspace, "line")
    _same_workspace(campaign, workspace, "campaign")
    _same_workspace(channel, workspace, "channel")
    if date is None:
        raise ValidationError({"date": "When was the money spent?"})
    amount = _money(amount)
    if amount == 0:
        raise ValidationError({"amount": "Enter the amount spent (negative for a refund or credit)."})
    currency = _currency(workspace, currency or workspace.currency)
    if line is not None:
        plan = line.plan
        _require(
            access.can_operate(actor, plan),
            "Only the plan's Responsible or Accountable people (or an administrator) may enter spend on it.",
        )
        _open(plan)
        if not plan.start_date <= date <= plan.end_date:
            raise ValidationError(
                {"date": f"“{plan.name}” runs {plan.start_date:%Y-%m-%d} to {plan.end_date:%Y-%m-%d}."}
            )
        if campaign is not None and line.campaign_id and line.campaign_id != campaign.pk:
            raise ValidationError({"campaign": f"The line “{line.name}” belongs to “{line.campaign}”."})
        campaign = campaign or line.campaign
    elif campaign is not None:
        line = line_for(workspace, campaign, date, channel)
        if line is not None:
            _require(
                access.can_operate(actor, line.plan),
                "Only the plan's Responsible or Accountable people (or an administrator) may enter spend "
                "on it.",
            )
        else:
            _can_keep_data(actor, workspace)
    else:
        raise ValidationError({"line": "Choose the budget line (or the campaign) the money was spent on."})
    rate = rate_for(workspace, currency, date)
    entry = SpendEntry.objects.create(
        workspace=workspace,
        date=date,
        amount=amount,
        currency=currency,
        rate=rate,
        amount_base=ledger.convert(amount, rate),
        campaign=campaign,
        channel=channel or _line_channel(line),
        line=line,
        source=SpendEntry.Source.MANUAL,
        description=(description or "").strip()[:300],
        entered_by=actor if actor is not None and actor.pk else None,
    )
    audit.record_create(actor=actor, workspace=workspace, obj=entry)
    return entry


@transaction.atomic
def spend_delete(*, actor, entry: SpendEntry) -> None:
    """Remove a spend entry (an import brings an imported row back if the platform still reports it)."""
    if entry.line_id is not None:
        _require(
            access.can_operate(actor, entry.line.plan),
            "Only the plan's Responsible or Accountable people (or an administrator) may.",
        )
        _open(entry.line.plan)
    else:
        _can_keep_data(actor, entry.workspace)
    audit.record_delete(actor=actor, workspace=entry.workspace, obj=entry)
    entry.delete()


@dataclass
class SpendImport:
    """What `spend_import_rows` did (or, with problems or a dry run, would have done)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # zero-amount rows never seen before
    matched: int = 0
    unmatched: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} empty rows skipped; {self.matched} matched to campaigns, "
            f"{self.unmatched} waiting in the unmatched queue."
        )


IMPORT_FIELDS = ("date", "amount", "currency", "external_campaign", "natural_key")
IMPORT_COMPARED = (
    *("date", "amount", "currency", "rate", "amount_base", "external_campaign", "description"),
    *("campaign_id", "channel_id", "line_id"),
)


def _import_row(workspace: Workspace, number: int, row: dict, channels: dict, problems: list) -> dict | None:
    if not isinstance(row, dict):
        problems.append(RowProblem(number, "row", "Each row must be a mapping of field names to values."))
        return None
    out, before = {}, len(problems)

    def check(name: str, fn) -> None:
        try:
            out[name] = fn(row.get(name))
        except ValidationError as error:
            problems.append(RowProblem(number, name, " ".join(error.messages)))

    def required_text(limit: int):
        def fn(value):
            text = "" if value is None else str(value).strip()
            if not text:
                raise ValidationError("Missing.")
            if len(text) > limit:
                raise ValidationError(f"Longer than {limit} characters.")
            return text

        return fn

    check("date", lambda v: _parse_date(v) if v not in (None, "") else _raise("Missing."))
    check("amount", lambda v: _money(v) if v not in (None, "") else _raise("Missing."))
    check("currency", lambda v: _currency(workspace, v or ""))
    check("external_campaign", required_text(255))
    check("natural_key", required_text(200))
    external_id = row.get("external_id")
    out["external_id"] = "" if external_id is None else str(external_id).strip()[:255]
    key = row.get("channel")
    out["channel"] = None
    if key not in (None, ""):
        channel = channels.get(str(key).strip())
        if channel is None:
            problems.append(
                RowProblem(number, "channel", f"No channel with the key “{key}” in this workspace.")
            )
        out["channel"] = channel
    out["description"] = str(row.get("description") or "").strip()[:300]
    if len(problems) > before:
        return None
    try:
        out["rate"] = rate_for(workspace, out["currency"], out["date"])
    except ValidationError as error:
        problems.append(RowProblem(number, "currency", " ".join(error.messages)))
        return None
    return out


def _raise(message: str):
    raise ValidationError(message)


@transaction.atomic
def spend_import_rows(
    *, actor, workspace: Workspace, rows: Sequence[dict], platform: str, dry_run: bool = False
) -> SpendImport:
    """Import already-parsed spend rows from an ad platform's export.

    Each row: date (date or YYYY-MM-DD), amount (Decimal or text, never float), currency (ISO code),
    external_campaign (the platform's campaign name), natural_key (unique per row across imports; include
    the platform, e.g. "google_ads:2026-03-01:1234"), and optionally external_id, channel (a channel key)
    and description. Rows are matched to campaigns (PlatformCampaign mappings, else campaign codes) and to
    the campaign's budget line; the rest wait in the unmatched queue.

    Idempotent by natural_key: importing the same rows again creates and changes nothing; a row whose
    amount, date or campaign name the platform has restated updates its entry. All or nothing: with any
    bad row (reported with its 1-based number and field) nothing is saved."""
    _can_keep_data(actor, workspace)
    platform = (platform or "").strip()
    result = SpendImport()
    if not platform or slugify(platform).replace("-", "_") != platform or len(platform) > 40:
        result.problems.append(
            RowProblem(0, "platform", "Name the platform with a short key such as google_ads or meta.")
        )
        return result
    channels = {c.key: c for c in Channel.objects.filter(workspace=workspace)}
    parsed: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        values = _import_row(workspace, number, row, channels, result.problems)
        if values is None:
            continue
        key = values["natural_key"]
        if key in seen:
            result.problems.append(RowProblem(number, "natural_key", f"Row {seen[key]} has the same key."))
            continue
        seen[key] = number
        parsed.append((number, values))
    existing = {
        e.natural_key: e
        for e in SpendEntry.objects.select_for_update().filter(
            workspace=workspace, natural_key__in=list(seen)
        )
    }
    for number, values in parsed:
        found = existing.get(values["natural_key"])
        if found is not None and found.platform != platform:
            result.problems.append(
                RowProblem(
                    number,
                    "natural_key",
                    f"Already used by a {found.platform or found.get_source_display().lower()} entry; "
                    "make natural keys unique across platforms (start them with the platform).",
                )
            )
    if result.problems:
        return result
    matcher = Matcher(workspace, platform)
    try:
        with transaction.atomic():
            for _number, values in parsed:
                _import_one(actor, matcher, values, existing.get(values["natural_key"]), result)
            if dry_run:
                raise _DryRun  # roll back what was just written; the counts stay
    except _DryRun:
        pass
    return result


def _import_one(actor, matcher: Matcher, values: dict, found: SpendEntry | None, result) -> None:
    workspace, platform = matcher.workspace, matcher.platform
    amount_base = ledger.convert(values["amount"], values["rate"])
    if found is None:
        if values["amount"] == 0:
            result.skipped += 1
            return
        campaign = matcher.campaign(values["external_campaign"], values["external_id"])
        line = matcher.line(campaign, values["date"], values["channel"]) if campaign else None
        entry = SpendEntry.objects.create(
            workspace=workspace,
            date=values["date"],
            amount=values["amount"],
            currency=values["currency"],
            rate=values["rate"],
            amount_base=amount_base,
            campaign=campaign,
            channel=values["channel"] or (_line_channel(line) if line else None),
            line=line,
            source=SpendEntry.Source.IMPORT,
            platform=platform,
            external_campaign=values["external_campaign"],
            description=values["description"],
            natural_key=values["natural_key"],
            entered_by=actor if actor is not None and actor.pk else None,
        )
        audit.record_create(actor=actor, workspace=workspace, obj=entry)
        result.created += 1
        if campaign:
            result.matched += 1
        else:
            result.unmatched += 1
        return
    before = audit.snapshot(found)
    values_before = {f: getattr(found, f) for f in IMPORT_COMPARED}
    renamed = found.external_campaign != values["external_campaign"]
    found.date, found.amount, found.currency = values["date"], values["amount"], values["currency"]
    found.rate, found.amount_base = values["rate"], amount_base
    found.external_campaign = values["external_campaign"]
    if values["channel"] is not None:
        found.channel = values["channel"]
    if values["description"]:
        found.description = values["description"]
    if found.campaign_id is None or renamed:
        campaign = matcher.campaign(found.external_campaign, values["external_id"])
        if campaign is not None or renamed:
            found.campaign = campaign
    if found.campaign_id is not None and (
        found.line_id is None or not (found.line.plan.start_date <= found.date <= found.line.plan.end_date)
    ):
        found.line = matcher.line(found.campaign, found.date, found.channel)
    elif found.campaign_id is None:
        found.line = None
    if any(getattr(found, f) != values_before[f] for f in IMPORT_COMPARED):
        found.save()
        audit.record_update(actor=actor, workspace=workspace, obj=found, before=before)
        result.updated += 1
    else:
        result.unchanged += 1
    if found.campaign_id:
        result.matched += 1
    else:
        result.unmatched += 1


@transaction.atomic
def unmatched_map(
    *, actor, workspace: Workspace, platform: str, external_campaign: str, campaign: Campaign
) -> tuple[PlatformCampaign, int]:
    """Map an ad platform's campaign name to our campaign once: the mapping is stored (so future imports
    match) and every entry waiting under that name is matched, and put on the campaign's budget line.
    Returns the mapping and how many entries matched."""
    _can_keep_data(actor, workspace)
    _same_workspace(campaign, workspace, "campaign")
    if campaign is None:
        raise ValidationError({"campaign": "Choose our campaign."})
    waiting = SpendEntry.objects.filter(
        workspace=workspace, platform=platform, external_campaign=external_campaign, campaign__isnull=True
    )
    if not external_campaign or not waiting.exists():
        raise ValidationError("Nothing is waiting under that name any more.")
    mapping = PlatformCampaign.objects.filter(
        workspace=workspace, platform=platform, external_name=external_campaign
    ).first()
    if mapping is None:
        mapping = PlatformCampaign.objects.create(
            workspace=workspace, platform=platform, external_name=external_campaign, campaign=campaign
        )
        audit.record_create(actor=actor, workspace=workspace, obj=mapping)
    elif mapping.campaign_id != campaign.pk:
        before = audit.snapshot(mapping)
        mapping.campaign = campaign
        mapping.save()
        audit.record_update(actor=actor, workspace=workspace, obj=mapping, before=before)
    count, matcher = 0, Matcher(workspace, platform)
    for entry in waiting:
        before = audit.snapshot(entry)
        entry.campaign = campaign
        entry.line = matcher.line(campaign, entry.date, entry.channel)
        if entry.channel_id is None:
            entry.channel = _line_channel(entry.line)
        entry.save()
        audit.record_update(actor=actor, workspace=workspace, obj=entry, before=before)
        count += 1
    return mapping, count


@transaction.atomic
def platform_mapping_delete(*, actor, mapping: PlatformCampaign) -> int:
    """Undo a wrong mapping: it is removed and the imported entries it matched go back to the unmatched
    queue. Returns how many entries went back."""
    workspace = mapping.workspace
    _can_keep_data(actor, workspace)
    entries = SpendEntry.objects.filter(
        workspace=workspace,
        source=SpendEntry.Source.IMPORT,
        platform=mapping.platform,
        external_campaign=mapping.external_name,
        campaign=mapping.campaign,
    )
    count = 0
    for entry in entries:
        before = audit.snapshot(entry)
        entry.campaign, entry.line = None, None
        entry.save()
        audit.record_update(actor=actor, workspace=workspace, obj=entry, before=before)
        count += 1
    audit.record_delete(actor=actor, workspace=workspace, obj=mapping)
    mapping.delete()
    return count


# --- reallocations ------------------------------------------------------------------------------------


def _pending_from(line: BudgetLine, exclude_pk=None) -> Decimal:
    pending = ReallocationRequest.objects.filter(
        from_line=line,
        status=ReallocationRequest.Status.PENDING,
        approval__status__in=["consulting", "pending"],
    ).exclude(pk=exclude_pk)
    return sum((r.amount for r in pending), ledger.ZERO)


@transaction.atomic
def reallocation_request(
    *, actor, from_line: BudgetLine, to_line: BudgetLine, amount, reason: str
) -> ReallocationRequest:
    """Ask to move `amount` from one line's reserve to another line. Goes to approval on the plan's
    activity: the Consulted sign off, then the Accountable person — or, above their decision authority,
    whoever the reporting line escalates to — decides. Applied only when approved."""
    plan = from_line.plan
    if to_line.plan_id != plan.pk:
        raise ValidationError({"to_line": "Both lines must be in the same plan."})
    _require(
        access.can_request(actor, plan),
        "Only the plan's Responsible or Accountable people may request a reallocation.",
    )
    _open(plan)
    amount = _money(amount)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the money should move."})
    tree, _ = _locked_tree(plan)
    reserve, asked = tree.reserve(from_line.pk), _pending_from(from_line)
    try:
        tree.reallocate(from_line.pk, to_line.pk, amount)
    except LedgerError as error:
        raise _ledger_error(error) from None
    if asked and amount + asked > reserve:
        raise ValidationError(
            {
                "amount": f"{_fmt(plan.workspace, asked)} of “{from_line.name}” is already asked for in open "
                f"requests; {_fmt(plan.workspace, reserve - asked)} is left to move."
            }
        )
    summary = (
        f"Move {_fmt(plan.workspace, amount)} from “{from_line.name}” to “{to_line.name}” ({plan.name})"
    )[:300]
    approval = approvals.approval_request(
        actor=actor,
        activity=plan.activity,
        kind=DecisionKind.BUDGET,
        amount=amount,
        summary=summary,
        allow_parallel=True,
    )
    realloc = ReallocationRequest.objects.create(
        workspace=plan.workspace,
        plan=plan,
        from_line=from_line,
        to_line=to_line,
        amount=amount,
        reason=reason,
        requested_by=approval.requested_by,
        approval=approval,
    )
    audit.record_create(actor=actor, workspace=plan.workspace, obj=realloc)
    return realloc


@transaction.atomic
def reallocation_withdraw(*, actor, reallocation: ReallocationRequest) -> ReallocationRequest:
    """The requester takes back a request that is still waiting."""
    if raci.person_for(actor, reallocation.workspace) != reallocation.requested_by:
        raise PermissionDenied("Only the person who asked can withdraw a reallocation.")
    if reallocation.status != ReallocationRequest.Status.PENDING:
        raise ValidationError("Only a request that is still waiting can be withdrawn.")
    approval = reallocation.approval
    if approval is not None and approval.is_open:
        approvals.approval_withdraw(actor=actor, request=approval)
    before = audit.snapshot(reallocation)
    reallocation.status = ReallocationRequest.Status.WITHDRAWN
    reallocation.save()
    audit.record_update(actor=actor, workspace=reallocation.workspace, obj=reallocation, before=before)
    return reallocation


def on_approval_decided(request: ApprovalRequest, actor) -> None:
    """Decision hook (registered in BudgetConfig.ready): runs inside the deciding transaction. Approved:
    the move is applied atomically, after checking again that the source still has the money in
    reserve; if not, the reallocation is rejected with the reason. Rejected: marked rejected."""
    realloc = (
        ReallocationRequest.objects.select_for_update()
        .filter(approval=request, status=ReallocationRequest.Status.PENDING)
        .first()
    )
    if realloc is None:
        return
    if request.status == ApprovalRequest.Status.APPROVED:
        _apply(realloc, actor)
    elif request.status == ApprovalRequest.Status.REJECTED:
        _finish(realloc, actor, ReallocationRequest.Status.REJECTED, request.decision_comment)
    elif request.status == ApprovalRequest.Status.WITHDRAWN:
        _finish(realloc, actor, ReallocationRequest.Status.WITHDRAWN, "Withdrawn by the requester.")


def _finish(realloc: ReallocationRequest, actor, status: str, outcome: str = "") -> None:
    before = audit.snapshot(realloc)
    realloc.status = status
    if status == ReallocationRequest.Status.APPLIED:
        realloc.applied_at = timezone.now()
    realloc.save()
    changes = audit.diff(before, audit.snapshot(realloc))
    if outcome:
        changes["outcome"] = [None, outcome]  # why, kept with the change (the model has no note field)
    audit.record(
        actor=actor,
        workspace=realloc.workspace,
        action=AuditEvent.Action.UPDATE,
        obj=realloc,
        changes=changes,
    )


def _apply(realloc: ReallocationRequest, actor) -> None:
    plan = BudgetPlan.objects.get(pk=realloc.plan_id)
    ws = plan.workspace
    if plan.status == BudgetPlan.Status.CLOSED:
        reason = f"Not applied: “{plan.name}” was closed in the meantime."
        _finish(realloc, actor, ReallocationRequest.Status.REJECTED, reason)
        _tell_not_applied(realloc, actor, reason)
        return
    tree, lines = _locked_tree(plan)
    try:
        changed = tree.reallocate(realloc.from_line_id, realloc.to_line_id, realloc.amount)
    except LedgerError:
        reserve = tree.reserve(realloc.from_line_id)
        reason = (
            f"Not applied: “{lines[realloc.from_line_id].name}” now has only {_fmt(ws, reserve)} "
            f"unallocated, less than the {_fmt(ws, realloc.amount)} to move."
        )
        _finish(realloc, actor, ReallocationRequest.Status.REJECTED, reason)
        _tell_not_applied(realloc, actor, reason)
        return
    for pk, amount in changed.items():
        _save_amount(actor, lines[pk], amount)
    _finish(realloc, actor, ReallocationRequest.Status.APPLIED)


def _tell_not_applied(realloc: ReallocationRequest, actor, reason: str) -> None:
    person = realloc.requested_by
    notify(
        workspace=realloc.workspace,
        users=[person.user] if person.user_id else [],
        exclude=actor,
        subject=f"Reallocation not applied: {realloc.from_line.name} → {realloc.to_line.name}",
        body=reason,
        url=reverse(
            "budget_reallocations", kwargs={"ws": realloc.workspace.slug, "budgetplan_pk": realloc.plan_id}
        ),
    )
