"""RACI as CSV: export, import (all or nothing, every problem with its row) and `opencmo raci`."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from opencmo.core.models import AuditEvent
from opencmo.org import raci_io
from opencmo.org.models import Activity, Person, RaciEntry, Role
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.org.services import person_create

HEADER = "activity,kind,creates_leads,restricted,assignee,letters"
EXPORT = "/w/acme/org/raci/export.csv"
IMPORT = "/w/acme/org/raci/import/"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def entries(workspace) -> set[tuple[str, str, str]]:
    return {
        (e.activity.name, e.letter, e.person.name if e.person_id else f"role:{e.role.key}")
        for e in RaciEntry.objects.filter(workspace=workspace).select_related("activity", "person", "role")
    }


@pytest.fixture
def matrix(acme, alice):
    """Acme with a role entry, an emailed person, an activity without entries and a formula-like name."""
    boss = Person.objects.get(workspace=acme, user=alice)
    boss.email = "alice@acme.example"
    boss.save()
    sales = Role.objects.get(workspace=acme, key="sales")
    launch = activity_create(
        actor=alice, workspace=acme, name="-Spring launch", kind="campaign", creates_leads=True
    )
    raci_set(actor=alice, activity=launch, person=boss, letters="AR")
    raci_set(actor=alice, activity=launch, role=sales, letters="I")
    activity_create(actor=alice, workspace=acme, name="Brand audit", restricted=True)
    return acme


# --- export ---


@pytest.mark.django_db
def test_export_is_long_format_one_row_per_assignee(client, alice, matrix):
    client.force_login(alice)
    response = client.get(EXPORT)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="acme-raci.csv"'
    rows = rows_of(response.content.decode())
    assert rows[0] == HEADER.split(",")
    assert rows[1:] == [
        ["'-Spring launch", "campaign", "yes", "no", "alice@acme.example", "RA"],  # formula escaped
        ["'-Spring launch", "campaign", "yes", "no", "role:sales", "I"],
        ["Acme monthly newsletter", "process", "no", "no", "Acme Specialist", "R"],  # no email: name
        ["Acme monthly newsletter", "process", "no", "no", "alice@acme.example", "A"],
        ["Brand audit", "process", "no", "yes", "", ""],  # no entries: still one row
    ]


@pytest.mark.django_db
def test_export_shows_only_visible_activities(client, alice, bob, matrix):
    client.force_login(bob)
    text = client.get(EXPORT).content.decode()
    assert "Brand audit" not in text and "Spring launch" in text


# --- import round trip ---


@pytest.mark.django_db
def test_round_trip_restores_the_matrix(client, alice, matrix):
    client.force_login(alice)
    exported = client.get(EXPORT).content
    before = entries(matrix)
    launch = Activity.objects.get(workspace=matrix, name="-Spring launch")
    specialist = Person.objects.get(workspace=matrix, name="Acme Specialist")
    raci_set(actor=alice, activity=launch, person=specialist, letters="C")  # will be removed
    RaciEntry.objects.filter(activity=launch, role__key="sales").delete()  # will be added back
    Activity.objects.filter(name="Brand audit").update(restricted=False)  # will be updated back

    result = raci_io.import_csv(actor=alice, workspace=matrix, data=exported)
    assert result.ok, result.problems
    assert entries(matrix) == before
    assert result.created == [] and result.updated == ["Brand audit: restricted"]
    assert result.added == ["I: Sales on “-Spring launch”"]
    assert result.removed == ["C: Acme Specialist on “-Spring launch”"]
    assert Activity.objects.get(workspace=matrix, name="Brand audit").restricted
    assert AuditEvent.objects.filter(object_type="org.RaciEntry", action="delete", actor=alice).exists()
    # A second import of the same file changes nothing.
    again = raci_io.import_csv(actor=alice, workspace=matrix, data=exported)
    assert again.ok and not again.changed and "already match" in again.summary()


@pytest.mark.django_db
def test_import_creates_activities_and_replaces_entries(alice, acme):
    data = (
        f"{HEADER}\n"
        "Trade fair,campaign,yes,no,alice@acme.example,A\n"
        "Trade fair,,,,Acme Specialist,r\n"
        "Trade fair,,,,role:sales,I\n"
        "Acme monthly newsletter,,,,Acme Specialist,RA\n"
    )
    Person.objects.filter(workspace=acme, name="Alice Andersen").update(email="Alice@Acme.example")
    result = raci_io.import_csv(actor=alice, workspace=acme, data=data)
    assert result.ok, result.problems
    fair = Activity.objects.get(workspace=acme, name="Trade fair")
    assert fair.kind == "campaign" and fair.creates_leads and result.created == ["Trade fair"]
    assert entries(acme) == {
        ("Trade fair", "A", "Alice Andersen"),
        ("Trade fair", "R", "Acme Specialist"),
        ("Trade fair", "I", "role:sales"),
        ("Acme monthly newsletter", "R", "Acme Specialist"),
        ("Acme monthly newsletter", "A", "Acme Specialist"),  # Alice's A was replaced
    }
    assert "Removed" not in result.summary() and len(result.removed) == 1
    codes = {f.code for f in result.health.findings}
    assert "self_approval" in codes


@pytest.mark.django_db
def test_semicolons_and_byte_order_mark_are_accepted(alice, acme):
    data = f"\ufeff{HEADER.replace(',', ';')}\nKampanje høst;task;nei?;;Acme Specialist;R\n".encode()
    result = raci_io.import_csv(actor=alice, workspace=acme, data=data)
    assert [str(p) for p in result.problems] == ["Row 2, creates_leads: Use yes or no (not “nei?”)."]
    good = f"\ufeff{HEADER.replace(',', ';')}\nKampanje høst;task;no;;Acme Specialist;R\n".encode()
    assert raci_io.import_csv(actor=alice, workspace=acme, data=good).ok
    assert Activity.objects.get(workspace=acme, name="Kampanje høst").kind == "task"


@pytest.mark.django_db
def test_dry_run_reports_but_saves_nothing(alice, acme):
    before = entries(acme)
    data = f"{HEADER}\nNew thing,,,,Acme Specialist,RA\nAcme monthly newsletter,,,,,\n"
    result = raci_io.import_csv(actor=alice, workspace=acme, data=data, dry_run=True)
    assert result.ok and result.created == ["New thing"] and len(result.removed) == 2
    assert "Would change 2 activities" in result.summary()
    assert "no_accountable" in {f.code for f in result.health.findings}  # as it would be afterwards
    assert entries(acme) == before and not Activity.objects.filter(name="New thing").exists()


# --- import problems ---


@pytest.mark.django_db
def test_every_problem_is_reported_with_row_and_field_and_nothing_is_written(alice, acme):
    person_create(actor=alice, workspace=acme, name="Twin")
    person_create(actor=alice, workspace=acme, name="Twin")
    before, activities = entries(acme), Activity.objects.count()
    data = (
        f"{HEADER}\n"
        "Good one,,,,Acme Specialist,R\n"  # 2: fine on its own
        "Good one,,,,nobody@nowhere.example,C\n"  # 3
        "Good one,,,,Acme Specialist,RX\n"  # 4: duplicate and bad letters: letters reported first
        ",,,,Acme Specialist,R\n"  # 5
        "Good one,,maybe,,role:sales,I\n"  # 6
        "Good one,,,,role:astronaut,I\n"  # 7
        "Good one,,,,Acme Specialist,A\n"  # 8: duplicate assignee
        "Good one,,,,Twin,A\n"  # 9: ambiguous
        "Good one,,,,Alice Andersen,\n"  # 10: no letters
        "Good one,,,,,R\n"  # 11: letters without assignee
        "Good one,launch-party,,,,\n"  # 12
        "Good one,,yes,,,\n"  # 13: fine
        "Good one,,no,,,\n"  # 14: conflicts with row 13
        "Good one,,,,,,extra\n"  # 15
    )
    result = raci_io.import_csv(actor=alice, workspace=acme, data=data)
    problems = [(p.row, p.field) for p in result.problems]
    assert problems == [
        (3, "assignee"),
        (4, "letters"),
        (5, "activity"),
        (6, "creates_leads"),
        (7, "assignee"),
        (8, "assignee"),
        (9, "assignee"),
        (10, "letters"),
        (11, "assignee"),
        (12, "kind"),
        (14, "creates_leads"),
        (15, "file"),
    ]
    text = [str(p) for p in result.problems]
    assert "Row 3, assignee: No person or role “nobody@nowhere.example”" in text[0]
    assert text[1] == "Row 4, letters: Use only R, A, C and I (not X)."
    assert "already on this activity in row 2" in text[5]
    assert "matches 2 people" in text[6]
    assert "Differs from row 13" in text[10]
    assert entries(acme) == before and Activity.objects.count() == activities


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Row 1, header: The file is empty"),
        (b"name,letters\nX,R\n", "Row 1, header: Expected the columns"),
        (f"{HEADER},notes\n".encode(), "unknown notes"),
        (b"\xff\xfe\x00a", "Row 1, file: The file is not UTF-8"),
        (f"{HEADER}\n".encode(), "Row 2, activity: The file has a header but no rows."),
        (f"{HEADER}\n{'x' * 201},,,,,\n".encode(), "Row 2, activity: The activity name is longer"),
    ],
)
def test_unreadable_files_are_explained(alice, acme, data, expected):
    result = raci_io.import_csv(actor=alice, workspace=acme, data=data)
    assert not result.ok and expected in str(result.problems[0])


@pytest.mark.django_db
def test_import_needs_an_administrator(bob, acme):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        raci_io.import_csv(actor=bob, workspace=acme, data=f"{HEADER}\nX,,,,,\n")


# --- import page ---


def upload(client, text: str, **extra):
    file = SimpleUploadedFile("raci.csv", text.encode(), content_type="text/csv")
    return client.post(IMPORT, {"file": file, **extra})


@pytest.mark.django_db
def test_import_page_shows_changes_and_findings(client, alice, acme):
    client.force_login(alice)
    assert client.get(IMPORT).status_code == 200
    response = upload(client, f"{HEADER}\nTrade fair,campaign,yes,no,Acme Specialist,R\n")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="raci-import-result"' in page
    assert "1 created" in page and "R: Acme Specialist on “Trade fair”" in page
    assert 'id="raci-findings"' in page and "“Trade fair” has nobody Accountable" in page
    assert Activity.objects.filter(workspace=acme, name="Trade fair").exists()


@pytest.mark.django_db
def test_import_page_lists_problems_and_saves_nothing(client, alice, acme):
    client.force_login(alice)
    page = upload(
        client, f"{HEADER}\nTrade fair,,,,Nobody,R\nTrade fair,,,,Acme Specialist,Q\n"
    ).content.decode()
    assert "Nothing was imported: 2 problems" in page
    assert "<td>2</td><td>assignee</td>" in page and "<td>3</td><td>letters</td>" in page
    assert not Activity.objects.filter(workspace=acme, name="Trade fair").exists()


@pytest.mark.django_db
def test_import_page_dry_run(client, alice, acme):
    client.force_login(alice)
    page = upload(client, f"{HEADER}\nTrade fair,,,,Acme Specialist,R\n", dry_run="on").content.decode()
    assert "Checked: nothing was saved" in page and "Activities to create" in page
    assert not Activity.objects.filter(workspace=acme, name="Trade fair").exists()


@pytest.mark.django_db
def test_import_page_is_for_administrators(client, bob, vera, acme):
    for user in (bob, vera):
        client.force_login(user)
        assert client.get(IMPORT).status_code == 403
        assert upload(client, f"{HEADER}\nTrade fair,,,,,\n").status_code == 403
    assert not Activity.objects.filter(workspace=acme, name="Trade fair").exists()


@pytest.mark.django_db
def test_import_page_without_a_file(client, alice, acme):
    client.force_login(alice)
    response = client.post(IMPORT, {})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


# --- command line ---


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("raci", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_cli_validate_exits_1_on_errors(alice, acme):
    out, _ = run("validate", "--workspace", "acme")  # the seeded newsletter is healthy
    assert "0 errors" in out
    activity_create(actor=alice, workspace=acme, name="Press kit")
    with pytest.raises(CommandError) as failed:
        run("validate", "--workspace", "acme")
    assert failed.value.returncode == 1 and "1 errors" not in str(failed.value)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("raci", "validate", "--workspace", "acme", "--format", "json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["errors"] == 2 and document["workspace"] == "acme"
    assert {"activity": "Press kit", "code": "no_accountable"}.items() <= document["findings"][0].items()


@pytest.mark.django_db
def test_cli_unknown_workspace_is_bad_input(acme):
    for action in (["validate"], ["export"], ["import", "x.csv"]):
        with pytest.raises(CommandError) as failed:
            run(*action, "--workspace", "nope")
        assert failed.value.returncode == 2 and "nope" in str(failed.value)


@pytest.mark.django_db
def test_cli_export_and_import_round_trip(alice, matrix, tmp_path):
    out, _ = run("export", "--workspace", "acme")
    assert out.splitlines()[0] == HEADER and "role:sales" in out
    target = tmp_path / "raci.csv"
    _, err = run("export", "--workspace", "acme", str(target))
    assert target.read_bytes().startswith(b"\xef\xbb\xbf") and "Wrote" in err
    before = entries(matrix)
    RaciEntry.objects.filter(workspace=matrix).delete()
    out, _ = run("import", "--workspace", "acme", str(target), "--dry-run")
    assert "Dry run: nothing was saved." in out and not RaciEntry.objects.filter(workspace=matrix).exists()
    out, _ = run("import", "--workspace", "acme", str(target))
    assert "5 entries added" in out and entries(matrix) == before
    assert AuditEvent.objects.filter(object_type="org.RaciEntry", actor_label="system").exists()


@pytest.mark.django_db
def test_cli_import_reports_rows_and_exits_2(acme, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nTrade fair,,,,Nobody,R\nTrade fair,,sometimes,,,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("raci", "import", "--workspace", "acme", str(bad), stderr=err)
    assert failed.value.returncode == 2 and "2 problems" in str(failed.value)
    assert "Row 2, assignee:" in err.getvalue() and "Row 3, creates_leads:" in err.getvalue()
    assert not Activity.objects.filter(name="Trade fair").exists()
    with pytest.raises(CommandError) as missing:
        run("import", "--workspace", "acme", str(tmp_path / "missing.csv"))
    assert missing.value.returncode == 2 and "Cannot read" in str(missing.value)


@pytest.mark.django_db
def test_cli_exit_code_reaches_the_shell(acme, monkeypatch, capsys):
    """From the command line a CommandError is a message and an exit status, never a traceback."""
    from django.core.management import base

    from opencmo.core.management.commands.raci import Command

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's connection
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["opencmo", "raci", "validate", "--workspace", "nope"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "No workspace with the slug “nope”" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["opencmo", "raci", "validate"])  # argparse: --workspace is required
    assert exited.value.code == 2


@pytest.mark.django_db
def test_activities_sharing_a_name_are_refused(alice, acme):
    (unique,) = [c for c in Activity._meta.constraints if c.name == "activity_name_unique_in_workspace"]
    if unique.condition is None:
        pytest.skip("activity names are unique in every workspace: no ambiguity possible")
    for _ in range(2):
        Activity.objects.create(workspace=acme, name="Write blog post", kind="task")
    data = f"{HEADER}\nWrite blog post,task,,,Acme Specialist,R\nWrite blog post,,,,Alice Andersen,A\n"
    result = raci_io.import_csv(actor=alice, workspace=acme, data=data)
    assert [str(p) for p in result.problems] == [
        "Row 2, activity: 2 activities are called “Write blog post”; rename them apart before importing."
    ]
    assert not RaciEntry.objects.filter(activity__name="Write blog post").exists()
