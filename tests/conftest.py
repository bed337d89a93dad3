"""Shared personas. Alice is the CMO of Acme and administers it; Bob is a member of Acme (a content
producer); Vera only views Acme; Eve administers Globex, a workspace the others must never see into."""

import importlib
import os

import pytest
from django.contrib.auth import get_user_model

from opencmo.core.models import Access
from opencmo.core.notifications import notify
from opencmo.core.services import membership_add, workspace_create
from opencmo.org.models import Person, Role, RoleReview
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.org.services import person_create, role_create

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, first: str = "", last: str = ""):
    return get_user_model().objects.create_user(
        email=email, password=PASSWORD, first_name=first, last_name=last
    )


def seed_workspace(name: str, slug: str, admin, currency: str = "EUR"):
    """A workspace with its admin as a person, one custom role and a second person reporting to them."""
    workspace = workspace_create(actor=admin, name=name, slug=slug, currency=currency)
    cmo = Role.objects.get(workspace=workspace, key="cmo")
    boss = person_create(
        actor=admin, workspace=workspace, name=admin.get_full_name() or admin.email, user=admin, roles=[cmo]
    )
    role = role_create(actor=admin, workspace=workspace, name=f"{name} influencer lead")
    specialist = person_create(
        actor=admin, workspace=workspace, name=f"{name} Specialist", reports_to=boss, roles=[role]
    )
    newsletter = activity_create(actor=admin, workspace=workspace, name=f"{name} monthly newsletter")
    raci_set(actor=admin, activity=newsletter, person=boss, letters="A")
    raci_set(actor=admin, activity=newsletter, person=specialist, letters="R")
    # One of every other workspace-scoped object, so the tenant-isolation walk can aim at each.
    RoleReview.objects.create(workspace=workspace, held_by=admin, notes=f"{name} spring review")
    notify(workspace=workspace, users=[admin], subject=f"Welcome to {name}")
    return workspace


def seed_plan_objects(workspace, admin) -> None:
    """Strategy, campaign, work and budget rows for the tenant-isolation walk, made directly (not through
    services) so the walk does not depend on the behaviour under test."""
    import datetime as dt
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from opencmo.budget import models as budget
    from opencmo.campaigns import models as campaigns
    from opencmo.data.models import CollectSite, ImportRun
    from opencmo.strategy import models as strategy
    from opencmo.work import models as work
    from tests.crm.seed import seed_crm_objects

    ws, d0, d1 = workspace, dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    name = workspace.name
    boss = Person.objects.get(workspace=ws, user=admin)
    specialist = Person.objects.get(workspace=ws, name=f"{name} Specialist")
    goal = strategy.CompanyGoal.objects.create(workspace=ws, title=f"{name} grows")
    objective = strategy.Objective.objects.create(
        workspace=ws, title=f"{name} leads", start_date=d0, end_date=d1, owner=boss
    )
    objective.goals.add(goal)
    kpi = strategy.Kpi.objects.create(
        workspace=ws, objective=objective, name="Leads", target=100, period_start=d0, period_end=d1
    )
    strategy.KpiActual.objects.create(workspace=ws, kpi=kpi, date=d0, value=5)
    segment = strategy.Segment.objects.create(workspace=ws, name=f"{name} retailers")
    strategy.StrategyVersion.objects.create(workspace=ws, number=1, status="approved", positioning="Warm")
    channel = campaigns.Channel.objects.create(workspace=ws, key="email", name="Email", is_builtin=True)
    campaign_activity = activity_create(actor=None, workspace=ws, name=f"{name} spring", kind="campaign")
    campaign = campaigns.Campaign.objects.create(
        workspace=ws,
        name=f"{name} spring",
        code="spring",
        start_date=d0,
        end_date=d1,
        segment=segment,
        activity=campaign_activity,
    )
    campaign.objectives.add(objective)
    campaign.channels.add(channel)
    campaigns.ExpectedResult.objects.create(workspace=ws, campaign=campaign, kpi=kpi, value=10)
    campaigns.CalendarFeed.objects.create(workspace=ws, user=admin, token_hash=f"{ws.slug}-feed-hash")
    campaigns.PlatformCampaign.objects.create(
        workspace=ws, platform="meta", external_name="Spring", campaign=campaign
    )
    task_activity = activity_create(actor=None, workspace=ws, name=f"{name} banner", kind="task")
    raci_set(actor=None, activity=task_activity, person=boss, letters="A")
    raci_set(actor=None, activity=task_activity, person=specialist, letters="R")
    task = work.Task.objects.create(
        workspace=ws, title=f"{name} banner", campaign=campaign, activity=task_activity
    )
    work.ChecklistItem.objects.create(workspace=ws, task=task, text="Draft")
    work.Comment.objects.create(workspace=ws, task=task, author=admin, body="Looks good")
    attachment = work.Attachment(
        workspace=ws,
        task=task,
        original_name="brief.txt",
        content_type="text/plain",
        size=5,
        uploaded_by=admin,
    )
    attachment.file.save("brief.txt", ContentFile(b"brief"), save=True)
    plan_activity = activity_create(actor=None, workspace=ws, name=f"Budget {name} 2026")
    raci_set(actor=None, activity=plan_activity, person=boss, letters="A")
    plan = budget.BudgetPlan.objects.create(
        workspace=ws, name="2026", start_date=d0, end_date=d1, activity=plan_activity
    )
    root = budget.BudgetLine.objects.create(workspace=ws, plan=plan, level="total", name="Total", amount=1000)
    line = budget.BudgetLine.objects.create(
        workspace=ws, plan=plan, parent=root, level="channel", name="Email", channel=channel, amount=400
    )
    budget.MonthlyAmount.objects.create(workspace=ws, line=line, month=d0, planned=Decimal("400"))
    budget.Commitment.objects.create(workspace=ws, line=line, supplier="Printer", month=d0, amount=50)
    budget.ExchangeRate.objects.create(workspace=ws, currency="USD", date=d0, rate=Decimal("10.5"))
    budget.SpendEntry.objects.create(
        workspace=ws,
        date=d0,
        amount=20,
        currency="USD",
        rate=Decimal("10.5"),
        amount_base=210,
        campaign=campaign,
        channel=channel,
        line=line,
    )
    ImportRun.objects.create(
        workspace=ws,
        kind="google_ads",
        filename="report.csv",
        fingerprint="0" * 64,
        status="checked",
        created_by=admin,
    )
    CollectSite.objects.create(workspace=ws, name=f"{name} site", origin=f"https://{ws.slug}.example")
    seed_crm_objects(ws, admin)
    budget.ReallocationRequest.objects.create(
        workspace=ws,
        plan=plan,
        from_line=root,
        to_line=line,
        amount=10,
        reason="More email",
        requested_by=boss,
    )
    # Each later app seeds its own objects from tests/<app>/seed.py: seed(workspace, admin, context).
    context = {
        "boss": boss,
        "specialist": specialist,
        "objective": objective,
        "kpi": kpi,
        "campaign": campaign,
        "channel": channel,
        "task": task,
        "plan": plan,
        "line": line,
    }
    for app in ("api", "insights", "mmm", "reviews", "webhooks"):
        try:
            module = importlib.import_module(f"tests.{app}.seed")
        except ModuleNotFoundError as error:
            if error.name != f"tests.{app}.seed":
                raise
            continue
        module.seed(ws, admin, context)


@pytest.fixture
def alice(db):
    return make_user("alice@acme.example", "Alice", "Andersen")


@pytest.fixture
def eve(db):
    return make_user("eve@globex.example", "Eve", "Evensen")


@pytest.fixture
def acme(alice):
    return seed_workspace("Acme", "acme", alice, "NOK")


@pytest.fixture
def globex(eve):
    return seed_workspace("Globex", "globex", eve, "DKK")


@pytest.fixture
def bob(acme, alice):
    bob = make_user("bob@acme.example", "Bob", "Berg")
    membership_add(actor=alice, workspace=acme, user=bob, access=Access.MEMBER)
    person_create(
        actor=alice,
        workspace=acme,
        name="Bob Berg",
        user=bob,
        roles=[Role.objects.get(workspace=acme, key="content_producer")],
    )
    return bob


@pytest.fixture
def vera(acme, alice):
    vera = make_user("vera@acme.example", "Vera", "Vik")
    membership_add(actor=alice, workspace=acme, user=vera, access=Access.VIEWER)
    return vera


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"OpenCMO tests on {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db['NAME']})"
