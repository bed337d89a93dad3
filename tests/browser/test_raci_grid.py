"""The CMO edits the RACI matrix from the keyboard and watches the validation follow along."""

import re

from playwright.sync_api import expect

from opencmo.org.models import Activity, Person
from opencmo.org.raci_services import activity_create, raci_set


def people(*role_keys: str) -> list[Person]:
    return [Person.objects.get(workspace__slug="nordlys", roles__key=key) for key in role_keys]


def test_cmo_edits_cells_with_the_keyboard(page, live_server, login, shot):
    cmo, manager, analyst = people("cmo", "marketing_manager", "analyst")
    workspace = cmo.workspace
    shoot = activity_create(actor=None, workspace=workspace, name="Autumn catalogue shoot", kind="campaign")
    raci_set(actor=None, activity=shoot, person=cmo, letters="A")
    raci_set(actor=None, activity=shoot, person=manager, letters="R")
    # Named to sort right after the shoot, whatever activities the demo has, so ArrowDown reaches it.
    report = activity_create(actor=None, workspace=workspace, name="Autumn catalogue shoot, retouching")
    raci_set(actor=None, activity=report, person=cmo, letters="A")
    raci_set(actor=None, activity=report, person=analyst, letters="R")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(cmo.user.email)
    page.get_by_role("link", name="Organisation").click()
    page.get_by_role("link", name="RACI matrix").click()
    expect(page).to_have_url(re.compile(r"/w/nordlys/org/raci/$"))
    row = page.locator(f"#raci-row-{shoot.pk}")
    expect(row.get_by_test_id("raci-status")).to_have_text("✔ no problems")
    shot("raci-01-grid")

    # The manager becomes a second A: typed into the cell, committed with Enter.
    cell = page.locator(f"#raci-{shoot.pk}-p{manager.pk}")
    cell.click()
    page.keyboard.press("End")
    page.keyboard.type("a")
    page.keyboard.press("Enter")
    row = page.locator(f"#raci-row-{shoot.pk}")
    expect(row.get_by_test_id("raci-row-messages")).to_contain_text("it needs exactly one A")
    expect(row.get_by_test_id("raci-status")).to_contain_text("1 error")
    expect(page.get_by_test_id("raci-findings")).to_contain_text("Autumn catalogue shoot")  # out of band
    expect(cell).to_have_value("RA")
    expect(cell).to_be_focused()  # htmx puts the focus back into the re-rendered cell
    assert set(shoot.raci.filter(person=manager).values_list("letter", flat=True)) == {"R", "A"}
    shot("raci-02-two-accountable")

    # A bad letter is refused in the cell; Escape puts the saved letters back.
    page.keyboard.press("Control+A")
    page.keyboard.type("RX")
    page.keyboard.press("Enter")
    expect(row.locator(".raci-cell-error")).to_have_text(re.compile(r"not X\)\. Not saved\."))
    shot("raci-03-bad-letter")
    page.keyboard.press("Escape")
    expect(cell).to_have_value("RA")
    expect(row.locator(".raci-cell-error")).to_have_count(0)

    # Back to R only: the message disappears.
    page.keyboard.press("Control+A")
    page.keyboard.type("r")
    page.keyboard.press("Enter")
    expect(row.get_by_test_id("raci-row-messages")).to_have_count(0)
    expect(row.get_by_test_id("raci-status")).to_have_text("✔ no problems")
    expect(page.get_by_test_id("raci-findings")).not_to_contain_text("Autumn catalogue shoot")

    # Arrow keys move between cells: right along the row, down the column to the next activity.
    inputs = row.locator("input.raci-input")
    ids = inputs.evaluate_all("cells => cells.map(c => c.id)")
    position = ids.index(f"raci-{shoot.pk}-p{manager.pk}")
    page.keyboard.press("ArrowRight")  # the whole text is selected after a swap: move right away
    expect(page.locator(f"#{ids[position + 1]}")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cell).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#raci-{report.pk}-p{manager.pk}")).to_be_focused()
    # Typing there and moving away commits it too (on change).
    page.keyboard.type("c")
    page.keyboard.press("ArrowUp")
    expect(cell).to_be_focused()
    expect(page.locator(f"#raci-{report.pk}-p{manager.pk}")).to_have_value("C")
    expect(page.locator(f"#raci-row-{report.pk} .raci-input[data-saved='C']")).to_have_count(1)
    assert list(report.raci.filter(person=manager).values_list("letter", flat=True)) == ["C"]
    shot("raci-04-after-keyboard")

    # The role view shows the same matrix by hats.
    page.get_by_role("navigation", name="Columns").get_by_role("link", name="Roles").click()
    expect(page.locator(f"#raci-{shoot.pk}-r{cmo.roles.get(key='cmo').pk}")).to_have_value("")
    expect(page.get_by_text("A via CMO")).to_have_count(0)
    shot("raci-05-roles")
    assert not errors, errors


def test_viewer_sees_a_read_only_grid(page, live_server, login, shot):
    (service,) = people("customer_service")  # a viewer in the demo
    cmo, manager = people("cmo", "marketing_manager")
    activity_create(actor=None, workspace=cmo.workspace, name="Product newsletter")
    activity = Activity.objects.get(workspace=cmo.workspace, name="Product newsletter")
    raci_set(actor=None, activity=activity, person=cmo, letters="A")
    raci_set(actor=None, activity=activity, person=manager, letters="R")
    login(service.user.email)
    page.goto(f"{live_server.url}/w/nordlys/org/raci/")
    row = page.locator(f"#raci-row-{activity.pk}")
    expect(row.locator("input")).to_have_count(0)
    expect(row.locator(".raci-letters", has_text="A")).to_have_count(1)
    expect(page.get_by_role("heading", name="Add an activity")).to_have_count(0)
    shot("raci-06-read-only")


def test_admin_imports_a_csv_and_sees_problems_then_changes(page, live_server, login, shot):
    (cmo,) = people("cmo")
    header = "activity,kind,creates_leads,restricted,assignee,letters\n"
    bad = header + "Winter sale,campaign,yes,no,nobody@nowhere.example,A\nWinter sale,,,,role:sales,IX\n"
    good = header + f"Winter sale,campaign,yes,no,{cmo.email},A\nWinter sale,,,,role:sales,I\n"
    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/nordlys/org/raci/")
    page.get_by_role("link", name="Import CSV").click()

    def upload(text: str) -> None:
        page.get_by_label("CSV file").set_input_files(
            files=[{"name": "raci.csv", "mimeType": "text/csv", "buffer": text.encode()}]
        )
        page.get_by_role("button", name="Import").click()

    upload(bad)
    problems = page.get_by_test_id("raci-import-problems")
    expect(problems).to_contain_text("Nothing was imported: 2 problems")
    expect(problems.get_by_role("row")).to_have_count(3)
    shot("raci-07-import-problems")
    assert not Activity.objects.filter(name="Winter sale").exists()

    upload(good)
    expect(page.get_by_test_id("raci-import-result")).to_contain_text("1 created")
    expect(page.get_by_test_id("raci-findings")).to_contain_text("“Winter sale” has nobody Responsible")
    shot("raci-08-import-done")
    page.get_by_role("link", name="Open the matrix").click()
    expect(page.get_by_test_id("raci-grid").get_by_role("link", name="Winter sale")).to_be_visible()
