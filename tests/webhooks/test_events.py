"""Each event is fired by the real service action, reaches a subscribed receiver after commit, and is
not sent when the change is rolled back."""

import datetime as dt

import pytest
from django.db import transaction

from opencmo.budget import alerts
from opencmo.budget import services as budget
from opencmo.campaigns import services as campaigns
from opencmo.org.approvals import approval_decide, approval_request, signoff_answer
from opencmo.webhooks import services
from opencmo.webhooks.models import EventType, WebhookDelivery
from tests.budget.conftest import World
from tests.org.test_approvals import Team
from tests.webhooks.receiver import verify_standard_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(acme, alice, bob):
    return Team(acme, alice, bob)


@pytest.fixture
def hook(acme, alice, receiver):
    endpoint, secret = services.endpoint_create(
        actor=alice, workspace=acme, url=receiver.url, event_types=list(EventType.values)
    )
    endpoint.plain_secret = secret
    return endpoint


def _received(receiver, hook, event_type):
    found = []
    for request in receiver.requests:
        assert verify_standard_webhook(hook.plain_secret, request["headers"], request["body"])
        import json

        body = json.loads(request["body"])
        if body["type"] == event_type:
            found.append(body["data"])
    return found


def test_approval_requested_and_decided(team, hook, receiver, run_on_commit):
    req = run_on_commit(
        approval_request, actor=team.bob, activity=team.activity, kind="content", summary="Publish lookbook"
    )
    [asked] = _received(receiver, hook, "approval.requested")
    assert asked["approval"]["id"] == req.pk and asked["approval"]["summary"] == "Publish lookbook"
    assert (
        asked["approval"]["approver"]["name"] == "Marta"
        and asked["activity"]["name"] == "Spring campaign content"
    )
    assert asked["url"].startswith("/w/acme/")
    run_on_commit(signoff_answer, actor=team.sam, signoff=req.signoffs.get(), agree=True)
    assert _received(receiver, hook, "approval.decided") == []  # a sign-off is not the decision
    run_on_commit(approval_decide, actor=team.marta, request=req, approve=True, comment="Go")
    [decided] = _received(receiver, hook, "approval.decided")
    assert (
        decided["approval"]["status"] == "approved" and decided["approval"]["decided_by"]["name"] == "Marta"
    )
    assert decided["approval"]["comment"] == "Go"


def test_an_objection_is_a_decision_too(team, hook, receiver, run_on_commit):
    req = run_on_commit(approval_request, actor=team.bob, activity=team.activity, kind="content", summary="X")
    run_on_commit(
        signoff_answer, actor=team.sam, signoff=req.signoffs.get(), agree=False, comment="Prices wrong"
    )
    [decided] = _received(receiver, hook, "approval.decided")
    assert decided["approval"]["status"] == "rejected" and "Prices wrong" in decided["approval"]["comment"]


def test_campaign_status_change(team, hook, receiver, run_on_commit):
    world = World(team)
    campaign = world.spring
    from opencmo.org.raci_services import raci_set

    raci_set(actor=team.alice, activity=campaign.activity, person=team.marta_p, letters="A")
    run_on_commit(campaigns.campaign_set_status, actor=team.marta, campaign=campaign, status="planned")
    [changed] = _received(receiver, hook, "campaign.status_changed")
    assert changed["campaign"] == {"id": campaign.pk, "name": "Spring launch", "code": "spring-launch"}
    assert (changed["from"], changed["to"], changed["changed_by"]) == (
        "idea",
        "planned",
        "marta@acme.example",
    )


def test_budget_alert(team, hook, receiver, run_on_commit):
    tree = World(team).tree()
    budget.line_update(actor=team.marta, line=tree.spring_line, accountable=team.bob_p)
    budget.phasing_spread_evenly(actor=team.marta, line=tree.spring_line)
    budget.spend_create(
        actor=team.bob, workspace=tree.ws, date=dt.date(2026, 1, 20), amount="40000", line=tree.spring_line
    )
    run_on_commit(alerts.run, workspace=tree.ws, today=dt.date(2026, 1, 25))
    sent = [a for a in _received(receiver, hook, "budget.alert") if a["line"]["name"] == "Spring launch"]
    assert len(sent) == 1 and sent[0]["kind"] == "over" and sent[0]["month"] == "2026-01-01"
    assert "NOK 40,000.00" in sent[0]["message"] and sent[0]["plan"]["name"] == "FY 2026"
    count = len(receiver.requests)
    run_on_commit(alerts.run, workspace=tree.ws, today=dt.date(2026, 1, 26))
    assert len(receiver.requests) == count  # deduplicated like the inbox alert


def test_mql_handoff(team, hook, receiver, run_on_commit, acme, alice):
    from opencmo.crm import services as crm
    from opencmo.crm.models import LifecycleStage

    crm.ensure_defaults(acme)
    contact = run_on_commit(
        crm.contact_create,
        actor=alice,
        workspace=acme,
        email="kari@kunde.example",
        first_name="Kari",
        last_name="Nordmann",
        stage=LifecycleStage.objects.get(workspace=acme, key="mql"),
    )
    [handed] = _received(receiver, hook, "crm.mql_handoff")
    assert handed["contact"]["id"] == contact.pk and handed["contact"]["email"] == "kari@kunde.example"
    assert handed["handoff"]["assigned_to"]["name"] == "Sam"  # the sales hat, round robin


def test_rolled_back_change_sends_nothing(team, hook, receiver, django_capture_on_commit_callbacks):
    world = World(team)
    from opencmo.org.raci_services import raci_set

    raci_set(actor=team.alice, activity=world.spring.activity, person=team.marta_p, letters="A")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                campaigns.campaign_set_status(actor=team.marta, campaign=world.spring, status="planned")
                raise RuntimeError("something later in the request failed")
        except RuntimeError:
            pass
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
