"""A person logs in, finds the demo people, searches, switches workspace and edits the organisation."""

import re

from playwright.sync_api import expect

from opencmo.org.models import Person


def email_of(role_key: str, slug: str = "nordlys") -> str:
    return Person.objects.get(workspace__slug=slug, roles__key=role_key).user.email


def test_cmo_logs_in_and_sees_the_demo_people(page, live_server, login, shot):
    login(email_of("cmo"))
    expect(page.get_by_role("heading", name="Nordlys Outdoor AS")).to_be_visible()
    shot("01-cmo-overview")
    page.get_by_role("link", name="Organisation").click()
    table = page.get_by_test_id("people-table")
    expect(table.get_by_role("row")).to_have_count(15)  # header + 14 people
    for hat in ["CMO", "Marketing manager", "Analyst", "SEO specialist", "External agency"]:
        expect(table.get_by_text(hat, exact=True).first).to_be_visible()
    shot("02-people")


def test_live_search_filters_the_table(page, live_server, login):
    login(email_of("marketing_manager"))
    page.goto(f"{live_server.url}/w/nordlys/org/people/")
    page.get_by_label("Search people").fill("agency")
    table = page.get_by_test_id("people-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=agency"))


def test_agency_user_switches_workspace_in_one_click(page, live_server, login, shot):
    agency = Person.objects.filter(workspace__slug="nordlys", roles__key="agency").order_by("pk").first()
    login(agency.user.email)
    expect(page.get_by_role("heading", name="Your workspaces")).to_be_visible()  # two workspaces: choose
    page.get_by_role("link", name=re.compile("Nordlys Outdoor AS")).click()
    page.get_by_test_id("workspace-switcher").locator("summary").click()
    shot("03-switcher-open")
    page.get_by_test_id("workspace-switcher").get_by_role(
        "link", name=re.compile("Nordlys Studio ApS")
    ).click()
    expect(page.get_by_role("heading", name="Nordlys Studio ApS")).to_be_visible()
    page.get_by_role("link", name="Organisation").click()
    solo = Person.objects.get(workspace__slug="nordlys-studio", roles__key="cmo")
    row = page.get_by_test_id("people-table").get_by_role("row", name=re.compile(solo.name))
    expect(row.get_by_text("CMO", exact=True)).to_be_visible()
    expect(row.get_by_text("Marketing manager", exact=True)).to_be_visible()
    shot("04-sister-people")


def test_admin_adds_a_person_and_sees_a_cycle_refused(page, live_server, login, shot):
    login(email_of("cmo"))
    page.goto(f"{live_server.url}/w/nordlys/org/people/new/")
    page.get_by_label("Name").fill("Siv Aasen")
    page.get_by_label("Title").fill("Video producer")
    page.get_by_label("Reports to").select_option(
        label=Person.objects.get(workspace__slug="nordlys", roles__key="marketing_manager").name
    )
    page.get_by_label("Content producer").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Siv Aasen")).to_be_visible()
    expect(page.get_by_text("Siv Aasen saved.")).to_be_visible()
    # Now try to make the CEO report to Siv: a cycle, refused on the field.
    ceo = Person.objects.get(workspace__slug="nordlys", roles__key="executive")
    page.goto(f"{live_server.url}/w/nordlys/org/people/{ceo.pk}/edit/")
    page.get_by_label("Reports to").select_option(label="Siv Aasen")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile("already reports \\(directly or indirectly\\)"))).to_be_visible()
    shot("05-cycle-refused")
    ceo.refresh_from_db()
    assert ceo.reports_to is None


def test_logout(page, live_server, login):
    login(email_of("analyst"))
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(f"{live_server.url}/w/nordlys/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
