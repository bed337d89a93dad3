"""The organisation pages as a user meets them."""

import csv
import io

import pytest

from opencmo.org.models import Person, Role
from opencmo.org.services import person_create


@pytest.mark.django_db
def test_people_list_search_and_role_filter(client, bob, acme):
    client.force_login(bob)
    page = client.get("/w/acme/org/people/?q=specialist").content.decode()
    table = page[page.index('data-testid="people-table"') :]
    assert "Acme Specialist" in table and "Bob Berg" not in table
    htmx = {"HX-Request": "true"}
    by_role = client.get("/w/acme/org/people/?role=content_producer", headers=htmx).content.decode()
    assert "<html" not in by_role  # htmx gets just the table
    assert "Bob Berg" in by_role and "Acme Specialist" not in by_role


@pytest.mark.django_db
def test_admin_adds_a_person_with_hats(client, alice, acme):
    client.force_login(alice)
    boss = Person.objects.get(workspace=acme, user=alice)
    hats = Role.objects.filter(workspace=acme, key__in=["seo", "content_producer"])
    response = client.post(
        "/w/acme/org/people/new/",
        {
            "name": "Siri Strand",
            "title": "SEO & content",
            "reports_to": boss.pk,
            "roles": [r.pk for r in hats],
            "is_active": "on",
        },
    )
    siri = Person.objects.get(workspace=acme, name="Siri Strand")
    assert response["Location"] == f"/w/acme/org/people/{siri.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "Wears 2 hats" in detail and "Alice Andersen" in detail


@pytest.mark.django_db
def test_cycle_in_form_is_shown_on_the_field(client, alice, acme):
    client.force_login(alice)
    boss = Person.objects.get(workspace=acme, user=alice)
    report = Person.objects.get(workspace=acme, name="Acme Specialist")
    response = client.post(
        f"/w/acme/org/people/{boss.pk}/edit/", {"name": boss.name, "reports_to": report.pk, "is_active": "on"}
    )
    assert response.status_code == 200
    assert "already reports (directly or indirectly)" in response.content.decode()
    boss.refresh_from_db()
    assert boss.reports_to is None


@pytest.mark.django_db
def test_foreign_ids_in_a_form_are_rejected(client, alice, acme, globex):
    client.force_login(alice)
    foreign = Person.objects.filter(workspace=globex).first()
    response = client.post(
        "/w/acme/org/people/new/", {"name": "Z", "reports_to": foreign.pk, "is_active": "on"}
    )
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not Person.objects.filter(name="Z").exists()


@pytest.mark.django_db
def test_members_and_viewers_cannot_edit(client, bob, vera, acme):
    person = Person.objects.get(workspace=acme, name="Acme Specialist")
    for user in (bob, vera):
        client.force_login(user)
        assert client.get("/w/acme/org/people/new/").status_code == 403
        assert client.post(f"/w/acme/org/people/{person.pk}/delete/").status_code == 403
        assert client.post("/w/acme/org/roles/", {"name": "X"}, follow=True).status_code == 200
    assert Person.objects.filter(pk=person.pk).exists()
    assert not Role.objects.filter(workspace=acme, name="X").exists()


@pytest.mark.django_db
def test_csv_export_escapes_formulas(client, alice, acme):
    person_create(actor=alice, workspace=acme, name='=HYPERLINK("http://evil")', title="+cmd|calc")
    client.force_login(alice)
    response = client.get("/w/acme/org/people.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["name", "email", "title"]
    evil = next(r for r in rows if "HYPERLINK" in r[0])
    assert evil[0].startswith("'=") and evil[2] == "'+cmd|calc"
    assert all("Globex" not in cell for row in rows for cell in row)


@pytest.mark.django_db
def test_role_edit_and_delete_pages(client, alice, acme):
    client.force_login(alice)
    custom = Role.objects.get(workspace=acme, is_builtin=False)
    client.post(f"/w/acme/org/roles/{custom.pk}/edit/", {"name": "Creator lead", "description": "TikTok"})
    custom.refresh_from_db()
    assert custom.name == "Creator lead"
    cmo = Role.objects.get(workspace=acme, key="cmo")
    page = client.post(f"/w/acme/org/roles/{cmo.pk}/delete/", follow=True).content.decode()
    assert "Built-in roles cannot be deleted" in page
