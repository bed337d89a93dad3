"""Customers in the browser: the head of sales opens an MQL, reads why it scored and how it got here,
accepts it; a segment is exported for a purpose (only people with a lawful basis leave); and a tour of
the customer pages as the CMO."""

import csv
import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from opencmo.core.models import Workspace
from opencmo.crm import gdpr, segments, services
from opencmo.crm.demo import build_contacts
from opencmo.crm.models import Contact, Handoff, Purpose
from opencmo.org.models import Person


def nordlys_with_customers() -> Workspace:
    workspace = Workspace.objects.get(slug="nordlys")
    build_contacts(workspace, seed=5, count=250)
    return workspace


def make_mql(workspace) -> Contact:
    """A lead whose activity lifts her over the MQL threshold, as it would happen in real life."""
    company = services.company_create(
        actor=None,
        workspace=workspace,
        name="Fjellsport Lillehammer AS",
        employees=80,
        industry="Sports retail",
    )
    kari = services.contact_create(
        actor=None,
        workspace=workspace,
        email="kari.nordmann@fjellsport-lillehammer.example",
        first_name="Kari",
        last_name="Nordmann",
        job_title="Head of Marketing",
        country="NO",
        city="Lillehammer",
        company=company,
        first_touch_channel="paid_search",
        utm_source="google",
        utm_medium="cpc",
    )
    now = timezone.now()
    for kind, days in (("email_click", 20), ("pricing_visit", 6), ("form_submit", 2), ("demo_request", 0.1)):
        services.event_record(actor=None, contact=kari, kind=kind, occurred_at=now - dt.timedelta(days=days))
    kari.refresh_from_db()
    assert kari.stage.key == "mql"
    return kari


def test_sales_accepts_an_mql_and_a_segment_is_exported(page, live_server, login, shot):
    workspace = nordlys_with_customers()
    kari = make_mql(workspace)
    seller = Person.objects.get(workspace=workspace, roles__key="sales")
    assert Handoff.objects.get(contact=kari, status="pending").assigned_to == seller

    login(seller.user.email)
    page.goto(f"{live_server.url}/w/nordlys/customers/handoffs/")
    queue = page.get_by_test_id("handoff-table")
    expect(queue).to_contain_text("Kari Nordmann")
    shot("80-crm-handoff-queue")
    queue.get_by_role("link", name="Kari Nordmann").click()

    breakdown = page.get_by_test_id("score-breakdown")
    expect(breakdown).to_contain_text("Demo requested")
    expect(breakdown).to_contain_text("Marketing role")
    expect(breakdown).to_contain_text("Company with 50+ employees")
    history = page.get_by_test_id("lifecycle-history")
    expect(history).to_contain_text("Score reached the MQL threshold")
    expect(history).to_contain_text("Marketing qualified lead (MQL)")
    expect(page.get_by_test_id("sla-state")).to_contain_text("h left")
    shot("81-crm-contact-mql")

    decision = page.get_by_test_id("handoff-decision")
    decision.get_by_label("Decision").select_option("accept")
    decision.get_by_label("Note").fill("Called Kari: spring range for 12 stores, budget confirmed.")
    decision.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Kari Nordmann is now a sales qualified lead.")).to_be_visible()
    expect(page.get_by_test_id("lifecycle-history")).to_contain_text("Accepted by sales")
    shot("82-crm-contact-accepted")
    kari.refresh_from_db()
    assert kari.stage.key == "sql" and kari.owner == seller

    newsletter = Purpose.objects.get(workspace=workspace, key="newsletter")
    segment = services.segment_create(
        actor=None,
        workspace=workspace,
        name="Norwegian newsletter readers",
        filters={"countries": ["NO"], "stages": ["subscriber", "lead", "customer"]},
        purpose=newsletter,
    )
    members = segments.contacts(workspace, segment.filters)
    allowed = set(members.filter(gdpr.valid_basis_q(newsletter)).values_list("email", flat=True))
    assert 0 < len(allowed) < members.count()  # some members have no basis for the newsletter

    page.goto(f"{live_server.url}/w/nordlys/customers/segments/{segment.pk}/")
    expect(page.get_by_test_id("segment-count")).to_have_text(str(members.count()))
    shot("83-crm-segment")
    export = page.get_by_test_id("segment-export")
    export.get_by_label("Export for").select_option(label=newsletter.name)
    with page.expect_download() as download:
        export.get_by_role("button", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["email"] for r in rows} == allowed
    assert all(r["lawful_basis"].startswith("consent") for r in rows)


def test_customer_pages_as_the_cmo(page, live_server, login, shot):
    workspace = nordlys_with_customers()
    make_mql(workspace)
    cmo = Person.objects.get(workspace=workspace, roles__key="cmo")
    base = f"{live_server.url}/w/nordlys/customers"
    login(cmo.user.email)

    page.goto(f"{base}/")
    expect(page.get_by_test_id("stage-funnel")).to_contain_text("Customer")
    shot("84-crm-overview")

    page.goto(f"{base}/contacts/")
    page.get_by_label("Search contacts").fill("nordmann")
    expect(page.get_by_test_id("contact-count")).to_have_text(re.compile(r"^1 contact$"))
    page.get_by_label("Search contacts").fill("")
    expect(page.get_by_test_id("contact-count")).to_have_text(re.compile(r"251 contacts"))
    shot("85-crm-contacts")

    page.goto(f"{base}/segments/new/")
    page.locator("#id_name").fill("Engaged Swedes")
    page.locator("#id_countries").fill("SE")
    expect(page.get_by_test_id("segment-live-count")).not_to_have_text("")
    swedes = Contact.objects.filter(workspace=workspace, country="SE").count()
    expect(page.get_by_test_id("segment-live-count")).to_have_text(str(swedes))
    shot("86-crm-segment-form")

    page.goto(f"{base}/feedback/")
    expect(page.get_by_test_id("feedback-trend")).to_be_visible()
    shot("87-crm-feedback")

    page.goto(f"{base}/handoffs/report/")
    expect(page.get_by_test_id("handoff-funnel")).to_contain_text("Handed to sales")
    shot("88-crm-handoff-report")

    page.goto(f"{base}/gdpr/")
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_text(re.compile(r"Dry run: \d+ contact\(s\) would be erased"))).to_be_visible()
    shot("89-crm-gdpr")

    kari = Contact.objects.get(workspace=workspace, email__startswith="kari.nordmann@")
    page.goto(f"{base}/contacts/{kari.pk}/")
    page.get_by_text("GDPR ▾").click()
    shot("90-crm-contact-admin")
    page.goto(f"{base}/contacts/{kari.pk}/access/")
    expect(page.get_by_role("heading", name="Personal data held about Kari Nordmann")).to_be_visible()
    shot("91-crm-access-report")
    page.goto(f"{base}/contacts/{kari.pk}/erase/")
    page.get_by_label(re.compile("Type the contact's email")).fill(kari.email)
    page.get_by_label("Reason").fill("Request by email 2026-03-02, ticket 118")
    shot("92-crm-erase-confirm")
    page.get_by_role("button", name="Erase permanently").click()
    expect(page.get_by_text("The contact was erased everywhere")).to_be_visible()
    expect(page.get_by_test_id("erasure-log")).to_contain_text("ticket 118")
    assert not Contact.objects.filter(pk=kari.pk).exists()
    shot("93-crm-erased")

    page.goto(f"{base}/gdpr/register/")
    shot("94-crm-register")
    page.goto(f"{base}/settings/scoring/")
    shot("95-crm-settings-scoring")
