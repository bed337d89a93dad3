"""Demo budgets: two years (last year closed, this year active) with daily spend by channel and campaign,
built through the services as the system (actor=None), so every row is valid and audited.

Call `build(workspace)` from the demo loader after people, objectives and campaigns exist: it uses the
workspace's objectives and campaigns when there are any (campaign spend is imported daily from "ad
platforms" and matched by campaign code), and books weekly invoices on channel lines. It also stores EUR
exchange rates, agency commitments, a few unmatched platform rows and one reallocation waiting for
approval. Running it again for a workspace that already has the demo plans does nothing.
"""

import contextlib
import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from opencmo.budget import ledger, services
from opencmo.budget.models import BudgetLine, BudgetPlan
from opencmo.campaigns.models import BUILTIN_CHANNELS, Campaign, Channel
from opencmo.core.models import Workspace
from opencmo.org import raci
from opencmo.org.models import Person
from opencmo.strategy.models import Objective

D = Decimal
# Share of the year's budget per channel (the rest stays in the total's reserve).
SHARES = {
    "paid_search": D("0.24"),
    "paid_social": D("0.20"),
    "display": D("0.07"),
    "events": D("0.12"),
    "offline_print": D("0.06"),
    "tv_radio": D("0.06"),
    "email": D("0.05"),
    "seo_content": D("0.07"),
    "organic_social": D("0.03"),
    "partnerships": D("0.03"),
}
PLATFORM = {"paid_search": "google_ads", "paid_social": "meta", "display": "dv360"}
# An outdoor-clothing year: spring hiking, a summer dip, the autumn and pre-winter peak.
SEASON = [D(w) for w in (6, 5, 8, 9, 8, 6, 5, 8, 11, 13, 14, 7)]
TOTALS = (D("5400000"), D("6000000"))  # last year, this year (workspace currency)


def _channels(workspace: Workspace) -> dict[str, Channel]:
    names = dict(BUILTIN_CHANNELS)
    out = {}
    for key in SHARES:
        out[key], _ = Channel.objects.get_or_create(
            workspace=workspace, key=key, defaults={"name": names.get(key, key), "is_builtin": True}
        )
    return out


def _noisy(rng: random.Random, amount: Decimal) -> Decimal:
    return ledger.money(amount * D(rng.randint(70, 130)) / 100)


def _year_plan(workspace, year: int, total: Decimal, channels: dict[str, Channel], rng) -> BudgetPlan:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    plan = services.plan_create(
        actor=None, workspace=workspace, name=f"FY {year}", start_date=start, end_date=end, total=total
    )
    root = plan.lines.get()
    # The objectives most campaigns serve, so the campaigns fit under them.
    objectives = list(
        Objective.objects.filter(workspace=workspace, start_date__lte=end, end_date__gte=start)
        .annotate(served=Count("campaigns"))
        .order_by("-served", "pk")[:2]
    )
    parents = {}
    if objectives:
        # Performance channels serve the first objective; events, print, TV/radio the second (or the first).
        assign = {
            "paid_search": objectives[0],
            "paid_social": objectives[0],
            "display": objectives[0],
            "events": objectives[-1],
            "offline_print": objectives[-1],
            "tv_radio": objectives[-1],
        }
        for objective in dict.fromkeys(assign.values()):
            keys = [k for k, o in assign.items() if o == objective]
            amount = sum((ledger.money(total * SHARES[k]) for k in keys), D(0))
            line = services.line_allocate(
                actor=None, parent=root, level="objective", objective=objective, amount=amount
            )
            parents.update(dict.fromkeys(keys, line))
    lines = {}
    for key, share in SHARES.items():
        parent = parents.get(key, root)
        lines[key] = services.line_allocate(
            actor=None,
            parent=parent,
            level="channel",
            channel=channels[key],
            amount=ledger.money(total * share),
        )
    campaigns = Campaign.objects.filter(workspace=workspace, start_date__lte=end, end_date__gte=start)
    for campaign in campaigns.prefetch_related("channels", "objectives"):
        on = [c.key for c in campaign.channels.all() if c.key in lines]
        if not on:
            continue
        line = lines[on[0]]
        amount = ledger.money(line.amount * D(rng.randint(25, 45)) / 100)
        with contextlib.suppress(ValidationError):  # a campaign that does not fit (objective) is left out
            services.line_allocate(
                actor=None, parent=line, level="campaign", campaign=campaign, amount=amount
            )
    services.line_allocate(
        actor=None,
        parent=root,
        level="other",
        name="Agency retainer (Fjord & Fjell)",
        amount=total * D("0.04"),
    )
    months = services.plan_months(plan)
    leaves = BudgetLine.objects.filter(plan=plan, children__isnull=True).exclude(parent__isnull=True)
    for line in leaves.select_related("campaign"):  # lines above roll up what is under them
        weights = SEASON
        if line.campaign_id:  # a campaign spends only in the months it runs
            c = line.campaign
            weights = [
                w if c.start_date <= ledger.next_month(m) - dt.timedelta(days=1) and c.end_date >= m else D(0)
                for w, m in zip(SEASON, months, strict=True)
            ]
        split = ledger.split_by_shape(line.amount, weights)
        services.phasing_set(actor=None, line=line, planned=dict(zip(months, split, strict=True)))
    return plan


def _spend(workspace, plan: BudgetPlan, until: dt.date, rng) -> None:
    figures = {row.pk: row for row in _rows(plan)}
    rows_by_platform: dict[str, list[dict]] = {}
    for row in figures.values():
        line = row.line
        if line.level == "campaign":
            channel = line.parent.channel
            platform = PLATFORM.get(channel.key) if channel else None
            if platform is None:  # not an ad platform: the agency or supplier invoices monthly
                for month in row.pacing.months:
                    date = month.month.replace(day=15)
                    if date > until or month.planned <= 0:
                        continue
                    services.spend_create(
                        actor=None,
                        workspace=workspace,
                        date=date,
                        amount=_noisy(rng, month.planned),
                        line=line,
                        description=f"{line.name}: invoice {date:%B %Y}",
                    )
                continue
            for month in row.pacing.months:
                days = ledger.days_in_month(month.month)
                daily = month.planned / days
                for day in range(1, days + 1):
                    date = month.month.replace(day=day)
                    if date > until:
                        break
                    rows_by_platform.setdefault(platform, []).append(
                        {
                            "date": date,
                            "amount": _noisy(rng, daily),
                            "currency": workspace.currency,
                            "external_campaign": f"NO | {line.campaign.code} | {channel.name}",
                            "channel": channel.key,
                            "natural_key": f"{platform}:{line.campaign.code}:{date:%Y-%m-%d}",
                        }
                    )
        elif line.level == "channel" or line.level == "other":
            # Always-on spend on the line itself (what its campaigns do not take): weekly invoices.
            for i, month in enumerate(row.pacing.months):
                below = sum((figures[c].pacing.months[i].planned for c in row.children), D(0))
                own = max(month.planned - below, D(0))
                for day in (7, 14, 21, 28):
                    date = month.month.replace(day=day)
                    if date > until:
                        break
                    amount = _noisy(rng, own / 4)
                    if amount <= 0:
                        continue
                    euro = line.level == "other" or (
                        line.channel and line.channel.key == "events" and day == 14
                    )
                    currency = "EUR" if euro else workspace.currency
                    if euro:
                        rate = services.rate_for(workspace, "EUR", date)
                        amount = ledger.money(amount / rate)
                    services.spend_create(
                        actor=None,
                        workspace=workspace,
                        date=date,
                        amount=amount,
                        currency=currency,
                        line=line,
                        description=f"{line.name}: invoice week {date:%V}",
                    )
    for platform, rows in rows_by_platform.items():
        result = services.spend_import_rows(actor=None, workspace=workspace, rows=rows, platform=platform)
        if not result.ok:  # pragma: no cover - the demo's own rows are valid
            raise RuntimeError(f"Demo spend import failed: {result.problems[:3]}")


def _rows(plan: BudgetPlan):
    from opencmo.budget import selectors

    return selectors.plan_figures(plan).rows


def _rates(workspace, years: list[int], rng) -> None:
    rate = D("11.40")
    for year in years:
        for month in range(1, 13):
            rate = (rate + D(rng.randint(-15, 15)) / 100).quantize(D("0.0001"))
            services.rate_set(
                actor=None, workspace=workspace, currency="EUR", date=dt.date(year, month, 1), rate=rate
            )


@transaction.atomic
def build(workspace: Workspace, *, seed: int = 2026, today: dt.date | None = None) -> list[BudgetPlan]:
    today = today or timezone.localdate()
    this_year = today.year
    if BudgetPlan.objects.filter(
        workspace=workspace, name__in=[f"FY {this_year - 1}", f"FY {this_year}"]
    ).exists():
        return list(BudgetPlan.objects.filter(workspace=workspace))
    if not Person.objects.filter(workspace=workspace, roles__key="cmo", is_active=True).exists():
        return []  # plans need a CMO to be Accountable
    rng = random.Random(seed)
    team = Person.objects.filter(workspace=workspace, is_active=True, organisation="").count()
    totals = TOTALS if team > 4 else tuple(t / 10 for t in TOTALS)  # a small team gets a small budget
    channels = _channels(workspace)
    _rates(workspace, [this_year - 1, this_year], rng)
    last = _year_plan(workspace, this_year - 1, totals[0], channels, rng)
    _spend(workspace, last, dt.date(this_year - 1, 12, 31), rng)
    current = _year_plan(workspace, this_year, totals[1], channels, rng)
    for line in (
        current.lines.filter(children__isnull=True).exclude(parent__isnull=True).exclude(level="campaign")
    ):
        with contextlib.suppress(ValidationError):  # a line new this year keeps its seasonal phasing
            services.phasing_copy_last_year(actor=None, line=line)
    _spend(workspace, current, today - dt.timedelta(days=1), rng)
    _commitments(current, today)
    _unmatched(workspace, today)
    services.plan_update(actor=None, plan=last, status=BudgetPlan.Status.CLOSED)
    services.plan_update(actor=None, plan=current, status=BudgetPlan.Status.ACTIVE)
    _pending_reallocation(current)
    return [last, current]


def _commitments(plan: BudgetPlan, today: dt.date) -> None:
    events = plan.lines.filter(channel__key="events").first()
    retainer = plan.lines.filter(level="other").first()
    month = ledger.next_month(ledger.month_start(today))
    if events is not None and month <= plan.end_date:
        services.commitment_create(
            actor=None,
            line=events,
            supplier="Norway Trade Fairs",
            reference="PO-2231",
            month=month,
            amount=ledger.money(events.amount * D("0.12")),
            note="Stand at the autumn outdoor fair",
        )
    if retainer is not None and month <= plan.end_date:
        services.commitment_create(
            actor=None,
            line=retainer,
            supplier="Fjord & Fjell Digital",
            reference="AGR-2024-07",
            month=month,
            amount=ledger.money(retainer.amount / 12),
        )


def _unmatched(workspace: Workspace, today: dt.date) -> None:
    yesterday = today - dt.timedelta(days=1)
    rows = [
        {
            "date": yesterday - dt.timedelta(days=i),
            "amount": D(amount),
            "currency": workspace.currency,
            "external_campaign": "NO_Retargeting_Test_Q4",
            "natural_key": f"meta:retargeting-test:{i}",
        }
        for i, amount in enumerate(("1840.50", "2210.00", "1975.25"))
    ]
    services.spend_import_rows(actor=None, workspace=workspace, rows=rows, platform="meta")


def _pending_reallocation(plan: BudgetPlan) -> None:
    """The marketing manager (R) asks to move money from the total's reserve to paid social."""
    responsible = raci.resolve(plan.activity)["R"]
    person = Person.objects.filter(pk__in=responsible, user__isnull=False).order_by("pk").first()
    social = plan.lines.filter(channel__key="paid_social").first()
    root = plan.lines.get(parent__isnull=True)
    if person is None or social is None:
        return
    reserve = ledger.Tree((line.pk, line.parent_id, line.amount) for line in plan.lines.all()).reserve(
        root.pk
    )
    amount = min(D("120000"), reserve)
    if amount > 0:
        services.reallocation_request(
            actor=person.user,
            from_line=root,
            to_line=social,
            amount=amount,
            reason="Paid social outperforms search on cost per lead this autumn; move part of the reserve.",
        )
