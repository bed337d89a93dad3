"""Workspaces, memberships, invitations and the audit trail they leave."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import Access, AuditEvent, Membership
from opencmo.core.services import membership_update, workspace_create
from opencmo.org.models import Role
from tests.conftest import make_user


@pytest.mark.django_db
def test_new_workspace_has_builtin_roles_and_creator_as_admin(alice):
    ws = workspace_create(actor=alice, name="Fjellbris", currency="nok")
    assert ws.slug == "fjellbris" and ws.currency == "NOK"
    assert Membership.objects.get(workspace=ws, user=alice).access == Access.ADMIN
    keys = set(Role.objects.filter(workspace=ws).values_list("key", flat=True))
    assert {"cmo", "marketing_manager", "analyst", "agency", "sales", "customer_service", "executive"} <= keys


@pytest.mark.django_db
def test_duplicate_slug_and_bad_currency_are_field_errors(alice, acme):
    with pytest.raises(ValidationError) as dup:
        workspace_create(actor=alice, name="Acme again", slug="acme")
    assert "slug" in dup.value.message_dict
    with pytest.raises(ValidationError) as cur:
        workspace_create(actor=alice, name="Euros", currency="EURO")
    assert "currency" in cur.value.message_dict


@pytest.mark.django_db
def test_creating_a_workspace_in_the_browser(client, alice):
    client.force_login(alice)
    bad = client.post("/workspaces/", {"name": "", "slug": "x y", "currency": "EUR"})
    assert b"This field is required" in bad.content
    ok = client.post("/workspaces/", {"name": "Havbris", "slug": "havbris", "currency": "SEK"})
    assert ok.status_code == 302 and ok["Location"] == "/w/havbris/"


@pytest.mark.django_db
def test_last_admin_cannot_be_demoted(alice, acme):
    seat = Membership.objects.get(workspace=acme, user=alice)
    with pytest.raises(ValidationError, match="at least one active administrator"):
        membership_update(actor=alice, membership=seat, access=Access.MEMBER, is_active=True)


@pytest.mark.django_db
def test_members_cannot_manage_memberships(bob, acme):
    seat = Membership.objects.get(workspace=acme, user=bob)
    with pytest.raises(PermissionDenied):
        membership_update(actor=bob, membership=seat, access=Access.ADMIN, is_active=True)


@pytest.mark.django_db
def test_invite_creates_user_and_mails_a_working_set_password_link(
    client, alice, acme, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/w/acme/settings/",
            {"invite": "1", "email": "Nils@Agency.example", "first_name": "Nils", "access": "member"},
        )
    assert response.status_code == 302
    assert Membership.objects.get(workspace=acme, user__email="nils@agency.example").access == "member"
    assert len(mail.outbox) == 1 and "Acme" in mail.outbox[0].subject
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    client.logout()
    page = client.get(link, follow=True)
    assert b"Choose a new password" in page.content


@pytest.mark.django_db
def test_switching_workspace_is_one_click(client, alice, acme):
    other = workspace_create(actor=alice, name="Sister Co", slug="sister")
    client.force_login(alice)
    page = client.get("/w/acme/").content.decode()
    assert 'href="/w/sister/"' in page  # the switcher lists every workspace of the user
    assert client.get("/w/sister/").status_code == 200
    assert client.get("/", follow=False)["Location"] == f"/w/{other.slug}/"  # remembered as last used


@pytest.mark.django_db
def test_audit_records_actor_and_changed_fields(client, alice, acme):
    client.force_login(alice)
    client.post("/w/acme/settings/", {"name": "Acme Nordic", "currency": "EUR", "description": ""})
    event = AuditEvent.objects.filter(workspace=acme, object_type="core.Workspace", action="update").get()
    assert event.actor == alice and event.actor_label == "alice@acme.example"
    assert event.changes == {"currency": ["NOK", "EUR"], "name": ["Acme", "Acme Nordic"]}


@pytest.mark.django_db
def test_audit_log_page_is_for_admins(client, alice, bob, acme):
    client.force_login(bob)
    assert client.get("/w/acme/audit/").status_code == 403
    client.force_login(alice)
    page = client.get("/w/acme/audit/?action=create&object_type=org.Person")
    assert page.status_code == 200 and b"Acme Specialist" in page.content


@pytest.mark.django_db
def test_user_in_two_workspaces_sees_each_separately(client, acme, globex, eve):
    agency = make_user("agency@partner.example")
    from opencmo.core.services import membership_add

    membership_add(actor=None, workspace=acme, user=agency)
    membership_add(actor=None, workspace=globex, user=agency)
    client.force_login(agency)
    acme_people = client.get("/w/acme/org/people/").content.decode()
    globex_people = client.get("/w/globex/org/people/").content.decode()
    assert "Acme Specialist" in acme_people and "Globex Specialist" not in acme_people
    assert "Globex Specialist" in globex_people and "Acme Specialist" not in globex_people
