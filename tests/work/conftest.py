"""Work fixtures: Acme's team (tests.org.test_approvals.Team), a campaign the marketing manager is
Accountable for, and task factories. Uploaded files go to a temporary MEDIA_ROOT."""

import datetime as dt

import pytest

from opencmo.campaigns.models import Campaign
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.work.services import task_create
from tests.org.test_approvals import Team


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def team(acme, alice, bob):
    return Team(acme, alice, bob)


def make_campaign(
    workspace, name="Spring launch", code="spring-launch", *, accountable=None, restricted=False
):
    activity = activity_create(
        actor=None, workspace=workspace, name=name, kind="campaign", restricted=restricted
    )
    if accountable is not None:
        raci_set(actor=None, activity=activity, person=accountable, letters="A")
    return Campaign.objects.create(
        workspace=workspace,
        name=name,
        code=code,
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 6, 30),
        status=Campaign.Status.LIVE,
        activity=activity,
    )


@pytest.fixture
def campaign(team):
    return make_campaign(team.ws, accountable=team.marta_p)


@pytest.fixture
def make_task(team, campaign):
    """A task in Acme: Bob R, Marta A, Sam C, Carl I, in the spring campaign, made by the system."""

    def make(title="Write the spring blog post", **kw):
        kw.setdefault("campaign", campaign)
        kw.setdefault("responsible", [team.bob_p])
        kw.setdefault("accountable", team.marta_p)
        kw.setdefault("consulted", [team.sam_p])
        kw.setdefault("informed", [team.carl_p])
        return task_create(actor=kw.pop("actor", None), workspace=team.ws, title=title, **kw)

    return make
