"""Writing people, objectives and KPIs through the API: the org and strategy services' rules apply
(administrators for people, the objective's owner for objectives and KPIs), every change is audited,
and bad input is a 422 naming the field."""

import pytest

from opencmo.core.models import AuditEvent
from opencmo.org.models import Person
from opencmo.strategy.models import Kpi, Objective

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_people_create_update_and_delete(client, tokens, acme):
    boss = Person.objects.get(workspace=acme, user__email="alice@acme.example")
    body = {"name": "Siri Strand", "email": "siri@acme.example", "roles": ["seo"], "reports_to_id": boss.pk}
    assert client.post("/api/w/acme/people", body, content_type=JSON, **tokens["bob"]).status_code == 403
    made = client.post("/api/w/acme/people", body, content_type=JSON, **tokens["alice"])
    assert made.status_code == 201, made.content
    person = made.json()
    assert person["roles"] == ["seo"] and person["reports_to_id"] == boss.pk
    url = f"/api/w/acme/people/{person['id']}"
    changed = client.patch(
        url, {"title": "SEO lead", "roles": ["seo", "analyst"]}, content_type=JSON, **tokens["alice"]
    )
    assert changed.status_code == 200 and sorted(changed.json()["roles"]) == ["analyst", "seo"]
    assert changed.json()["title"] == "SEO lead"
    bad = client.patch(url, {"roles": ["astronaut"]}, content_type=JSON, **tokens["alice"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "roles"
    loop = client.patch(
        f"/api/w/acme/people/{boss.pk}", {"reports_to_id": person["id"]}, content_type=JSON, **tokens["alice"]
    )
    assert loop.status_code == 422  # the boss cannot report to their own report
    assert client.delete(url, **tokens["alice"]).status_code == 204
    assert not Person.objects.filter(pk=person["id"]).exists()
    assert AuditEvent.objects.filter(
        object_type="org.Person", object_id=str(person["id"]), action="delete"
    ).exists()


def test_objective_update_and_delete_need_its_owner(client, tokens, acme):
    objective = Objective.objects.get(workspace=acme)
    url = f"/api/w/acme/objectives/{objective.pk}"
    assert client.patch(url, {"title": "x"}, content_type=JSON, **tokens["bob"]).status_code == 403
    changed = client.patch(
        url, {"title": "Win 40 retailers", "status": "achieved"}, content_type=JSON, **tokens["alice"]
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Win 40 retailers"
    assert changed.json()["status"] == "achieved"
    dates = client.patch(url, {"end_date": "2020-01-01"}, content_type=JSON, **tokens["alice"])
    assert dates.status_code == 422
    assert client.patch(url, {}, content_type=JSON, **tokens["alice"]).status_code == 422
    assert client.delete(url, **tokens["alice"]).status_code == 204
    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_kpi_create_update_delete(client, tokens, acme):
    objective = Objective.objects.get(workspace=acme)
    body = {
        "objective_id": objective.pk,
        "name": "Retail partners signed",
        "target": "40",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    assert client.post("/api/w/acme/kpis", body, content_type=JSON, **tokens["bob"]).status_code == 403
    made = client.post("/api/w/acme/kpis", body, content_type=JSON, **tokens["alice"])
    assert made.status_code == 201, made.content
    kpi = made.json()
    assert kpi["progress"]["on_track"] in (True, False) and kpi["target"] == "40.0000"
    twice = client.post("/api/w/acme/kpis", body, content_type=JSON, **tokens["alice"])
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "name"
    url = f"/api/w/acme/kpis/{kpi['id']}"
    changed = client.patch(url, {"target": "45"}, content_type=JSON, **tokens["alice"])
    assert changed.status_code == 200 and changed.json()["target"] == "45.0000"
    missing = client.post(
        "/api/w/acme/kpis", {**body, "objective_id": 10**9}, content_type=JSON, **tokens["alice"]
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "objective_id"
    assert client.delete(url, **tokens["alice"]).status_code == 204
    assert not Kpi.objects.filter(pk=kpi["id"]).exists()
