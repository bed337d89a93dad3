"""The REST API answers only inside the caller's workspaces."""

import pytest

from opencmo.org.models import Person


@pytest.mark.django_db
def test_people_in_own_workspace(client, alice, acme, globex):
    client.force_login(alice)
    people = client.get("/api/w/acme/people").json()
    assert {p["name"] for p in people} == {"Alice Andersen", "Acme Specialist"}
    specialist = next(p for p in people if p["name"] == "Acme Specialist")
    assert specialist["roles"] == ["acme-influencer-lead"]
    assert client.get(f"/api/w/acme/people/{specialist['id']}").json()["name"] == "Acme Specialist"


@pytest.mark.django_db
def test_foreign_workspace_and_objects_are_404(client, alice, acme, globex):
    client.force_login(alice)
    foreign = Person.objects.filter(workspace=globex).first()
    assert client.get("/api/w/globex/people").status_code == 404
    assert client.get(f"/api/w/acme/people/{foreign.pk}").json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_schema_and_docs_are_served_locally(client, alice):
    client.force_login(alice)
    schema = client.get("/api/openapi.json").json()
    assert "/api/w/{ws}/people" in schema["paths"]
    docs = client.get("/api/docs").content.decode()
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()
