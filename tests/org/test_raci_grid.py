"""The RACI matrix page: who sees which rows, who may edit a cell, and what a cell edit answers."""

import pytest

from opencmo.core.models import AuditEvent
from opencmo.org.models import Activity, Person, RaciEntry, Role
from opencmo.org.raci_services import activity_create, raci_set

GRID = "/w/acme/org/raci/"


def newsletter(workspace) -> Activity:
    return Activity.objects.get(workspace=workspace, name="Acme monthly newsletter")


def cell_url(activity: Activity) -> str:
    return f"{GRID}{activity.pk}/cell/"


def letters(activity: Activity, person: Person) -> str:
    return "".join(sorted(activity.raci.filter(person=person).values_list("letter", flat=True)))


@pytest.fixture
def specialist(acme) -> Person:
    return Person.objects.get(workspace=acme, name="Acme Specialist")


@pytest.fixture
def boss(acme, alice) -> Person:
    return Person.objects.get(workspace=acme, user=alice)


@pytest.mark.django_db
def test_grid_shows_activities_people_and_letters(client, alice, acme, bob, boss):
    client.force_login(alice)
    page = client.get(GRID).content.decode()
    activity = newsletter(acme)
    assert f'id="raci-row-{activity.pk}"' in page
    assert f"/w/acme/org/activities/{activity.pk}/" in page  # the name links to the activity
    assert "Alice Andersen" in page and "Bob Berg" in page and "Acme Specialist" in page
    assert "Content producer" in page  # Bob's hat under his name
    assert f'id="raci-{activity.pk}-p{boss.pk}"' in page and 'value="A"' in page
    assert "raci-grid.js" in page and 'hx-swap-oob="true"' not in page
    assert "Add an activity" in page


@pytest.mark.django_db
def test_role_columns_and_letters_through_a_hat(client, alice, acme, boss):
    cmo = Role.objects.get(workspace=acme, key="cmo")
    activity = activity_create(actor=alice, workspace=acme, name="Brand book")
    raci_set(actor=alice, activity=activity, role=cmo, letters="A")
    client.force_login(alice)
    by_roles = client.get(GRID + "?by=roles").content.decode()
    assert f'id="raci-{activity.pk}-r{cmo.pk}"' in by_roles
    assert "Marketing strategist" in by_roles and '"by": "roles"' in by_roles
    by_people = client.get(GRID).content.decode()
    assert "A via CMO" in by_people  # Alice wears the CMO hat, so she is A on the brand book


@pytest.mark.django_db
def test_admin_edits_a_cell_and_gets_the_row_and_findings(client, alice, acme, specialist):
    client.force_login(alice)
    activity = newsletter(acme)
    response = client.post(
        cell_url(activity), {"person": specialist.pk, "letters": "r, a"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert letters(activity, specialist) == "AR"
    html = response.content.decode()
    assert html.startswith(f'<tbody id="raci-row-{activity.pk}"') and "<html" not in html
    assert f'id="raci-{activity.pk}-p{specialist.pk}"' in html and 'value="RA"' in html
    assert "2 people Accountable" in html and "it needs exactly one A" in html  # the row's message
    assert '<section id="raci-findings"' in html and 'hx-swap-oob="true"' in html
    assert AuditEvent.objects.filter(object_type="org.RaciEntry", action="create", actor=alice).exists()

    # Back to one A: the row's message disappears.
    html = client.post(cell_url(activity), {"person": specialist.pk, "letters": "R"}).content.decode()
    assert "needs exactly one A" not in html and letters(activity, specialist) == "R"


@pytest.mark.django_db
def test_empty_cell_removes_the_letters(client, alice, acme, specialist):
    client.force_login(alice)
    activity = newsletter(acme)
    html = client.post(cell_url(activity), {"person": specialist.pk, "letters": ""}).content.decode()
    assert letters(activity, specialist) == "" and "nobody Responsible" in html


@pytest.mark.django_db
def test_invalid_letters_are_refused_in_the_cell(client, alice, acme, specialist):
    client.force_login(alice)
    activity = newsletter(acme)
    response = client.post(cell_url(activity), {"person": specialist.pk, "letters": "RX"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Use only R, A, C and I (not X)." in html and "Not saved." in html
    assert 'aria-invalid="true"' in html and 'value="RX"' in html and 'data-saved="R"' in html
    assert letters(activity, specialist) == "R"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"letters": "R"},  # neither person nor role
        {"person": "abc", "letters": "R"},
        {"person": "999999", "letters": "R"},
        {"person": "SPECIALIST", "letters": "R" * 30},
    ],
)
def test_bad_cell_requests_answer_400(client, alice, acme, specialist, data):
    client.force_login(alice)
    activity = newsletter(acme)
    if data.get("person") == "SPECIALIST":
        data = {**data, "person": specialist.pk}
    assert client.post(cell_url(activity), data).status_code == 400
    assert letters(activity, specialist) == "R"


@pytest.mark.django_db
def test_both_person_and_role_is_refused(client, alice, acme, specialist):
    client.force_login(alice)
    role = Role.objects.get(workspace=acme, key="seo")
    response = client.post(
        cell_url(newsletter(acme)), {"person": specialist.pk, "role": role.pk, "letters": "C"}
    )
    assert response.status_code == 400 and b"either a person or a role" in response.content


@pytest.mark.django_db
def test_foreign_person_is_refused(client, alice, acme, globex, specialist):
    client.force_login(alice)
    foreign = Person.objects.filter(workspace=globex).first()
    response = client.post(cell_url(newsletter(acme)), {"person": foreign.pk, "letters": "C"})
    assert response.status_code == 400
    assert not RaciEntry.objects.filter(person=foreign, activity__workspace=acme).exists()


@pytest.mark.django_db
def test_viewer_and_member_without_rights_get_403(client, acme, bob, vera, specialist):
    activity = newsletter(acme)
    for user in (bob, vera):
        client.force_login(user)
        page = client.get(GRID).content.decode()
        assert 'class="raci-input"' not in page and '<span class="raci-letters">A</span>' in page
        response = client.post(cell_url(activity), {"person": specialist.pk, "letters": "RA"})
        assert response.status_code == 403
    assert letters(activity, specialist) == "R"
    client.force_login(vera)
    assert "Add an activity" not in client.get(GRID).content.decode()


@pytest.mark.django_db
def test_accountable_member_edits_only_their_own_row(client, alice, acme, bob, specialist):
    mine = activity_create(actor=alice, workspace=acme, name="Blog posts")
    bob_person = Person.objects.get(workspace=acme, user=bob)
    raci_set(actor=alice, activity=mine, person=bob_person, letters="A")
    client.force_login(bob)
    page = client.get(GRID).content.decode()
    assert f'id="raci-{mine.pk}-p{specialist.pk}"' in page
    assert f'id="raci-{newsletter(acme).pk}-p{specialist.pk}"' not in page
    assert client.post(cell_url(mine), {"person": specialist.pk, "letters": "R"}).status_code == 200
    assert letters(mine, specialist) == "R"
    assert (
        client.post(cell_url(newsletter(acme)), {"person": specialist.pk, "letters": "C"}).status_code == 403
    )


@pytest.mark.django_db
def test_restricted_activities_are_hidden_from_outsiders(client, alice, acme, bob, boss, specialist):
    secret = activity_create(actor=alice, workspace=acme, name="Secret acquisition", restricted=True)
    raci_set(actor=alice, activity=secret, person=boss, letters="R")  # no A: a finding about it
    client.force_login(bob)
    page = client.get(GRID).content.decode()
    assert "Secret acquisition" not in page and "Acme monthly newsletter" in page
    assert "Secret acquisition" not in client.get(GRID + "export.csv").content.decode()
    assert client.post(cell_url(secret), {"person": specialist.pk, "letters": "C"}).status_code == 404
    client.force_login(alice)
    assert "Secret acquisition" in client.get(GRID).content.decode()


@pytest.mark.django_db
def test_findings_panel_lists_errors_first_with_activity_names(client, alice, acme):
    activity_create(actor=alice, workspace=acme, name="Press kit")
    client.force_login(alice)
    page = client.get(GRID).content.decode()
    panel = page[page.index('id="raci-findings"') :]
    assert "Press kit" in panel and "nobody Accountable" in panel
    first_error, first_warning = panel.find(">Error<"), panel.find(">Warning<")
    assert first_error != -1 and (first_warning == -1 or first_error < first_warning)


@pytest.mark.django_db
def test_row_status_shows_a_tick_or_counts(client, alice, acme):
    activity_create(actor=alice, workspace=acme, name="Press kit")
    client.force_login(alice)
    page = client.get(GRID).content.decode()
    ok_row = page[page.index(f'id="raci-row-{newsletter(acme).pk}"') :]
    assert ok_row[: ok_row.index("</tbody>")].count("✔") == 1
    bad = Activity.objects.get(workspace=acme, name="Press kit")
    bad_row = page[page.index(f'id="raci-row-{bad.pk}"') :]
    assert "2 errors" in bad_row[: bad_row.index("</tbody>")]


@pytest.mark.django_db
def test_add_activity(client, alice, acme, vera):
    client.force_login(alice)
    response = client.post(
        GRID + "activities/new/", {"name": "Trade fair", "kind": "campaign", "creates_leads": "on"}
    )
    trade_fair = Activity.objects.get(workspace=acme, name="Trade fair")
    assert response.status_code == 302 and response["Location"].endswith(f"#activity-{trade_fair.pk}")
    assert trade_fair.creates_leads and not trade_fair.restricted and trade_fair.kind == "campaign"
    again = client.post(GRID + "activities/new/", {"name": "acme Monthly newsletter", "kind": "process"})
    assert again.status_code == 200 and "already an activity called" in again.content.decode()
    assert client.post(GRID + "activities/new/", {"name": "", "kind": "nonsense"}).status_code == 200
    client.force_login(vera)
    assert client.post(GRID + "activities/new/", {"name": "Viewer's", "kind": "process"}).status_code == 403
    assert not Activity.objects.filter(name="Viewer's").exists()


@pytest.mark.django_db
def test_grid_only_answers_get_and_post_where_meant(client, alice, acme):
    client.force_login(alice)
    assert client.post(GRID).status_code == 405
    assert client.get(cell_url(newsletter(acme))).status_code == 405


@pytest.mark.django_db
def test_tasks_are_rows_only_when_asked_for(client, alice, acme):
    activity_create(actor=alice, workspace=acme, name="Write the spring post", kind="task")
    client.force_login(alice)
    assert "Write the spring post" not in client.get("/w/acme/org/raci/").content.decode()
    tasks_only = client.get("/w/acme/org/raci/?kind=task").content.decode()
    assert "Write the spring post" in tasks_only and "Acme monthly newsletter" not in tasks_only
