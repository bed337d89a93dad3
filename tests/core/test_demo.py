"""The demo company: every role the brief names, deterministic from its seed."""

import pytest
from django.core.management import call_command

from opencmo.core.models import AuditEvent, Membership
from opencmo.demo import company
from opencmo.org.models import Person


def snapshot():
    return sorted(
        (
            p.workspace.slug,
            p.name,
            p.title,
            p.reports_to.name if p.reports_to else "",
            tuple(sorted(r.key for r in p.roles.all())),
        )
        for p in Person.objects.select_related("workspace", "reports_to").prefetch_related("roles")
    )


@pytest.mark.django_db
def test_demo_has_the_whole_marketing_function():
    company.build(plans=False)
    main = Person.objects.filter(workspace__slug=company.MAIN_SLUG)
    keys = {r.key for p in main for r in p.roles.all()}
    assert {
        "executive",
        "cmo",
        "marketing_manager",
        "strategist",
        "project_lead",
        "content_producer",
        "analyst",
        "social_media",
        "seo",
        "designer",
        "agency",
    } <= keys
    agency = main.filter(roles__key="agency")
    assert agency.count() == 2 and {p.organisation for p in agency} == {"Fjord & Fjell Digital"}
    cmo = main.get(roles__key="cmo")
    assert cmo.reports_to.roles.filter(key="executive").exists()
    assert main.get(roles__key="marketing_manager").reports_to == cmo


@pytest.mark.django_db
def test_sister_company_has_one_person_with_both_hats_and_shares_the_agency():
    company.build(plans=False)
    solo = Person.objects.get(workspace__slug=company.SISTER_SLUG, roles__key="cmo")
    assert set(solo.roles.values_list("key", flat=True)) == {"cmo", "marketing_manager"}
    for person in Person.objects.filter(workspace__slug=company.MAIN_SLUG, roles__key="agency"):
        assert Membership.objects.filter(user=person.user, workspace__slug=company.SISTER_SLUG).exists()


@pytest.mark.django_db
def test_same_seed_same_company_other_seed_other_names():
    company.build(seed=7, light=True)
    first = snapshot()
    company.remove()
    company.build(seed=7, light=True)
    assert snapshot() == first
    company.remove()
    company.build(seed=8, light=True)
    assert snapshot() != first


@pytest.mark.django_db
def test_demo_command_is_idempotent_and_prints_logins(capsys):
    call_command("demo")
    call_command("demo")
    out = capsys.readouterr().out
    assert "already loaded" in out and company.DEMO_PASSWORD in out and company.ADMIN_EMAIL in out
    assert Person.objects.filter(workspace__slug=company.MAIN_SLUG).count() == 14
    assert AuditEvent.objects.filter(actor_label="system", object_type="org.Person").count() == 18


@pytest.mark.django_db
def test_full_demo_has_plans_work_budgets_and_customers():
    from opencmo.budget.models import BudgetPlan, SpendEntry
    from opencmo.campaigns.models import Campaign
    from opencmo.crm.models import Contact
    from opencmo.strategy.models import KpiActual, Objective
    from opencmo.work.models import Task

    company.build()
    assert Objective.objects.count() == 5 and KpiActual.objects.exists()
    assert Campaign.objects.count() >= 20
    statuses = set(Campaign.objects.values_list("status", flat=True))
    assert {"evaluated", "live", "planned"} <= statuses
    assert Task.objects.count() >= 200
    assert {"backlog", "todo", "review", "done"} <= set(Task.objects.values_list("status", flat=True))
    assert BudgetPlan.objects.count() == 2 and SpendEntry.objects.count() > 500
    assert Contact.objects.count() == 3000
