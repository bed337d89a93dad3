"""The demo customers: deterministic from the seed, across every stage, with consents, feedback and
hand-offs, and fast."""

import time

import pytest

from opencmo.crm.demo import build_contacts
from opencmo.crm.models import Company, ConsentRecord, Contact, Feedback, Handoff
from opencmo.crm.services import ensure_defaults


def globex_crm(globex):
    ensure_defaults(globex)
    return globex


def snapshot(workspace):
    return list(
        Contact.objects.filter(workspace=workspace)
        .order_by("email")
        .values_list("email", "first_name", "last_name", "stage__key", "country", "company__name", "phone")
    )


@pytest.mark.django_db
def test_demo_is_deterministic_and_covers_the_lifecycle(team, globex):
    counts = build_contacts(team.ws, seed=11, count=400)
    first = snapshot(team.ws)
    Contact.objects.filter(workspace=team.ws).delete()
    Company.objects.filter(workspace=team.ws).delete()
    again = build_contacts(team.ws, seed=11, count=400)
    assert snapshot(team.ws) == first and again == counts
    assert build_contacts(globex_crm(globex), seed=12, count=50)["contacts"] == 50
    assert counts["contacts"] == 400 and counts["feedback"] > 20 and counts["consents"] > 200
    stages = set(Contact.objects.filter(workspace=team.ws).values_list("stage__key", flat=True))
    assert stages == {"subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist", "other"}
    assert Handoff.objects.filter(workspace=team.ws, status="pending").exists()
    assert Handoff.objects.filter(workspace=team.ws, status="rejected").exists()
    assert ConsentRecord.objects.filter(workspace=team.ws, withdrawn_at__isnull=False).exists()
    assert Feedback.objects.filter(workspace=team.ws, kind="csat").exists()
    assert any("ø" in n or "å" in n or "ö" in n for n in Contact.objects.values_list("last_name", flat=True))
    mql = Contact.objects.filter(workspace=team.ws, stage__key="mql").first()
    assert mql.score > 0 and mql.events.filter(kind="demo_request").exists()


@pytest.mark.django_db
def test_three_thousand_contacts_build_quickly(team):
    started = time.process_time()  # CPU time: the machine may be busy with other work
    counts = build_contacts(team.ws, seed=3, count=3000)
    assert counts["contacts"] == 3000
    assert time.process_time() - started < 10
