"""The customer pages: every page renders for each access level, forms go through the services, bad
input is answered with the form (never a 500), and the rights hold: viewers read, members write, only
the sales hat decides hand-offs, only administrators erase, export access reports and change settings."""

import pytest

from opencmo.crm import services
from opencmo.crm.demo import build_contacts
from opencmo.crm.models import (
    AssignmentRule,
    Contact,
    ContactSegment,
    CustomField,
    Feedback,
    Handoff,
    LifecycleStage,
    ScoringRule,
)

BASE = "/w/acme/customers/"


@pytest.fixture
def demo(team):
    build_contacts(team.ws, seed=7, count=150)
    return team


def pages(workspace) -> list[str]:
    contact = Contact.objects.filter(workspace=workspace, stage__key="mql").first()
    company = Contact.objects.filter(workspace=workspace, company__isnull=False).first().company
    segment = ContactSegment.objects.filter(workspace=workspace).first()
    return [
        "",
        "contacts/",
        "contacts/?q=a&stage=lead&order=name&min_score=x&owner=none&company=abc",
        f"contacts/{contact.pk}/",
        "companies/",
        "companies/?q=sport&page=99",
        f"companies/{company.pk}/",
        "handoffs/",
        "handoffs/?status=accepted&mine=1",
        "handoffs/?status=bogus",
        "handoffs/report/",
        "handoffs/report/?start=2026-13-01&end=x",
        "handoffs/report.csv",
        "segments/",
        f"segments/{segment.pk}/",
        "segments/preview/?stages=lead&score_min=abc",
        "feedback/",
        "feedback/?kind=csat&months=999&campaign=x",
        "feedback/trend.csv?kind=nps",
        "gdpr/",
        "gdpr/register/",
        "gdpr/register.csv",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "bob", "vera"])
def test_reading_pages_render_for_everyone(demo, client, who, vera):
    client.force_login({"alice": demo.alice, "bob": demo.bob, "vera": vera}[who])
    for page in pages(demo.ws):
        response = client.get(BASE + page)
        assert response.status_code == 200, (page, response.status_code)


@pytest.mark.django_db
def test_admin_pages(demo, client):
    contact = Contact.objects.filter(workspace=demo.ws).first()
    admin_pages = [
        "setup/",
        "setup/stages/",
        "setup/fields/",
        "setup/scoring/",
        "setup/assignment/",
        f"contacts/{contact.pk}/access/",
        f"contacts/{contact.pk}/access.json",
        f"contacts/{contact.pk}/erase/",
        "gdpr/register/new/",
        f"setup/stages/{LifecycleStage.objects.filter(workspace=demo.ws).first().pk}/edit/",
        f"setup/scoring/{ScoringRule.objects.filter(workspace=demo.ws).first().pk}/edit/",
    ]
    client.force_login(demo.alice)
    for page in admin_pages:
        assert client.get(BASE + page).status_code == 200, page
    client.force_login(demo.bob)
    for page in admin_pages:
        assert client.get(BASE + page).status_code == 403, page


@pytest.mark.django_db
def test_viewers_cannot_write(demo, client, vera):
    contact = Contact.objects.filter(workspace=demo.ws).first()
    client.force_login(vera)
    for page, data in [
        ("contacts/new/", {"email": "v@x.example"}),
        (f"contacts/{contact.pk}/edit/", {"email": "v@x.example"}),
        (f"contacts/{contact.pk}/stage/", {"stage": contact.stage_id}),
        (f"contacts/{contact.pk}/events/", {"kind": "email_click"}),
        (f"contacts/{contact.pk}/consents/", {}),
        ("contacts/export.csv", {}),
        ("contacts/import/", {}),
        ("segments/new/", {"name": "x"}),
        ("feedback/new/", {}),
        ("companies/new/", {"name": "x"}),
    ]:
        assert client.post(BASE + page, data).status_code == 403, page
    assert client.get(BASE + "contacts/new/").status_code == 403


@pytest.mark.django_db
def test_member_works_a_contact_through_the_forms(team, client, crm, purpose):
    client.force_login(team.bob)
    response = client.post(BASE + "contacts/new/", {"email": "not an email", "stage": ""})
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    lead = LifecycleStage.objects.get(workspace=team.ws, key="lead")
    response = client.post(
        BASE + "contacts/new/",
        {"email": "kari@fjell.no", "first_name": "Kari", "stage": lead.pk, "country": "NO"},
    )
    contact = Contact.objects.get(email="kari@fjell.no")
    assert response.status_code == 302 and response["Location"] == f"{BASE}contacts/{contact.pk}/"
    response = client.post(BASE + "contacts/new/", {"email": "KARI@fjell.no", "stage": lead.pk})
    assert "already a contact" in response.content.decode()
    url = f"{BASE}contacts/{contact.pk}/"
    assert client.post(url + "events/", {"kind": "demo_request", "detail": "Wants a demo"}).status_code == 302
    assert client.post(url + "events/", {"kind": ""}).status_code == 200  # form back with the error
    response = client.post(
        url + "consents/", {"purpose": purpose("newsletter").pk, "source": "phone", "wording": ""}
    )
    assert response.status_code == 302  # empty wording: the purpose's standard wording
    assert contact.consents.get().wording.startswith("Yes, send me news")
    response = client.post(
        url + "bases/", {"purpose": purpose("sales_followup").pk, "basis": "legitimate_interest"}
    )
    assert response.status_code == 302
    basis = contact.bases.get()
    assert client.post(f"{BASE}bases/{basis.pk}/object/").status_code == 302
    basis.refresh_from_db()
    assert basis.objected_at is not None
    consent = contact.consents.get()
    assert client.post(f"{BASE}consents/{consent.pk}/withdraw/", {"source": "phone call"}).status_code == 302
    assert client.post(url + "stage/", {"stage": "999999"}).status_code == 200
    mql = LifecycleStage.objects.get(workspace=team.ws, key="mql")
    assert client.post(url + "stage/", {"stage": mql.pk, "note": "Asked for a demo"}).status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="handoff-status">Waiting for sales' in page
    assert "Someone wearing the sales hat accepts or rejects it." in page
    handoff = Handoff.objects.get(contact=contact)
    assert client.post(f"{BASE}handoffs/{handoff.pk}/decide/", {"decision": "accept"}).status_code == 403


@pytest.mark.django_db
def test_sales_decides_on_the_contact_page(team, client, make_contact):
    contact = make_contact(stage_key="mql")
    handoff = Handoff.objects.get(contact=contact)
    client.force_login(team.sam)
    page = client.get(f"{BASE}contacts/{contact.pk}/").content.decode()
    assert 'data-testid="handoff-decision"' in page
    response = client.post(f"{BASE}handoffs/{handoff.pk}/decide/", {"decision": "reject", "reason": ""})
    assert response.status_code == 200 and "Say why the lead is rejected." in response.content.decode()
    response = client.post(f"{BASE}handoffs/{handoff.pk}/decide/", {"decision": "accept", "note": "Good fit"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.stage.key == "sql"
    response = client.post(f"{BASE}handoffs/{handoff.pk}/decide/", {"decision": "accept"}, follow=True)
    assert response.status_code == 200 and "This hand-off is already accepted." in response.content.decode()


@pytest.mark.django_db
def test_settings_forms(team, client, crm):
    client.force_login(team.alice)
    assert (
        client.post(
            BASE + "setup/",
            {
                "mql_threshold": "-5",
                "half_life_days": "30",
                "sla_hours": "24",
                "assignment": "round_robin",
                "retention_days": "1095",
            },
        ).status_code
        == 200
    )
    response = client.post(
        BASE + "setup/",
        {
            "mql_threshold": "60",
            "half_life_days": "14",
            "sla_hours": "8",
            "assignment": "rules",
            "retention_enabled": "on",
            "retention_days": "730",
        },
    )
    assert response.status_code == 302
    crm.refresh_from_db()
    assert (crm.mql_threshold, crm.sla_hours, crm.retention_enabled) == (60, 8, True)
    assert (
        client.post(
            BASE + "setup/fields/", {"label": "Size", "entity": "contact", "type": "choice", "position": 0}
        ).status_code
        == 200
    )
    response = client.post(
        BASE + "setup/fields/",
        {"label": "Size", "entity": "contact", "type": "choice", "choices_text": "S\nM\nL", "position": 0},
    )
    assert response.status_code == 302 and CustomField.objects.get(workspace=team.ws).choices == [
        "S",
        "M",
        "L",
    ]
    response = client.post(
        BASE + "setup/scoring/",
        {
            "kind": "fit",
            "name": "Large",
            "field": "custom.size",
            "operator": "equals",
            "value": "L",
            "points": "5",
            "position": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and ScoringRule.objects.filter(name="Large").exists()
    response = client.post(
        BASE + "setup/assignment/",
        {
            "name": "Sweden",
            "field": "country",
            "operator": "equals",
            "value": "SE",
            "assign_to": team.sam_p.pk,
            "position": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and AssignmentRule.objects.get().assign_to == team.sam_p
    response = client.post(BASE + "setup/stages/", {"name": "Partner"})
    assert (
        response.status_code == 302
        and LifecycleStage.objects.filter(workspace=team.ws, key="partner").exists()
    )
    assert client.post(BASE + "setup/scoring/rescore/").status_code == 302


@pytest.mark.django_db
def test_feedback_form(team, client, make_contact):
    contact = make_contact("kari@x.example")
    client.force_login(team.bob)
    response = client.post(
        BASE + "feedback/new/", {"kind": "nps", "score": "11", "received_on": "2026-01-02"}
    )
    assert response.status_code == 200 and "NPS scores run from 0 to 10" in response.content.decode()
    response = client.post(
        BASE + "feedback/new/",
        {"kind": "csat", "score": "4", "received_on": "2026-01-02", "email": "who@x.example"},
    )
    assert "No contact with this address" in response.content.decode()
    response = client.post(
        BASE + "feedback/new/",
        {"kind": "nps", "score": "9", "received_on": "2026-01-02", "email": "kari@x.example"},
    )
    assert response.status_code == 302 and Feedback.objects.get().contact == contact
    page = client.get(BASE + "feedback/").content.decode()
    assert 'data-testid="feedback-trend"' in page


@pytest.mark.django_db
def test_contact_list_search_is_a_partial_for_htmx(demo, client):
    client.force_login(demo.bob)
    full = client.get(BASE + "contacts/?q=a")
    partial = client.get(BASE + "contacts/?q=a", headers={"HX-Request": "true"})
    assert "<html" in full.content.decode() and "<html" not in partial.content.decode()
    assert 'data-testid="contact-count"' in partial.content.decode()


@pytest.mark.django_db
def test_admin_erases_through_viewer_proof_routes(demo, client, vera):
    contact = Contact.objects.filter(workspace=demo.ws).first()
    client.force_login(vera)
    assert (
        client.post(f"{BASE}contacts/{contact.pk}/erase/", {"confirm": "ERASE", "reason": "x"}).status_code
        == 403
    )
    assert client.post(f"{BASE}gdpr/retention/", {"mode": "erase"}).status_code == 403
    client.force_login(demo.alice)
    response = client.post(f"{BASE}gdpr/retention/", {"mode": "dry"})
    assert response.status_code == 302
    response = client.post(f"{BASE}gdpr/retention/", {"mode": "erase"}, follow=True)
    assert "switched off" in response.content.decode()
    services.settings_update(actor=demo.alice, workspace=demo.ws, retention_enabled=True)
    assert (
        client.post(
            f"{BASE}contacts/{contact.pk}/erase/", {"confirm": "ERASE", "reason": "ticket 1"}
        ).status_code
        == 302
    )
