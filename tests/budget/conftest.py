"""Budget fixtures: Acme's realistic team (tests.org.test_approvals.Team), an objective, channels and
campaigns made directly (the strategy and campaign services are built elsewhere), and a plan."""

import datetime as dt
from decimal import Decimal

import pytest

from opencmo.budget import services
from opencmo.campaigns.models import Campaign, Channel
from opencmo.org.raci_services import activity_create
from opencmo.strategy.models import Objective
from tests.org.test_approvals import Team

D = Decimal
Y0, Y1 = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def make_campaign(ws, name, code, *, channels=(), objectives=(), start=Y0, end=Y1):
    activity = activity_create(actor=None, workspace=ws, name=name, kind="campaign")
    campaign = Campaign.objects.create(
        workspace=ws, name=name, code=code, start_date=start, end_date=end, activity=activity
    )
    campaign.channels.set(channels)
    campaign.objectives.set(objectives)
    return campaign


class World:
    """Acme with: objective “Grow B2C web sales”; channels paid search, paid social, email; campaigns
    Spring launch (paid search + paid social) and Autumn mailing (email); plan FY 2026 of NOK 1,000,000
    with A = Marta (marketing manager, budget authority 150,000) and R = Bob."""

    def __init__(self, team: Team):
        self.team = t = team
        self.ws = ws = team.ws
        self.search, _ = Channel.objects.get_or_create(
            workspace=ws, key="paid_search", defaults={"name": "Paid search"}
        )
        self.social, _ = Channel.objects.get_or_create(
            workspace=ws, key="paid_social", defaults={"name": "Paid social"}
        )
        self.email, _ = Channel.objects.get_or_create(workspace=ws, key="email", defaults={"name": "Email"})
        self.objective = Objective.objects.create(
            workspace=ws, title="Grow B2C web sales", start_date=Y0, end_date=Y1, owner=t.alice_p
        )
        self.spring = make_campaign(
            ws,
            "Spring launch",
            "spring-launch",
            channels=[self.search, self.social],
            objectives=[self.objective],
        )
        self.autumn = make_campaign(ws, "Autumn mailing", "autumn-mail", channels=[self.email])
        self.plan = services.plan_create(
            actor=t.alice,
            workspace=ws,
            name="FY 2026",
            start_date=Y0,
            end_date=Y1,
            total=D("1000000"),
            accountable=t.marta_p,
            responsible=[t.bob_p],
        )
        self.plan = services.plan_update(actor=t.alice, plan=self.plan, status="active")
        self.root = self.plan.lines.get(parent__isnull=True)

    def tree(self):
        """total → objective (600k) → paid search (300k) → Spring launch (200k); total → email (100k)."""
        t = self.team
        self.obj_line = services.line_allocate(
            actor=t.marta, parent=self.root, level="objective", objective=self.objective, amount=D("600000")
        )
        self.search_line = services.line_allocate(
            actor=t.marta, parent=self.obj_line, level="channel", channel=self.search, amount=D("300000")
        )
        self.spring_line = services.line_allocate(
            actor=t.marta, parent=self.search_line, level="campaign", campaign=self.spring, amount=D("200000")
        )
        self.email_line = services.line_allocate(
            actor=t.marta, parent=self.root, level="channel", channel=self.email, amount=D("100000")
        )
        return self


@pytest.fixture
def team(acme, alice, bob):
    return Team(acme, alice, bob)


@pytest.fixture
def world(team):
    return World(team)


@pytest.fixture
def tree(world):
    return world.tree()
