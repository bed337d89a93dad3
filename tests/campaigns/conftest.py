"""Acme's team (see tests/org/test_approvals.Team) planning campaigns: objectives with KPIs, a segment,
the built-in channels, and a helper that creates a campaign the way the campaign form does."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from opencmo.campaigns.models import Channel
from opencmo.campaigns.services import campaign_create, channels_seed
from opencmo.org.models import Activity, DecisionKind, Role
from opencmo.org.raci_services import activity_create, authority_set, raci_set
from opencmo.strategy.models import Kpi, Objective, Segment
from opencmo.work.models import Task
from tests.org.test_approvals import Team


class Plan:
    """Objectives, KPIs, segments and channels of Acme, and shortcuts to make campaigns and tasks."""

    def __init__(self, team: Team):
        self.team, ws = team, team.ws
        self.ws = ws
        channels_seed(actor=None, workspace=ws)
        self.channel = {c.key: c for c in Channel.objects.filter(workspace=ws)}
        self.hikers = Segment.objects.create(workspace=ws, name="Urban hikers 25-40")
        self.retail = Segment.objects.create(workspace=ws, name="Nordic sports retailers", is_b2b=True)
        year = timezone.localdate().year
        self.sales = Objective.objects.create(
            workspace=ws, title="Grow online sales", start_date=date(year, 1, 1), end_date=date(year, 12, 31)
        )
        self.brand = Objective.objects.create(
            workspace=ws, title="Brand awareness", start_date=date(year, 1, 1), end_date=date(year, 12, 31)
        )
        self.orders = Kpi.objects.create(
            workspace=ws,
            objective=self.sales,
            name="Online orders",
            baseline=Decimal("3000"),
            target=Decimal("5000"),
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
        )
        self.cpa = Kpi.objects.create(
            workspace=ws,
            objective=self.sales,
            name="Cost per order",
            unit=Kpi.Unit.CURRENCY,
            direction=Kpi.Direction.DOWN,
            baseline=Decimal("250"),
            target=Decimal("200"),
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
        )
        self.recall = Kpi.objects.create(
            workspace=ws,
            objective=self.brand,
            name="Aided recall",
            unit=Kpi.Unit.PERCENT,
            baseline=Decimal("12"),
            target=Decimal("20"),
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
        )

    def campaign(self, name="Spring hiking push", *, actor=None, start=None, days=28, **kwargs):
        start = start or timezone.localdate()
        fields = {
            "objectives": [self.sales],
            "channels": [self.channel["paid_social"], self.channel["email"]],
            "segment": self.hikers,
            "accountable": self.team.marta_p,
            "responsible": [self.team.bob_p],
        }
        fields.update(kwargs)
        return campaign_create(
            actor=actor or self.team.bob,
            workspace=self.ws,
            name=name,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            **fields,
        )

    def task(self, title, *, campaign=None, due=None, responsible=None, restricted=False, status="todo"):
        activity = activity_create(
            actor=None, workspace=self.ws, name=title, kind=Activity.Kind.TASK, restricted=restricted
        )
        raci_set(actor=None, activity=activity, person=responsible or self.team.bob_p, letters="R")
        raci_set(actor=None, activity=activity, person=self.team.marta_p, letters="A")
        return Task.objects.create(
            workspace=self.ws, title=title, campaign=campaign, due_date=due, activity=activity, status=status
        )


@pytest.fixture
def team(acme, alice, bob):
    team = Team(acme, alice, bob)
    # The marketing manager may approve launches (as in the demo company).
    mm = Role.objects.get(workspace=acme, key="marketing_manager")
    authority_set(actor=alice, workspace=acme, kind=DecisionKind.LAUNCH, role=mm)
    return team


@pytest.fixture
def plan(team):
    return Plan(team)
