"""The strategy team: Acme's Team (Carl CEO ← Alice CMO/admin ← Marta MM ← Bob content; Sam sales,
Olga analyst, Agnes agency) plus Stina, a strategist reporting to Alice, and Vera who only views."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opencmo.core.models import Access
from opencmo.core.services import membership_add
from opencmo.org.models import Role
from opencmo.org.raci_services import activity_create
from opencmo.org.services import person_create
from opencmo.strategy import services
from opencmo.strategy.models import StrategyVersion
from tests.conftest import make_user
from tests.org.test_approvals import Team

# A year-long plan that started 180 days ago, so actuals can be entered up to today.
YEAR_START = timezone.localdate() - timedelta(days=180)
YEAR_END = YEAR_START + timedelta(days=364)


class StrategyTeam(Team):
    def __init__(self, acme, alice, bob, vera):
        super().__init__(acme, alice, bob)
        self.stina = make_user("stina@acme.example", "Stina", "Strand")
        membership_add(actor=alice, workspace=acme, user=self.stina, access=Access.MEMBER)
        self.stina_p = person_create(
            actor=alice,
            workspace=acme,
            name="Stina Strand",
            user=self.stina,
            reports_to=self.alice_p,
            roles=[Role.objects.get(workspace=acme, key="strategist")],
        )
        self.vera = vera
        # A known starting point whatever tests/conftest.py seeds: v1 approved ("Warm"), proposed by
        # Alice and approved by Carl, her manager.
        StrategyVersion.objects.filter(workspace=acme).delete()
        self.v1 = services.strategy_draft_create(actor=None, workspace=acme)
        services.strategy_draft_update(actor=None, version=self.v1, positioning="Warm")
        services.strategy_propose(actor=None, version=self.v1, change_summary="First", proposer=self.alice_p)
        services.strategy_decide(actor=None, version=self.v1, approve=True)


@pytest.fixture
def team(acme, alice, bob, vera):
    return StrategyTeam(acme, alice, bob, vera)


@pytest.fixture
def plan(team):
    """A goal, an objective owned by Marta with a cumulative and a level KPI."""
    goal = services.goal_create(actor=team.alice, workspace=team.ws, title="Double B2C revenue by 2028")
    objective = services.objective_create(
        actor=team.alice,
        workspace=team.ws,
        title="Grow online sales in 2026",
        start_date=YEAR_START,
        end_date=YEAR_END,
        owner=team.marta_p,
        goals=[goal],
    )
    leads = services.kpi_create(
        actor=team.alice,
        objective=objective,
        name="Qualified leads",
        target=1000,
        period_start=YEAR_START,
        period_end=YEAR_END,
    )
    nps = services.kpi_create(
        actor=team.alice,
        objective=objective,
        name="NPS",
        target=50,
        baseline=30,
        unit="score",
        cumulative=False,
        period_start=YEAR_START,
        period_end=YEAR_END,
    )
    return {"goal": goal, "objective": objective, "leads": leads, "nps": nps}


@pytest.fixture
def foreign(globex):
    """Strategy objects in Globex, a workspace Acme's people must never reach."""
    objective = services.objective_create(
        actor=None, workspace=globex, title="Globex leads", start_date=YEAR_START, end_date=YEAR_END
    )
    kpi = services.kpi_create(
        actor=None, objective=objective, name="Leads", target=10, period_start=YEAR_START, period_end=YEAR_END
    )
    draft = services.strategy_draft_create(actor=None, workspace=globex)
    return {
        "goal": services.goal_create(actor=None, workspace=globex, title="Globex grows"),
        "objective": objective,
        "kpi": kpi,
        "actual": services.kpi_actual_record(actor=None, kpi=kpi, date=YEAR_START, value=1),
        "segment": services.segment_create(actor=None, workspace=globex, name="Globex retailers"),
        "version": draft,
    }


def make_campaign(workspace, name, objective, **extra):
    """A campaign row with its own activity (the campaigns app's services are not needed to read)."""
    from opencmo.campaigns.models import Campaign

    activity = activity_create(actor=None, workspace=workspace, name=name, kind="campaign")
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=name,
        code=name.lower().replace(" ", "-"),
        start_date=extra.pop("start_date", YEAR_START),
        end_date=extra.pop("end_date", YEAR_END),
        activity=activity,
        **extra,
    )
    campaign.objectives.add(objective)
    return campaign


def make_task(campaign, title, status="todo", due=None):
    from opencmo.work.models import Task

    activity = activity_create(actor=None, workspace=campaign.workspace, name=title, kind="task")
    return Task.objects.create(
        workspace=campaign.workspace,
        campaign=campaign,
        title=title,
        status=status,
        due_date=due,
        activity=activity,
    )
