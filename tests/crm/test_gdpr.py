"""GDPR: lawful basis per contact and purpose, consent records, purpose-bound export (nothing leaves
without a valid basis), the register, data-subject access, and erasure that leaves nothing but a keyed
hash — checked by searching every table and every file."""

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import sqlite3
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from opencmo.core.models import AuditEvent, Notification
from opencmo.crm import gdpr, imports, services
from opencmo.crm.models import (
    ConsentRecord,
    Contact,
    ContactBasis,
    ContactSegment,
    CustomField,
    Erasure,
    Feedback,
    Purpose,
    Suppression,
    SuppressionKey,
)

EMAIL = "ragnhild.ostby@fjellpost.no"
NAME = "Ragnhild Østby-Kvam"
PHONE = "+47 912 34 567"


def export_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    return list(csv.DictReader(io.StringIO(text)))


# --- lawful basis -------------------------------------------------------------------------------------


def oracle(consents, basis, today, now) -> bool:
    """The rule, written independently of the query: consent in force, or another basis in its dates and
    not objected to."""
    if any(given <= now and withdrawn is None for given, withdrawn in consents):
        return True
    if basis is None:
        return False
    kind, start, end, objected = basis
    return (
        kind != "consent"
        and not objected
        and (start is None or start <= today)
        and (end is None or end >= today)
    )


day_offsets = st.one_of(st.none(), st.integers(min_value=-40, max_value=40))


@pytest.mark.django_db
@hsettings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    consents=st.lists(st.tuples(st.integers(-30, 5), st.booleans()), max_size=3),
    basis=st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(["consent", "contract", "legitimate_interest", "legal_obligation"]),
            day_offsets,
            day_offsets,
            st.booleans(),
        ),
    ),
)
def test_valid_basis_matches_the_rule(make_contact, purpose, consents, basis):
    contact = Contact.objects.filter(email="basis@kunde.example").first() or make_contact(
        "basis@kunde.example"
    )
    ConsentRecord.objects.filter(contact=contact).delete()
    ContactBasis.objects.filter(contact=contact).delete()
    target = purpose("newsletter")
    now = timezone.now()
    today = timezone.localdate(now)
    stored = []
    for days, withdrawn in consents:
        given_at = now + dt.timedelta(days=days)
        withdrawn_at = given_at + dt.timedelta(hours=1) if withdrawn else None
        ConsentRecord.objects.create(
            workspace=contact.workspace,
            contact=contact,
            purpose=target,
            given_at=given_at,
            source="t",
            wording="w",
            withdrawn_at=withdrawn_at,
        )
        stored.append((given_at, withdrawn_at))
    if basis is not None:
        kind, start, end, objected = basis
        ContactBasis.objects.create(
            workspace=contact.workspace,
            contact=contact,
            purpose=target,
            basis=kind,
            valid_from=today + dt.timedelta(days=start) if start is not None else None,
            valid_until=today + dt.timedelta(days=end) if end is not None else None,
            objected_at=now if objected else None,
        )
        basis = (
            kind,
            today + dt.timedelta(days=start) if start is not None else None,
            today + dt.timedelta(days=end) if end is not None else None,
            objected,
        )
    assert gdpr.has_valid_basis(contact, target, now=now) is oracle(stored, basis, today, now)
    statuses = {s.purpose.key: s for s in gdpr.basis_status(contact, now=now)}
    assert statuses["newsletter"].valid is oracle(stored, basis, today, now)


@pytest.mark.django_db
def test_consent_is_recorded_with_wording_and_can_be_withdrawn(team, make_contact, purpose, acme):
    contact = make_contact()
    newsletter = purpose("newsletter")
    with pytest.raises(ValidationError) as error:
        gdpr.consent_give(actor=team.bob, contact=contact, purpose=newsletter, wording=" ", source="")
    assert {"wording", "source"} <= set(error.value.message_dict)
    record = gdpr.consent_give(
        actor=team.bob,
        contact=contact,
        purpose=newsletter,
        wording="Yes, send me news.",
        source="web form",
        evidence="doi-118",
    )
    assert gdpr.has_valid_basis(contact, newsletter)
    assert AuditEvent.objects.filter(
        object_type="crm.ConsentRecord", object_id=str(record.pk), action="create"
    ).exists()
    gdpr.consent_withdraw(actor=team.bob, consent=record, source="unsubscribe link")
    record.refresh_from_db()
    assert record.withdrawn_at is not None and record.wording == "Yes, send me news."  # kept as proof
    assert not gdpr.has_valid_basis(contact, newsletter)
    with pytest.raises(ValidationError):
        gdpr.consent_withdraw(actor=team.bob, consent=record)
    viewer = make_viewer(acme, team.alice)
    with pytest.raises(PermissionDenied):  # viewers read, they do not record
        gdpr.consent_give(actor=viewer, contact=contact, purpose=newsletter, wording="x", source="x")


def make_viewer(acme, alice):
    from opencmo.core.models import Access
    from opencmo.core.services import membership_add
    from tests.conftest import make_user

    user = make_user("viewer2@acme.example")
    membership_add(actor=alice, workspace=acme, user=user, access=Access.VIEWER)
    return user


@pytest.mark.django_db
def test_objection_ends_a_legitimate_interest(team, make_contact, purpose):
    contact = make_contact()
    follow_up = purpose("sales_followup")
    basis = gdpr.basis_set(
        actor=team.bob, contact=contact, purpose=follow_up, basis="legitimate_interest", note="LIA 7"
    )
    assert gdpr.has_valid_basis(contact, follow_up)
    gdpr.basis_object(actor=team.bob, basis=basis)
    assert not gdpr.has_valid_basis(contact, follow_up)
    contract = gdpr.basis_set(
        actor=team.bob, contact=contact, purpose=purpose("customer_relationship"), basis="contract"
    )
    with pytest.raises(ValidationError):
        gdpr.basis_object(actor=team.bob, basis=contract)
    with pytest.raises(ValidationError) as error:
        gdpr.basis_set(
            actor=team.bob,
            contact=contact,
            purpose=follow_up,
            basis="contract",
            valid_from=dt.date(2026, 5, 1),
            valid_until=dt.date(2026, 4, 1),
        )
    assert "valid_until" in error.value.message_dict


# --- export enforcement ---------------------------------------------------------------------------------


@pytest.fixture
def mixed(team, make_contact, purpose):
    """Six contacts and their standing for the newsletter and for sales follow-up."""
    newsletter, follow_up = purpose("newsletter"), purpose("sales_followup")
    people = {
        key: make_contact(f"{key}@kunde.example", first_name=key.capitalize())
        for key in ("consented", "withdrawn", "interest", "objected", "nothing", "expired")
    }
    gdpr.consent_give(
        actor=None, contact=people["consented"], purpose=newsletter, wording="Yes", source="form"
    )
    gone = gdpr.consent_give(
        actor=None, contact=people["withdrawn"], purpose=newsletter, wording="Yes", source="form"
    )
    gdpr.consent_withdraw(actor=None, consent=gone)
    gdpr.basis_set(actor=None, contact=people["interest"], purpose=follow_up, basis="legitimate_interest")
    objected = gdpr.basis_set(
        actor=None, contact=people["objected"], purpose=follow_up, basis="legitimate_interest"
    )
    gdpr.basis_object(actor=None, basis=objected)
    gdpr.basis_set(
        actor=None,
        contact=people["expired"],
        purpose=follow_up,
        basis="contract",
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    # a legitimate interest for follow-up is no basis for the newsletter
    gdpr.basis_set(actor=None, contact=people["nothing"], purpose=newsletter, basis="consent")
    return people


@pytest.mark.django_db
def test_export_only_with_a_valid_basis_for_the_purpose(mixed, acme, team, purpose):
    everyone = Contact.objects.filter(workspace=acme)
    result = gdpr.export_for_purpose(
        actor=team.bob, workspace=acme, purpose=purpose("newsletter"), contacts=everyone
    )
    assert [row[0] for row in result.rows] == ["consented@kunde.example"]
    assert result.excluded == 5
    result = gdpr.export_for_purpose(
        actor=team.bob, workspace=acme, purpose=purpose("sales_followup"), contacts=everyone
    )
    assert [row[0] for row in result.rows] == ["interest@kunde.example"]
    event = AuditEvent.objects.filter(object_type="crm.Purpose").order_by("-pk").first()
    assert event.changes["exported"] == [None, 1] and event.changes["excluded_without_basis"] == [None, 5]
    off = purpose("ad_audiences")
    gdpr.purpose_update(actor=team.alice, purpose=off, is_active=False)
    with pytest.raises(ValidationError):
        gdpr.export_for_purpose(actor=team.bob, workspace=acme, purpose=off, contacts=everyone)


@pytest.mark.django_db
def test_contact_list_export_view_enforces_the_basis_and_escapes_formulas(mixed, client, team, purpose, acme):
    services.contact_update(actor=None, contact=mixed["consented"], first_name='=HYPERLINK("http://x")')
    client.force_login(team.bob)
    url = "/w/acme/customers/contacts/export.csv"
    assert client.get(url).status_code == 405
    response = client.post(url, {"purpose": purpose("newsletter").pk})
    assert response.status_code == 200 and response["X-Excluded-Without-Basis"] == "5"
    rows = export_csv(response)
    assert [r["email"] for r in rows] == ["consented@kunde.example"]
    assert rows[0]["first_name"].startswith("'=")
    assert rows[0]["lawful_basis"].startswith("consent ")
    # filters of the list apply too
    response = client.post(url, {"purpose": purpose("sales_followup").pk, "q": "nobody-matches"})
    assert export_csv(response) == []
    # no purpose, no export
    response = client.post(url, {})
    assert response.status_code == 302 and "text/csv" not in response.get("Content-Type", "")


@pytest.mark.django_db
def test_segment_export_uses_the_basis_not_the_filter(mixed, client, team, purpose, acme):
    everybody = services.segment_create(
        actor=team.bob,
        workspace=acme,
        name="All leads",
        filters={"stages": ["lead"]},
        purpose=purpose("newsletter"),
    )
    without = services.segment_create(
        actor=team.bob,
        workspace=acme,
        name="No newsletter basis",
        filters={"consent": {"purpose": purpose("newsletter").pk, "state": "missing"}},
    )
    client.force_login(team.bob)
    rows = export_csv(
        client.post(
            f"/w/acme/customers/segments/{everybody.pk}/export.csv", {"purpose": purpose("newsletter").pk}
        )
    )
    assert [r["email"] for r in rows] == ["consented@kunde.example"]
    # a segment of the people without a basis yields nobody when exported for that purpose
    response = client.post(
        f"/w/acme/customers/segments/{without.pk}/export.csv", {"purpose": purpose("newsletter").pk}
    )
    assert export_csv(response) == [] and response["X-Excluded-Without-Basis"] == "5"
    # viewers cannot export at all
    viewer = make_viewer(acme, team.alice)
    client.force_login(viewer)
    assert (
        client.post(
            f"/w/acme/customers/segments/{everybody.pk}/export.csv", {"purpose": purpose("newsletter").pk}
        ).status_code
        == 403
    )


# --- register --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_of_processing_activities(team, client, acme, alice, crm):
    purpose = gdpr.purpose_create(
        actor=alice,
        workspace=acme,
        name="Loyalty club",
        lawful_basis="contract",
        data_categories="Name, points",
        recipients="Loyalty platform (processor)",
        retention="Membership + 1 year",
        safeguards="Encrypted at rest",
    )
    assert purpose.key == "loyalty_club"
    with pytest.raises(PermissionDenied):
        gdpr.purpose_create(actor=team.bob, workspace=acme, name="Sneaky")
    client.force_login(team.bob)
    rows = export_csv(client.get("/w/acme/customers/gdpr/register.csv"))
    loyalty = next(r for r in rows if r["purpose"] == "Loyalty club")
    assert loyalty["lawful_basis"] == "Contract" and loyalty["safeguards"] == "Encrypted at rest"
    assert (
        client.post(f"/w/acme/customers/gdpr/register/{purpose.pk}/edit/", {"name": "x"}).status_code == 403
    )
    gdpr.purpose_delete(actor=alice, purpose=purpose)
    newsletter = Purpose.objects.get(workspace=acme, key="newsletter")
    contact = services.contact_create(actor=alice, workspace=acme, email="a@b.example")
    gdpr.consent_give(actor=alice, contact=contact, purpose=newsletter, wording="w", source="s")
    with pytest.raises(ValidationError):  # consents refer to it: it stays on record
        gdpr.purpose_delete(actor=alice, purpose=newsletter)


# --- access ----------------------------------------------------------------------------------------------


@pytest.fixture
def ragnhild(team, acme, alice, purpose, crm):
    """A contact with something in every table that can hold personal data."""
    CustomField.objects.create(workspace=acme, key="favourite_trail", label="Favourite trail", type="text")
    company = services.company_create(
        actor=alice, workspace=acme, name="Fjellpost AS", industry="Outdoor retail"
    )
    contact = services.contact_create(
        actor=alice,
        workspace=acme,
        email=EMAIL,
        first_name="Ragnhild",
        last_name="Østby-Kvam",
        phone=PHONE,
        job_title="Head of Marketing",
        company=company,
        country="NO",
        custom={"favourite_trail": "Besseggen"},
        notes=f"Met {NAME} at Friluftsmessen",
        anonymous_ids=["GA1.1.555000111.1700000000"],
    )
    services.contact_update(actor=team.bob, contact=contact, city="Lillehammer")
    services.event_record(
        actor=team.bob, contact=contact, kind="demo_request", detail=f"{NAME} asked for a demo"
    )
    gdpr.consent_give(
        actor=team.bob,
        contact=contact,
        purpose=purpose("newsletter"),
        wording="Yes please",
        source="web form",
    )
    gdpr.basis_set(
        actor=team.bob,
        contact=contact,
        purpose=purpose("sales_followup"),
        basis="legitimate_interest",
        note="LIA",
    )
    services.feedback_create(
        actor=team.bob,
        workspace=acme,
        kind="nps",
        score=4,
        contact=contact,
        comment=f"{NAME} says the zip broke",
    )
    services.contact_set_stage(actor=alice, contact=contact, stage=services.stage(acme, "mql"))
    services.segment_create(actor=team.bob, workspace=acme, name="Her", filters={"q": EMAIL})
    # A colleague's task comment mentioning her, in another module.
    from opencmo.org.raci_services import activity_create
    from opencmo.work.models import Comment, Task

    task = Task.objects.create(
        workspace=acme,
        title="Call back",
        activity=activity_create(actor=None, workspace=acme, name="Call", kind="task"),
    )
    Comment.objects.create(workspace=acme, task=task, author=alice, body=f"Ring {NAME} ({PHONE}) on Monday")
    return contact


@pytest.mark.django_db
def test_access_export_holds_everything_and_only_for_admins(ragnhild, client, team, alice):
    data = gdpr.access_export(actor=alice, contact=ragnhild)
    assert data["person"]["email"] == EMAIL and data["person"]["custom_fields"] == {
        "Favourite trail": "Besseggen"
    }
    assert data["consents"][0]["wording_shown"] == "Yes please"
    assert [t["to"] for t in data["lifecycle"]["history"]][-1] == "Marketing qualified lead (MQL)"
    assert any(
        p["purpose"] == "Sales follow-up of business leads" and p["processed_now"] for p in data["processing"]
    )
    assert data["feedback"][0]["comment"].endswith("zip broke")
    assert data["source"]["visitor_ids"] == ["GA1.1.555000111.1700000000"]
    assert data["segments"] == ["Her"]
    assert len(data["audit_log"]) >= 6 and all(
        e["by"] in {"system", "a member of staff"} for e in data["audit_log"]
    )
    with pytest.raises(PermissionDenied):
        gdpr.access_export(actor=team.bob, contact=ragnhild)
    client.force_login(alice)
    page = client.get(f"/w/acme/customers/contacts/{ragnhild.pk}/access/")
    assert (
        page.status_code == 200
        and "Østby-Kvam" in page.content.decode()
        and "Yes please" in page.content.decode()
    )
    download = client.get(f"/w/acme/customers/contacts/{ragnhild.pk}/access.json")
    assert json.loads(download.content)["person"]["phone"] == PHONE
    assert "attachment" in download["Content-Disposition"]
    client.force_login(team.bob)
    assert client.get(f"/w/acme/customers/contacts/{ragnhild.pk}/access/").status_code == 403


# --- erasure ---------------------------------------------------------------------------------------------


NEEDLES = [EMAIL, NAME, PHONE, "Østby"]


def text_of(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def database_hits() -> list[str]:
    """Every row of every model whose text or JSON columns mention the person."""
    found = []
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list("pk", *[f.attname for f in fields]).iterator():
            text = " ".join(text_of(v) for v in row[1:]).lower()
            hits = [n for n in NEEDLES if n.lower() in text]
            if hits:
                found.append(f"{model._meta.label}#{row[0]}: {hits}")
    return found


def file_hits(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if not path.is_file() or path.stat().st_size > 512 * 1024 * 1024:
                continue
            data = path.read_bytes()
            for needle in NEEDLES:
                for form in (needle.encode(), needle.encode("utf-16-le")):
                    if form in data:
                        found.append(f"{path}: {needle}")
    return found


@pytest.fixture
def imported_file(acme):
    """Stand-in for the data-import module: an imported CRM file under the data directory, and the
    erasure handler it registers to remove the person's rows from it."""
    folder = Path(settings.DATA_DIR) / "imports" / f"workspace-{acme.pk}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hubspot-contacts.csv"
    path.write_text(f"email,name\n{EMAIL},{NAME}\nola@nordmann.example,Ola Nordmann\n", encoding="utf-8")
    calls = []

    def scrub_imports(workspace, keys):
        calls.append(keys)
        for file in (Path(settings.DATA_DIR) / "imports" / f"workspace-{workspace.pk}").glob("*.csv"):
            lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
            file.write_text("".join(line for line in lines if keys.email not in line), encoding="utf-8")

    gdpr.register_erasure_handler(scrub_imports)
    yield path, calls
    gdpr.erasure_handlers.remove(scrub_imports)
    path.unlink(missing_ok=True)


@pytest.mark.django_db
def test_erasure_leaves_nothing_but_the_hashed_suppression_entry(
    ragnhild, imported_file, team, acme, alice, globex, eve, client
):
    path, calls = imported_file
    # The same address in another workspace (another controller's customer) must not be touched.
    other = Contact.objects.create(  # made directly: no audit row in Globex to confuse the search
        workspace=globex,
        email=EMAIL,
        first_name="Ragnhild",
        last_name="Østby-Kvam",
        stage=services.stage(globex, "customer"),
    )
    gdpr.access_export(actor=alice, contact=ragnhild)  # an access export is itself logged about her
    assert Notification.objects.filter(recipient=team.sam, subject__contains=NAME).exists()
    before = database_hits()
    assert any(h.startswith("core.AuditEvent") for h in before) and any(
        h.startswith("work.Comment") for h in before
    )
    assert file_hits(settings.DATA_DIR)  # the search does find her before
    feedback_pk, contact_pk = Feedback.objects.get(contact=ragnhild).pk, ragnhild.pk
    with pytest.raises(ValidationError):  # the reason must not name her
        gdpr.contact_erase(actor=alice, contact=ragnhild, reason=f"Asked by {EMAIL}")
    with pytest.raises(PermissionDenied):
        gdpr.contact_erase(actor=team.bob, contact=ragnhild, reason="request")
    erasure = gdpr.contact_erase(
        actor=alice, contact=ragnhild, reason="Request by email 2026-03-02, ticket 118"
    )

    assert Contact.objects.get(pk=other.pk).email == EMAIL  # untouched in the other workspace
    Contact.objects.filter(pk=other.pk).delete()  # ... where it legitimately holds the address
    leftovers = [h for h in database_hits() if not h.startswith("crm.Contact#")]
    assert leftovers == [], leftovers
    assert not Contact.objects.filter(email=EMAIL).exists()
    assert file_hits(settings.DATA_DIR, settings.MEDIA_ROOT) == []
    assert path.read_text(encoding="utf-8") == "email,name\nola@nordmann.example,Ola Nordmann\n"
    assert calls[0].email == EMAIL and calls[0].anonymous_ids == ("GA1.1.555000111.1700000000",)

    # Only a keyed hash stays: HMAC-SHA256(workspace secret, normalised address).
    (entry,) = Suppression.objects.filter(workspace=acme)
    secret = SuppressionKey.objects.get(workspace=acme).secret.encode()
    assert entry.email_hash == hmac.new(secret, EMAIL.encode(), hashlib.sha256).hexdigest()
    assert gdpr.is_suppressed(acme, "  Ragnhild.Ostby@FJELLPOST.no ") and not gdpr.is_suppressed(
        globex, EMAIL
    )
    assert gdpr.email_hash(acme, EMAIL) != gdpr.email_hash(globex, EMAIL)
    # Statistics survive without the person: the score stays, the comment and the link go.
    answer = Feedback.objects.get(pk=feedback_pk)
    assert answer.contact is None and answer.comment == "" and answer.score == 4
    # The audit trail keeps that something happened, not to whom.
    scrubbed = AuditEvent.objects.filter(object_type="crm.Contact", object_id=str(contact_pk))
    assert scrubbed.exists() and all(
        e.object_repr.startswith("[erased]") or e.object_type == "crm.Erasure" for e in scrubbed
    )
    assert AuditEvent.objects.filter(object_type="crm.Erasure", action="delete").exists()
    assert erasure.removed["consents"] == 1 and erasure.removed["notifications"] >= 1 and erasure.suppressed

    # And nothing brings her back.
    with pytest.raises(ValidationError) as error:
        services.contact_create(actor=alice, workspace=acme, email=EMAIL.upper())
    assert "erased" in str(error.value)
    assert (
        services.contact_identify(actor=None, workspace=acme, email=EMAIL, anonymous_id="x", first_touch={})
        is None
    )
    report = imports.contacts_import_rows(
        actor=alice, workspace=acme, rows=[{"Email": EMAIL, "First name": "R"}]
    )
    assert (
        not report.ok
        and "suppressed" in str(report.errors[0])
        and not Contact.objects.filter(workspace=acme, email=EMAIL).exists()
    )
    client.force_login(alice)
    page = client.get("/w/acme/customers/gdpr/").content.decode()
    assert "ticket 118" in page and EMAIL not in page


@pytest.mark.django_db
def test_erasure_through_the_page(ragnhild, client, alice, team):
    client.force_login(team.bob)
    assert client.get(f"/w/acme/customers/contacts/{ragnhild.pk}/erase/").status_code == 403
    client.force_login(alice)
    url = f"/w/acme/customers/contacts/{ragnhild.pk}/erase/"
    response = client.post(url, {"confirm": "wrong@example.com", "reason": "ticket 9", "suppress": "on"})
    assert response.status_code == 200 and Contact.objects.filter(pk=ragnhild.pk).exists()
    response = client.post(url, {"confirm": EMAIL, "reason": "ticket 9", "suppress": "on"})
    assert response.status_code == 302 and not Contact.objects.filter(pk=ragnhild.pk).exists()
    assert Erasure.objects.get().reason == "ticket 9"


@pytest.mark.django_db
def test_namesakes_keep_their_audit_trail(team, acme, alice):
    one = services.contact_create(
        actor=alice, workspace=acme, email="lars.berg@a.example", first_name="Lars", last_name="Berg"
    )
    two = services.contact_create(
        actor=alice, workspace=acme, email="lars.berg@b.example", first_name="Lars", last_name="Berg"
    )
    gdpr.contact_erase(actor=alice, contact=one, reason="request 3")
    kept = AuditEvent.objects.filter(object_type="crm.Contact", object_id=str(two.pk))
    assert kept.exists() and all(e.object_repr == "Lars Berg" for e in kept)
    assert Contact.objects.get(pk=two.pk).full_name == "Lars Berg"


def test_sqlite_secure_delete_leaves_no_trace_in_the_file(tmp_path):
    """Why opencmo.crm.apps turns on secure_delete: without it a deleted row stays in the database file."""
    for secure, expect_trace in ((False, True), (True, False)):
        path = tmp_path / f"db-{secure}.sqlite3"
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA secure_delete = {'ON' if secure else 'OFF'}")
        db.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, email TEXT, note TEXT)")
        db.executemany(
            "INSERT INTO contact (email, note) VALUES (?, ?)",
            [(f"p{i}@x.example", "x" * 50) for i in range(50)],
        )
        db.execute("INSERT INTO contact (email, note) VALUES (?, ?)", (EMAIL, NAME))
        db.commit()
        db.execute("DELETE FROM contact WHERE email = ?", (EMAIL,))
        db.commit()
        db.close()
        assert (EMAIL.encode() in path.read_bytes()) is expect_trace


@pytest.mark.django_db
def test_django_sqlite_connections_use_secure_delete():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


# --- retention -------------------------------------------------------------------------------------------


@pytest.fixture
def old_and_new(team, make_contact, acme, purpose):
    long_ago = timezone.now() - dt.timedelta(days=4 * 365)
    dormant = make_contact("dormant@kunde.example")
    contracted = make_contact("contract@kunde.example")
    fresh = make_contact("fresh@kunde.example")
    Contact.objects.filter(pk__in=[dormant.pk, contracted.pk]).update(last_activity_at=long_ago)
    gdpr.basis_set(actor=None, contact=contracted, purpose=purpose("customer_relationship"), basis="contract")
    return dormant, contracted, fresh


@pytest.mark.django_db
def test_retention_dry_run_then_real_run(old_and_new, acme, alice, team):
    dormant, contracted, fresh = old_and_new
    run = gdpr.retention_run(actor=alice, workspace=acme, dry_run=True)
    assert run.dry_run and run.matched == 1 and run.contact_refs == [dormant.pk] and run.erased == 0
    assert Contact.objects.filter(pk=dormant.pk).exists()
    with pytest.raises(ValidationError):  # a real run needs the policy switched on
        gdpr.retention_run(actor=alice, workspace=acme, dry_run=False)
    with pytest.raises(PermissionDenied):
        gdpr.retention_run(actor=team.bob, workspace=acme)
    services.settings_update(actor=alice, workspace=acme, retention_enabled=True, retention_days=3 * 365)
    segment = services.segment_create(
        actor=alice, workspace=acme, name="Old", filters={"q": "dormant@kunde.example"}
    )
    run = gdpr.retention_run(actor=None, workspace=acme, dry_run=False, trigger="schedule")
    segment.refresh_from_db()
    assert segment.filters == {"q": "[erased]"}  # mentions are swept for retention erasures too
    assert (run.matched, run.erased) == (1, 1)
    assert not Contact.objects.filter(pk=dormant.pk).exists()
    assert Contact.objects.filter(pk__in=[contracted.pk, fresh.pk]).count() == 2
    assert not gdpr.is_suppressed(acme, "dormant@kunde.example")  # retention is not a request: no suppression
    logged = AuditEvent.objects.filter(object_type="crm.RetentionRun")
    assert logged.count() == 2 and logged.filter(changes__has_key="erased").exists()
    assert Erasure.objects.get().reason.startswith("Retention policy")


@pytest.mark.django_db
def test_retention_command_and_scheduled_task(old_and_new, acme, alice, globex):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from opencmo.crm.tasks import gdpr_retention

    dormant = old_and_new[0]
    out = io.StringIO()
    call_command("gdpr", "retention", "--workspace", "acme", "--dry-run", stdout=out)
    assert "1 contact(s) inactive" in out.getvalue() and f"contact ids: {dormant.pk}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("gdpr", "retention", "--workspace", "acme")  # switched off
    with pytest.raises(CommandError):
        call_command("gdpr", "retention", "--workspace", "nope")
    assert gdpr_retention.call() == []  # nobody has the policy on: the job does nothing
    services.settings_update(actor=alice, workspace=acme, retention_enabled=True)
    done = gdpr_retention.call()
    assert [(d["workspace"], d["erased"]) for d in done] == [("acme", 1)]
    out = io.StringIO()
    call_command("gdpr", "check", "--workspace", "acme", "--email", "fresh@kunde.example", stdout=out)
    assert out.getvalue().strip() == "not suppressed"


@pytest.mark.django_db
def test_gdpr_command_export_and_erase(ragnhild, acme, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "report.json"
    call_command("gdpr", "export", "--workspace", "acme", "--email", EMAIL, str(target), stdout=io.StringIO())
    assert json.loads(target.read_text(encoding="utf-8"))["person"]["last_name"] == "Østby-Kvam"
    out = io.StringIO()
    call_command("gdpr", "erase", "--workspace", "acme", "--email", EMAIL, "--reason", "ticket 5", stdout=out)
    assert "the address is suppressed" in out.getvalue()
    out = io.StringIO()
    call_command("gdpr", "check", "--workspace", "acme", "--email", EMAIL, stdout=out)
    assert out.getvalue().strip() == "suppressed"
    out = io.StringIO()
    call_command("gdpr", "register", "--workspace", "acme", stdout=out)
    assert "Email newsletter and offers" in out.getvalue()


@pytest.mark.django_db
def test_segments_are_scrubbed_not_deleted(ragnhild, alice):
    gdpr.contact_erase(actor=alice, contact=ragnhild, reason="ticket 1")
    segment = ContactSegment.objects.get(name="Her")
    assert segment.filters == {"q": "[erased]"}
