"""Contact import: HubSpot and Salesforce names, consent columns, custom fields, all or nothing with every
problem named by row and column; and the feedback import."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opencmo.crm import gdpr, imports, services
from opencmo.crm.models import ConsentRecord, Contact, ContactBasis, CustomField, Feedback, Handoff

HUBSPOT = (
    "Record ID,First Name,Last Name,Email,Job Title,Company Name,Country/Region,Lifecycle Stage,"
    "Contact owner,consent:newsletter,consent_date,consent_source,basis:sales_followup,Shoe size,"
    "Unknown thing\n"
    "101,Kari,Nordmann,KARI@Fjellsport.no,Head of Marketing,Fjellsport AS,NO,marketingqualifiedlead,"
    "sam@acme.example,yes,2025-11-02,web form,legitimate interest,42,x\n"
    "102,Ola,Svensson,ola@tursport.se,Buyer,Tursport AB,SE,customer,,no,,,contract,,y\n"
    "103,Åse,Ødegård,ase@fjellpost.no,,,NO,subscriber,,yes,,,,,\n"
)


@pytest.fixture
def shoe(acme, crm):
    return CustomField.objects.create(workspace=acme, key="shoe_size", label="Shoe size", type="number")


@pytest.mark.django_db
def test_hubspot_export_imports_with_consents_and_handoff(team, shoe, acme, alice):
    rows = imports.read_table(HUBSPOT.encode("utf-8-sig"))
    dry = imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=rows, dry_run=True)
    assert dry.ok and (dry.created, dry.updated, dry.handoffs, dry.companies) == (3, 0, 1, 2)
    assert dry.ignored_columns == ["Unknown thing"]
    assert Contact.objects.filter(workspace=acme).count() == 0  # a dry run writes nothing
    report = imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=rows)
    assert report.ok, report.errors
    kari = Contact.objects.get(email="kari@fjellsport.no")
    assert (kari.stage.key, kari.external_id, kari.company.name, kari.owner) == (
        "mql",
        "101",
        "Fjellsport AS",
        team.sam_p,
    )
    assert kari.custom == {"shoe_size": "42"}
    consent = ConsentRecord.objects.get(contact=kari)
    assert (
        consent.source == "web form"
        and timezone.localtime(consent.given_at).date().isoformat() == "2025-11-02"
    )
    assert consent.wording.startswith("Yes, send me news")  # the purpose's standard wording
    assert ContactBasis.objects.get(contact=kari).basis == "legitimate_interest"
    assert Handoff.objects.get(contact=kari).assigned_to == team.sam_p
    assert Contact.objects.get(email="ola@tursport.se").stage.key == "customer"
    assert Contact.objects.get(email="ase@fjellpost.no").last_name == "Ødegård"
    transition = kari.transitions.get()
    assert transition.reason == "import"


@pytest.mark.django_db
def test_salesforce_lead_status_maps_to_stages(team, acme):
    rows = [
        {"Email": "a@x.example", "Lead Status": "Open - Not Contacted"},
        {"Email": "b@x.example", "Lead Status": "Working - Contacted"},
        {"Email": "c@x.example", "Lead Status": "Closed - Converted"},
        {"Email": "d@x.example", "Lead Status": "Closed - Not Converted"},
        {"Email": "e@x.example", "Lead Status": "Marketing Qualified"},
    ]
    report = imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=rows)
    assert report.ok
    stages = dict(Contact.objects.values_list("email", "stage__key"))
    assert stages == {
        "a@x.example": "lead",
        "b@x.example": "sql",
        "c@x.example": "opportunity",
        "d@x.example": "other",
        "e@x.example": "mql",
    }


@pytest.mark.django_db
def test_every_problem_is_reported_by_row_and_nothing_is_written(team, shoe, acme, alice):
    gdpr.contact_erase(
        actor=alice,
        contact=services.contact_create(actor=alice, workspace=acme, email="gone@x.example"),
        reason="request 4",
    )
    rows = [
        {"Email": "ok@x.example", "Lifecycle Stage": "lead"},
        {"Email": "not-an-address", "Lifecycle Stage": "lead"},
        {"Email": "ok@x.example", "Lifecycle Stage": "lead"},
        {"Email": "x@x.example", "Lifecycle Stage": "prospect"},
        {"Email": "y@x.example", "Contact owner": "nobody@acme.example"},
        {"Email": "z@x.example", "consent:newsletter": "maybe"},
        {"Email": "w@x.example", "Shoe size": "forty"},
        {"Email": "gone@x.example"},
        {"Email": "v@x.example", "basis:sales_followup": "because"},
        {"Email": "u@x.example", "consent:newsletter": "yes", "consent_date": "2099-01-01"},
        {"First name": "", "Email": ""},
    ]
    report = imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=rows)
    messages = [str(e) for e in report.errors]
    assert not report.ok and Contact.objects.filter(workspace=acme).count() == 0
    expected = [
        "Row 3, column “Email”: “not-an-address” is not a valid email address.",
        "Row 4, column “Email”: ok@x.example is also on row 2.",
        "Row 5, column “Lifecycle Stage”: unknown lifecycle stage “prospect”.",
        "Row 6, column “Contact owner”: nobody called “nobody@acme.example” in this workspace.",
        "Row 7, column “consent:newsletter”: “maybe” is neither yes nor no.",
        "Row 8: Shoe size: “forty” is not a number.",
        "Row 9, column “Email”: this address belongs to a person erased at their request (suppressed).",
        "Row 11, column “consent_date”: the consent date is in the future.",
        "Row 12: A row needs an email address or a name.",
    ]
    for line in expected:
        assert line in messages, (line, messages)
    assert any(m.startswith("Row 10, column “basis:sales_followup”") for m in messages)


@pytest.mark.django_db
def test_reimport_updates_and_blank_cells_keep_values(team, acme, purpose):
    first = [
        {
            "Email": "kari@x.example",
            "First name": "Kari",
            "City": "Bergen",
            "consent:newsletter": "yes",
            "consent_wording": "Ja takk, send meg nyhetsbrev.",
        }
    ]
    assert imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=first).created == 1
    again = [{"Email": "KARI@x.example", "First name": "", "City": "Tromsø", "consent:newsletter": "no"}]
    report = imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=again)
    assert (report.created, report.updated, report.withdrawals) == (0, 1, 1)
    kari = Contact.objects.get(email="kari@x.example")
    assert (kari.first_name, kari.city) == ("Kari", "Tromsø")
    assert ConsentRecord.objects.get(contact=kari).wording == "Ja takk, send meg nyhetsbrev."
    assert not gdpr.has_valid_basis(kari, purpose("newsletter"))


@pytest.mark.django_db
def test_consent_without_wording_is_refused(team, acme, purpose):
    gdpr.purpose_update(actor=None, purpose=purpose("newsletter"), consent_wording="")
    report = imports.contacts_import_rows(
        actor=team.bob, workspace=acme, rows=[{"email": "a@b.example", "consent:newsletter": "1"}]
    )
    assert "consent needs the wording shown" in str(report.errors[0])


@pytest.mark.django_db
def test_viewers_cannot_import(acme, vera):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.contacts_import_rows(actor=vera, workspace=acme, rows=[{"email": "a@b.example"}])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"email\n", "The file has a header but no rows."),
        (b"email,Email\na,b\n", "The column “Email” appears twice."),
        (b"\x00\x01\x02binary", "This is not a text (CSV) file."),
    ],
)
def test_unreadable_files(data, message):
    with pytest.raises(ValidationError) as error:
        imports.read_table(data)
    assert error.value.messages == [message]


def test_semicolons_utf16_and_windows_1252_are_read():
    assert imports.read_table("email;navn\nåse@x.no;Åse\n".encode("utf-16"))[0] == {
        "email": "åse@x.no",
        "navn": "Åse",
    }
    assert imports.read_table("email;navn\nase@x.no;Øyvind\n".encode("cp1252"))[0]["navn"] == "Øyvind"
    assert imports.read_table(b"email\tname\r\na@b.c\tA\r\n")[0] == {"email": "a@b.c", "name": "A"}


@pytest.mark.django_db
def test_contact_import_page_checks_then_imports(client, team, acme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(team.bob)
    url = "/w/acme/customers/contacts/import/"
    upload = SimpleUploadedFile("c.csv", b"Email,Lifecycle Stage\na@x.example,lead\nb@x.example,nonsense\n")
    response = client.post(url, {"file": upload, "check": "1"}, headers={"HX-Request": "true"})
    assert "Row 3, column “Lifecycle Stage”" in response.content.decode() and not Contact.objects.exists()
    upload = SimpleUploadedFile("c.csv", b"Email,Lifecycle Stage\na@x.example,lead\nb@x.example,customer\n")
    response = client.post(url, {"file": upload, "import": "1"})
    assert response.status_code == 302 and Contact.objects.count() == 2


@pytest.mark.django_db
def test_feedback_import(team, make_contact, acme):
    from opencmo.campaigns.models import Campaign
    from opencmo.org.raci_services import activity_create

    kari = make_contact("kari@x.example")
    Campaign.objects.create(
        workspace=acme,
        name="Winter",
        code="winter-26",
        start_date="2026-01-01",
        end_date="2026-02-01",
        activity=activity_create(actor=None, workspace=acme, name="Winter", kind="campaign"),
    )
    rows = imports.read_table(
        b"Email,NPS,Date,Comment,Campaign\nkari@x.example,10,2026-01-05,Superb,winter-26\nstranger@y.example,3,05.01.2026,Slow,\n"
    )
    report = imports.feedback_import_rows(actor=team.bob, workspace=acme, rows=rows)
    assert report.ok and (report.created, report.linked) == (2, 1)
    linked = Feedback.objects.get(contact=kari)
    assert (linked.kind, linked.score, linked.campaign.code, linked.source) == (
        "nps",
        10,
        "winter-26",
        "import",
    )
    anonymous = Feedback.objects.get(contact__isnull=True)
    assert anonymous.comment == "Slow" and anonymous.received_on.isoformat() == "2026-01-05"
    bad = imports.read_table(b"kind,score,date\ncsat,6,2026-01-01\nnps,11,x\nlikert,3,\n")
    report = imports.feedback_import_rows(actor=team.bob, workspace=acme, rows=bad)
    assert [str(e) for e in report.errors] == [
        "Row 2, column “score”: CSAT scores run from 1 to 5.",
        "Row 3, column “score”: NPS scores run from 0 to 10.",
        "Row 3, column “date”: “x” is not a date (use YYYY-MM-DD).",
        "Row 4, column “kind”: “likert” is neither nps nor csat.",
    ]
    assert Feedback.objects.count() == 2


@pytest.mark.django_db
def test_row_numbers_from_the_source_file(team, acme):
    rows = [{"Email": "a@x.example"}, {"Email": "broken"}]
    report = imports.contacts_import_rows(actor=team.bob, workspace=acme, rows=rows, row_numbers=[5, 9])
    assert [str(e) for e in report.errors] == [
        "Row 9, column “Email”: “broken” is not a valid email address."
    ]
