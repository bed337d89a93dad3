"""Writing budget plans, lines and phasing through the API: the budget services' rules apply
(administrators create and delete plans, the plan's Accountable person shapes it, the ledger keeps every
parent's reserve non-negative), every change is audited and bad input is a 422 naming the field."""

import pytest

from opencmo.budget.models import BudgetLine, BudgetPlan, MonthlyAmount
from opencmo.campaigns.models import Channel
from opencmo.core.models import AuditEvent
from opencmo.org.models import Person

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def plan(client, tokens, acme):
    body = {"name": "FY 2027", "start_date": "2027-01-01", "end_date": "2027-12-31", "total": "120000"}
    made = client.post("/api/w/acme/budgets", body, content_type=JSON, **tokens["alice"])
    assert made.status_code == 201, made.content
    return made.json()


def test_plan_create_needs_an_administrator_and_gets_a_total_line(client, tokens, acme, plan):
    body = {"name": "FY 2028", "start_date": "2028-01-01", "end_date": "2028-12-31", "total": "1"}
    assert client.post("/api/w/acme/budgets", body, content_type=JSON, **tokens["bob"]).status_code == 403
    lines = client.get(f"/api/w/acme/budgets/{plan['id']}/lines", **tokens["alice"]).json()
    assert [(line["level"], line["amount"]) for line in lines] == [("total", "120000.00")]
    boss = Person.objects.get(workspace=acme, user__email="alice@acme.example")
    activity = BudgetPlan.objects.get(pk=plan["id"]).activity
    assert activity.raci.filter(person=boss, letter="A").exists()
    assert AuditEvent.objects.filter(object_type="budget.BudgetPlan", object_id=str(plan["id"])).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": "2026-12-31"}, "end_date"),  # ends before it starts
        ({"total": "-5"}, "total"),
        ({"accountable_id": 999999}, "accountable_id"),
        ({"workspace": 1}, "workspace"),  # mass assignment
    ],
)
def test_plan_create_refuses_bad_input_naming_the_field(client, tokens, change, field):
    body = {"name": "FY 2029", "start_date": "2029-01-01", "end_date": "2029-12-31", "total": "10"} | change
    response = client.post("/api/w/acme/budgets", body, content_type=JSON, **tokens["alice"])
    assert response.status_code == 422, response.content
    assert any(field in (f or "") for f in _errors(response)), response.json()


def test_lines_allocate_resize_phase_and_delete_against_the_reserve(client, tokens, acme, plan):
    url = f"/api/w/acme/budgets/{plan['id']}/lines"
    root = client.get(url, **tokens["alice"]).json()[0]
    channel = Channel.objects.get(workspace=acme, key="email")
    body = {"parent_id": root["id"], "level": "channel", "channel_id": channel.pk, "amount": "50000"}
    assert client.post(url, body, content_type=JSON, **tokens["bob"]).status_code == 403
    made = client.post(url, body, content_type=JSON, **tokens["alice"])
    assert made.status_code == 201, made.content
    line = made.json()
    assert line["name"] == "Email" and line["parent_id"] == root["id"]

    too_much = client.post(url, body | {"amount": "80000"}, content_type=JSON, **tokens["alice"])
    assert too_much.status_code == 422  # 70,000 left in the total's reserve
    assert BudgetLine.objects.filter(plan_id=plan["id"]).count() == 2

    line_url = f"{url}/{line['id']}"
    grown = client.patch(
        line_url, {"amount": "60000", "name": "E-mail"}, content_type=JSON, **tokens["alice"]
    )
    assert grown.status_code == 200 and grown.json()["amount"] == "60000.00"
    assert grown.json()["name"] == "E-mail"
    refused = client.patch(
        line_url, {"amount": "130000", "name": "Never"}, content_type=JSON, **tokens["alice"]
    )
    assert refused.status_code == 422
    kept = BudgetLine.objects.get(pk=line["id"])
    assert (kept.amount, kept.name) == (60000, "E-mail")  # the rename went with the refused resize

    months = {f"2027-{m:02d}-01": "5000" for m in range(1, 13)}
    phasing = f"{line_url}/phasing"
    short = client.put(
        phasing, {"planned": months | {"2027-12-01": "0"}}, content_type=JSON, **tokens["alice"]
    )
    assert short.status_code == 422 and "planned" in _errors(short)
    outside = client.put(phasing, {"planned": {"2030-01-01": "60000"}}, content_type=JSON, **tokens["alice"])
    assert outside.status_code == 422
    assert client.put(phasing, {"planned": months}, content_type=JSON, **tokens["alice"]).status_code == 204
    assert MonthlyAmount.objects.filter(line_id=line["id"]).count() == 12

    assert client.delete(f"{url}/{root['id']}", **tokens["alice"]).status_code == 422  # the total line
    assert client.delete(line_url, **tokens["alice"]).status_code == 204
    assert not BudgetLine.objects.filter(pk=line["id"]).exists()
    assert AuditEvent.objects.filter(
        object_type="budget.BudgetLine", object_id=str(line["id"]), action="delete"
    ).exists()


def test_a_line_of_another_plan_is_not_found_through_this_plan(client, tokens, acme, plan):
    seeded = BudgetPlan.objects.get(workspace=acme, name="2026")
    other_line = BudgetLine.objects.filter(plan=seeded).last()
    url = f"/api/w/acme/budgets/{plan['id']}/lines/{other_line.pk}"
    assert client.patch(url, {"name": "x"}, content_type=JSON, **tokens["alice"]).status_code == 404
    root = BudgetLine.objects.get(plan_id=plan["id"], parent=None)
    body = {"parent_id": other_line.pk, "level": "channel", "name": "Stray", "amount": "1"}
    stray = client.post(f"/api/w/acme/budgets/{plan['id']}/lines", body, content_type=JSON, **tokens["alice"])
    assert stray.status_code == 422 and "parent_id" in _errors(stray)
    assert root.children.count() == 0


def test_plan_update_and_delete(client, tokens, acme, plan):
    url = f"/api/w/acme/budgets/{plan['id']}"
    assert client.patch(url, {"status": "active"}, content_type=JSON, **tokens["bob"]).status_code == 403
    changed = client.patch(url, {"status": "active", "name": "FY27"}, content_type=JSON, **tokens["alice"])
    assert changed.status_code == 200 and changed.json()["status"] == "active"
    assert changed.json()["name"] == "FY27"
    assert client.patch(url, {}, content_type=JSON, **tokens["alice"]).status_code == 422
    assert client.patch(url, {"status": "lost"}, content_type=JSON, **tokens["alice"]).status_code == 422
    seeded = BudgetPlan.objects.get(workspace=acme, name="2026")
    booked = client.delete(f"/api/w/acme/budgets/{seeded.pk}", **tokens["alice"])
    assert booked.status_code == 422  # a commitment is booked on it
    assert client.delete(url, **tokens["bob"]).status_code == 403
    assert client.delete(url, **tokens["alice"]).status_code == 204
    assert not BudgetPlan.objects.filter(pk=plan["id"]).exists()
