"""The REST API answers only inside the caller's workspaces."""

import pytest

from opencmo.org.models import Person


@pytest.mark.django_db
def test_people_in_own_workspace(client, alice, acme, globex):
    client.force_login(alice)
    page = client.get("/api/w/acme/people").json()
    people = page["items"]
    assert page["total"] == 2 and page["offset"] == 0
    assert {p["name"] for p in people} == {"Alice Andersen", "Acme Specialist"}
    specialist = next(p for p in people if p["name"] == "Acme Specialist")
    assert specialist["roles"] == ["acme-influencer-lead"]
    assert client.get(f"/api/w/acme/people/{specialist['id']}").json()["name"] == "Acme Specialist"


@pytest.mark.django_db
def test_foreign_workspace_and_objects_are_404(client, alice, acme, globex):
    client.force_login(alice)
    foreign = Person.objects.filter(workspace=globex).first()
    assert client.get("/api/w/globex/people").status_code == 404
    assert client.get(f"/api/w/acme/people/{foreign.pk}").json() == {"detail": "Not found.", "errors": []}


@pytest.mark.django_db
def test_schema_and_docs_are_served_locally(client, alice):
    client.force_login(alice)
    schema = client.get("/api/openapi.json").json()
    assert "/api/w/{ws}/people" in schema["paths"]
    docs = client.get("/api/docs").content.decode()
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()


@pytest.mark.django_db
def test_activities_findings_and_setting_letters(client, alice, acme, globex):
    client.force_login(alice)
    activities = client.get("/api/w/acme/activities").json()["items"]
    assert [a["name"] for a in activities] == ["Acme monthly newsletter"]
    act = activities[0]
    assert {e["letter"] for e in act["entries"]} == {"A", "R"} and len(act["people"]["A"]) == 1
    boss = act["people"]["A"][0]
    response = client.post(
        f"/api/w/acme/activities/{act['id']}/raci",
        {"person_id": boss, "letters": "ai"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["letters"] == ["A", "I"]
    assert "accountable_and_informed" in {f["code"] for f in response.json()["findings"]}
    assert "accountable_and_informed" in {f["code"] for f in client.get("/api/w/acme/raci/findings").json()}
    bad = client.post(
        f"/api/w/acme/activities/{act['id']}/raci",
        {"person_id": boss, "letters": "Z"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "not Z" in bad.json()["detail"]
    assert bad.json()["errors"][0]["message"] == bad.json()["detail"]
    foreign = Person.objects.filter(workspace=globex).first()
    leak = client.post(
        f"/api/w/acme/activities/{act['id']}/raci",
        {"person_id": foreign.pk, "letters": "R"},
        content_type="application/json",
    )
    assert leak.status_code == 422  # a foreign person is simply not in this workspace
    assert leak.json()["errors"] == [
        {"field": "person_id", "message": f"No person {foreign.pk} in this workspace."}
    ]


@pytest.mark.django_db
def test_members_without_rights_get_403(client, bob, acme):
    client.force_login(bob)
    act = client.get("/api/w/acme/activities").json()["items"][0]
    response = client.post(
        f"/api/w/acme/activities/{act['id']}/raci",
        {"person_id": act["people"]["A"][0], "letters": "R"},
        content_type="application/json",
    )
    assert response.status_code == 403
