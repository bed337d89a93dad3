"""Activity pages: what each RACI letter sees and can do in the browser."""

import pytest

from opencmo.org.models import ApprovalRequest, DecisionAuthority
from opencmo.org.raci_services import activity_update
from tests.org.test_approvals import Team


@pytest.fixture
def team(acme, alice, bob):
    return Team(acme, alice, bob)


def url(team):
    return f"/w/acme/org/activities/{team.activity.pk}/"


@pytest.mark.django_db
def test_request_signoff_and_approve_through_the_page(client, team):
    client.force_login(team.bob)
    page = client.get(url(team)).content.decode()
    assert "Ask for approval" in page and 'your letters: <strong data-testid="my-letters">R</strong>' in page
    response = client.post(url(team), {"action": "request", "kind": "content", "summary": "Lookbook"})
    assert response.status_code == 302
    client.force_login(team.marta)
    blocked = client.post(
        url(team), {"action": "decide", "decision": "approve"}, follow=True
    ).content.decode()
    assert "Waiting for sign-off from Sam" in blocked
    client.force_login(team.sam)
    assert "Send sign-off" in client.get(url(team)).content.decode()
    client.post(url(team), {"action": "signoff", "decision": "agree", "comment": ""})
    client.force_login(team.marta)
    assert "Record decision" in client.get(url(team)).content.decode()
    client.post(url(team), {"action": "decide", "decision": "approve", "comment": "Ship it"})
    assert ApprovalRequest.objects.get().status == "approved"


@pytest.mark.django_db
def test_informed_views_but_cannot_act(client, team):
    client.force_login(team.carl)
    page = client.get(url(team)).content.decode()
    assert (
        "Spring campaign content" in page and "Ask for approval" not in page and "Close activity" not in page
    )
    assert client.post(url(team), {"action": "close"}).status_code == 403
    assert client.post(url(team), {"action": "edit", "name": "Hacked", "kind": "process"}).status_code == 403
    assert client.post(url(team), {"action": "request", "kind": "content", "summary": "x"}).status_code == 403


@pytest.mark.django_db
def test_outsiders_do_not_see_restricted_work(client, team):
    activity_update(actor=team.alice, activity=team.activity, restricted=True)
    client.force_login(team.olga)
    assert client.get(url(team)).status_code == 404
    assert "Spring campaign content" not in client.get("/w/acme/org/activities/").content.decode()
    client.force_login(team.agnes)
    assert client.get(url(team)).status_code == 404


@pytest.mark.django_db
def test_bad_input_is_shown_not_crashed(client, team):
    client.force_login(team.bob)
    page = client.post(url(team), {"action": "request", "kind": "budget", "summary": "More", "amount": "abc"})
    assert page.status_code == 200 and "Enter a number" in page.content.decode()
    page = client.post(url(team), {"action": "request", "kind": "budget", "summary": "More"})
    assert "A budget request needs a positive amount" in page.content.decode()
    assert client.post(url(team), {"action": "nonsense"}, follow=True).status_code == 200


@pytest.mark.django_db
def test_authority_page_route_finder_and_admin_grants(client, team):
    client.force_login(team.bob)
    page = client.get(
        "/w/acme/org/authority/", {"person": team.marta_p.pk, "kind": "budget", "amount": "500000"}
    ).content.decode()
    assert "Marta" in page and "Alice Andersen" in page and "approves" in page
    assert (
        client.post("/w/acme/org/authority/", {"kind": "budget", "person": team.bob_p.pk}).status_code == 403
    )
    client.force_login(team.alice)
    client.post("/w/acme/org/authority/", {"kind": "budget", "person": team.bob_p.pk, "max_amount": "5000"})
    grant = DecisionAuthority.objects.get(person=team.bob_p)
    assert grant.max_amount == 5000
    both = client.post(
        "/w/acme/org/authority/", {"kind": "budget", "person": team.bob_p.pk, "role": grant.workspace.pk}
    ).content.decode()
    assert "Choose either a role or a person" in both or "Select a valid choice" in both
    client.post(
        "/w/acme/org/authority/", {"policy": "1", "max_accountable": "3", "max_responsible_open": "4"}
    )
    from opencmo.org.raci import policy_for

    assert policy_for(team.ws).max_accountable == 3
    client.post(f"/w/acme/org/authority/{grant.pk}/revoke/")
    assert not DecisionAuthority.objects.filter(pk=grant.pk).exists()
