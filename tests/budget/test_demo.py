"""The demo budgets: two years, daily spend, all through the services; the trees stay whole."""

import datetime as dt
import time

import pytest

from opencmo.budget import demo, ledger, selectors
from opencmo.budget.models import BudgetPlan, ReallocationRequest, SpendEntry
from tests.budget.conftest import make_campaign

pytestmark = pytest.mark.django_db


def test_demo_builds_two_years_with_daily_spend(team):
    from opencmo.campaigns.models import Channel
    from opencmo.strategy.models import Objective

    ws, today = team.ws, dt.date(2026, 9, 15)
    search, _ = Channel.objects.get_or_create(
        workspace=ws, key="paid_search", defaults={"name": "Paid search"}
    )
    objective = Objective.objects.create(
        workspace=ws, title="Grow web sales", start_date=dt.date(2025, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    make_campaign(
        ws,
        "Autumn hike",
        "autumn-hike",
        channels=[search],
        objectives=[objective],
        start=dt.date(2025, 8, 1),
        end=dt.date(2026, 10, 31),
    )
    started = time.monotonic()
    last, current = demo.build(ws, today=today)
    elapsed = time.monotonic() - started
    assert (last.status, current.status) == (BudgetPlan.Status.CLOSED, BudgetPlan.Status.ACTIVE)
    for plan in (last, current):
        tree = ledger.Tree((line.pk, line.parent_id, line.amount) for line in plan.lines.all())
        assert tree.violations() == []
        assert plan.lines.filter(level="objective").exists() and plan.lines.filter(level="campaign").exists()
    imported = SpendEntry.objects.filter(workspace=ws, source="import", campaign__code="autumn-hike")
    assert (
        imported.filter(date=dt.date(2026, 9, 14)).exists() and not imported.filter(date__gte=today).exists()
    )
    figures = selectors.plan_figures(current, today)
    assert figures.root.actual > 0 and figures.root.pacing.months[9].actual == 0  # nothing booked in October
    assert selectors.unmatched_groups(ws)[0]["external_campaign"] == "NO_Retargeting_Test_Q4"
    assert ReallocationRequest.objects.filter(plan=current, status="pending").exists()
    assert demo.build(ws, today=today)  # a second run changes nothing
    assert BudgetPlan.objects.filter(workspace=ws).count() == 2
    assert elapsed < 60, f"demo budgets took {elapsed:.1f}s"
