"""Work pages: the board and its moves, the list and its filters, my work, a task's page with
traceability, checklist, comments, files and approval, and 403/404 where RACI says no."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opencmo.org.models import ApprovalRequest
from opencmo.strategy.models import CompanyGoal, Objective
from opencmo.work import services
from opencmo.work.models import Attachment, ChecklistItem, Comment, Task
from tests.work.conftest import make_campaign
from tests.work.test_attachments import PDF, png_bytes

TODAY = timezone.localdate()


def board(ws="acme"):
    return f"/w/{ws}/work/"


def detail(task):
    return f"/w/acme/work/tasks/{task.pk}/"


@pytest.fixture
def tasks(team, make_task, campaign):
    other = make_campaign(team.ws, "Autumn catalogue", "autumn", accountable=team.alice_p)
    late = make_task("Late brief", due_date=TODAY - dt.timedelta(days=3))
    week = make_task("This week's post", due_date=TODAY, kind="deliverable", deliverable_type="Blog post")
    later = make_task(
        "Catalogue shoot",
        campaign=other,
        due_date=TODAY + dt.timedelta(days=30),
        responsible=[team.olga_p],
        accountable=team.alice_p,
        consulted=[],
        informed=[],
    )
    services.task_move(actor=None, task=later, status="doing", position=0)
    return {"late": late, "week": week, "later": later, "other": other}


@pytest.mark.django_db
def test_board_shows_columns_and_cards(client_for, team, tasks):
    page = client_for(team.bob).get(board()).content.decode()
    for label in ("Backlog", "To do", "In progress", "In review", "Done"):
        assert f">{label}</h2>" in page
    card = re.search(rf'<article class="kcard late"[^>]*data-task="{tasks["late"].pk}"', page)
    assert card, "a late card is marked late"
    assert "Late · " in page and "Spring launch" in page and "BB" in page  # campaign, R initials
    assert 'draggable="true"' in page  # Bob is R on the spring tasks
    assert f'data-testid="move-{tasks["later"].pk}"' not in page  # Olga's task: Bob cannot move it
    # Done is offered only to those who may finish: Bob is R on a deliverable.
    select = re.search(rf'id="move-{tasks["week"].pk}".*?</select>', page, re.S).group(0)
    assert '<option value="done" disabled>' in select


@pytest.mark.django_db
def test_board_filters(client_for, team, tasks):
    client = client_for(team.alice)
    by_campaign = client.get(board(), {"campaign": tasks["other"].pk}).content.decode()
    assert "Catalogue shoot" in by_campaign and "Late brief" not in by_campaign
    by_person = client.get(board(), {"person": team.olga_p.pk}).content.decode()
    assert "Catalogue shoot" in by_person and "Late brief" not in by_person
    late = client.get(board(), {"due": "late"}).content.decode()
    assert "Late brief" in late and "This week" not in late
    week = client.get(board(), {"due": "week"}).content.decode()
    assert "This week&#x27;s post" in week and "Late brief" not in week
    junk = client.get(board(), {"campaign": "nope", "person": "999999", "due": "<script>"})
    assert junk.status_code == 200 and "Late brief" in junk.content.decode()


@pytest.mark.django_db
def test_restricted_and_agency_visibility_on_the_board(client_for, team, make_task):
    secret = make_campaign(team.ws, "Secret launch", "secret", accountable=team.marta_p, restricted=True)
    hidden = make_task("Embargoed teaser", campaign=secret)
    for viewer, sees in ((team.olga, False), (team.agnes, False), (team.bob, True), (team.alice, True)):
        page = client_for(viewer).get(board()).content.decode()
        assert ("Embargoed teaser" in page) is sees
        assert client_for(viewer).get(detail(hidden)).status_code == (200 if sees else 404)


@pytest.mark.django_db
def test_move_endpoint_json_and_form(client_for, team, tasks):
    client = client_for(team.bob)
    url = f"/w/acme/work/tasks/{tasks['late'].pk}/move/"
    json_headers = {"HTTP_ACCEPT": "application/json"}
    ok = client.post(url, {"status": "doing", "before": str(tasks["later"].pk)}, **json_headers)
    assert ok.status_code == 200 and ok.json()["status"] == "doing" and ok.json()["position"] == 0
    assert list(Task.objects.filter(status="doing").order_by("position").values_list("title", flat=True)) == [
        "Late brief",
        "Catalogue shoot",
    ]
    week_url = f"/w/acme/work/tasks/{tasks['week'].pk}/move/"
    refused = client.post(week_url, {"status": "done"}, **json_headers)
    assert refused.status_code == 403 and "Accountable" in refused.json()["error"]
    gate = client_for(team.marta).post(week_url, {"status": "done"}, **json_headers)
    assert gate.status_code == 400 and "approved" in gate.json()["error"]
    client = client_for(team.bob)
    form = client.post(url, {"status": "review", "next": "/w/acme/work/?due=late"}, follow=True)
    assert form.redirect_chain[-1][0] == "/w/acme/work/?due=late"
    assert "moved to In review" in form.content.decode()
    assert client.post(url, {"status": "review", "next": "https://evil.example/"}).url == "/w/acme/work/"
    assert client.post(url, {"status": "bogus", "position": "x"}).status_code == 302
    assert client_for(team.sam).post(url, {"status": "todo"}).status_code == 403  # C
    assert client_for(team.bob).get(url).status_code == 405


@pytest.mark.django_db
def test_move_up_and_down_without_javascript(client_for, team, make_task):
    first, second = make_task("First"), make_task("Second")
    client_for(team.bob).post(f"/w/acme/work/tasks/{second.pk}/move/", {"status": "todo", "direction": "up"})
    assert list(Task.objects.order_by("position").values_list("title", flat=True)) == ["Second", "First"]
    client_for(team.bob).post(
        f"/w/acme/work/tasks/{second.pk}/move/", {"status": "todo", "direction": "down"}
    )
    assert list(Task.objects.order_by("position").values_list("title", flat=True)) == ["First", "Second"]
    assert first.pk


@pytest.mark.django_db
def test_list_filters_sorting_and_export(client_for, team, tasks):
    client = client_for(team.alice)
    url = "/w/acme/work/tasks/"

    def titles(**params):
        page = client.get(url, params).content.decode()
        return re.findall(r'<td><a href="/w/acme/work/tasks/\d+/">([^<]+)</a>', page)

    assert titles(sort="title") == ["Catalogue shoot", "Late brief", "This week&#x27;s post"]
    assert titles(sort="due") == ["Late brief", "This week&#x27;s post", "Catalogue shoot"]
    assert titles(status="doing") == ["Catalogue shoot"]
    assert titles(status="open", sort="title")[0] == "Catalogue shoot"
    assert titles(campaign=tasks["other"].pk) == ["Catalogue shoot"]
    assert titles(responsible=team.bob_p.pk, sort="title") == ["Late brief", "This week&#x27;s post"]
    assert titles(kind="deliverable") == ["This week&#x27;s post"]
    assert titles(due_from=TODAY.isoformat(), due_to=(TODAY + dt.timedelta(days=7)).isoformat()) == [
        "This week&#x27;s post"
    ]
    assert titles(due="late") == ["Late brief"]
    assert titles(q="catalogue") == ["Catalogue shoot"]  # the campaign's name matches too
    assert titles(due_from="not-a-date", sort="nonsense", status="zzz") == titles()  # bad input is ignored
    partial = client.get(url, {"q": "brief"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<table" in partial and "<html" not in partial
    csv = client.get("/w/acme/work/tasks.csv", {"kind": "deliverable"})
    assert csv["Content-Disposition"].startswith("attachment;")
    body = csv.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Title,Kind,Type,Column,Campaign,Due,Responsible")
    assert "This week's post,Deliverable,Blog post,To do,Spring launch" in body and "Late brief" not in body


@pytest.mark.django_db
def test_my_work_groups_by_letter_and_due_with_approvals(client_for, team, tasks):
    services.task_approval_request(actor=team.bob, task=tasks["week"], summary="Publish this week's post")
    page = client_for(team.bob).get("/w/acme/work/mine/").content.decode()
    responsible = page[page.index('data-testid="letter-R"') : page.index('data-testid="letter-A"')]
    assert "Late brief" in responsible and ">Late <" in responsible and ">This week <" in responsible
    assert "Catalogue shoot" not in page
    assert "Your requests in progress" in page and "Sam" in page
    sam = client_for(team.sam).get("/w/acme/work/mine/").content.decode()
    assert "Sign-off" in sam and "Publish this week&#x27;s post" in sam
    assert f"/w/acme/work/tasks/{tasks['week'].pk}/#approval" in sam
    req = ApprovalRequest.objects.get()
    from opencmo.org.approvals import signoff_answer

    signoff_answer(actor=team.sam, signoff=req.signoffs.get(), agree=True)
    marta = client_for(team.marta).get("/w/acme/work/mine/").content.decode()
    assert "Decision" in marta and "1 approval waiting for you" in marta
    outsider = client_for(team.alice).get("/w/acme/work/mine/").content.decode()
    assert "Catalogue shoot" in outsider  # Alice is A on the autumn task


@pytest.mark.django_db
def test_my_work_without_a_person(client_for, vera, acme):
    page = client_for(vera).get("/w/acme/work/mine/").content.decode()
    assert "not linked to a person" in page


@pytest.mark.django_db
def test_detail_traces_task_to_company_goals(client_for, team, tasks, campaign):
    goal = CompanyGoal.objects.create(workspace=team.ws, title="Double B2C revenue by 2028", target_year=2028)
    objective = Objective.objects.create(
        workspace=team.ws,
        title="Grow webshop sales",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    objective.goals.add(goal)
    campaign.objectives.add(objective)
    page = client_for(team.carl).get(detail(tasks["late"])).content.decode()
    trace = page[page.index('data-testid="trace"') :]
    assert trace.index("Late brief") < trace.index("Spring launch") < trace.index("Grow webshop sales")
    assert trace.index("Grow webshop sales") < trace.index("Double B2C revenue by 2028")
    assert 'data-testid="my-letters">I<' in page and "Edit</a>" not in page and "Ask for approval" not in page


@pytest.mark.django_db
def test_detail_is_404_outside_and_for_foreign_ids(client_for, team, tasks, globex):
    assert client_for(team.alice).get("/w/acme/work/tasks/999999/").status_code == 404
    assert client_for(team.alice).get(f"/w/globex/work/tasks/{tasks['late'].pk}/").status_code == 404
    assert client_for(team.agnes).get(detail(tasks["late"])).status_code == 404


@pytest.mark.django_db
def test_create_and_edit_pages(client_for, team, campaign, vera):
    client = client_for(team.bob)
    page = client.get(
        "/w/acme/work/tasks/new/", {"status": "backlog", "campaign": campaign.pk}
    ).content.decode()
    assert '<option value="backlog" selected>' in page and f'<option value="{campaign.pk}" selected>' in page
    bad = client.post("/w/acme/work/tasks/new/", {"title": "", "kind": "task", "status": "todo"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    clash = client.post(
        "/w/acme/work/tasks/new/",
        {
            "title": "X",
            "kind": "task",
            "status": "todo",
            "accountable": team.sam_p.pk,
            "informed": [team.sam_p.pk],
        },
    )
    assert "not also Informed" in clash.content.decode()
    made = client.post(
        "/w/acme/work/tasks/new/",
        {
            "title": "Newsletter May",
            "kind": "deliverable",
            "deliverable_type": "Newsletter",
            "campaign": campaign.pk,
            "due_date": "2026-05-02",
            "status": "backlog",
            "consulted": [team.sam_p.pk],
        },
    )
    task = Task.objects.get(title="Newsletter May")
    assert made.url == detail(task) and task.status == "backlog" and task.due_date == dt.date(2026, 5, 2)
    assert client_for(vera).get("/w/acme/work/tasks/new/").status_code == 403
    assert client_for(team.sam).get(f"/w/acme/work/tasks/{task.pk}/edit/").status_code == 403
    client = client_for(team.bob)  # (one test client: each client_for logs it in as someone else)
    edit = client.get(f"/w/acme/work/tasks/{task.pk}/edit/").content.decode()
    assert "Who does what" not in edit  # R edits the work, not the people
    client.post(
        f"/w/acme/work/tasks/{task.pk}/edit/",
        {"title": "Newsletter May (Nordic)", "kind": "deliverable", "deliverable_type": "Newsletter"},
    )
    task.refresh_from_db()
    assert task.title == "Newsletter May (Nordic)" and task.campaign is None  # the form says no campaign
    marta = client_for(team.marta)
    assert "Who does what" in marta.get(f"/w/acme/work/tasks/{task.pk}/edit/").content.decode()
    response = marta.post(
        f"/w/acme/work/tasks/{task.pk}/edit/",
        {
            "title": "Newsletter May (Nordic)",
            "kind": "deliverable",
            "responsible": [team.bob_p.pk, team.olga_p.pk],
            "accountable": team.marta_p.pk,
            "restricted": "on",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.activity.restricted and client_for(team.olga).get(detail(task)).status_code == 200  # now R


@pytest.mark.django_db
def test_delete_page(client_for, team, tasks):
    url = f"/w/acme/work/tasks/{tasks['late'].pk}/delete/"
    assert client_for(team.bob).get(url).status_code == 403
    assert "Delete “Late brief”?" in client_for(team.marta).get(url).content.decode()
    assert client_for(team.marta).post(url).url == "/w/acme/work/"
    assert not Task.objects.filter(title="Late brief").exists()


@pytest.mark.django_db
def test_checklist_through_htmx_and_forms(client_for, team, tasks):
    client = client_for(team.bob)
    task = tasks["late"]
    partial = client.post(
        f"/w/acme/work/tasks/{task.pk}/checklist/", {"text": "Outline"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="checklist"' in partial.content.decode() and "<html" not in partial.content.decode()
    item = ChecklistItem.objects.get()
    client.post(f"/w/acme/work/checklist/{item.pk}/toggle/", {"done": "1"})
    item.refresh_from_db()
    assert item.done
    empty = client.post(f"/w/acme/work/tasks/{task.pk}/checklist/", {"text": ""}, HTTP_HX_REQUEST="true")
    assert "Write what is to be done" in empty.content.decode()
    assert client_for(team.sam).post(f"/w/acme/work/checklist/{item.pk}/toggle/").status_code == 403
    client_for(team.bob).post(f"/w/acme/work/checklist/{item.pk}/delete/")
    assert not ChecklistItem.objects.exists()


@pytest.mark.django_db
def test_comments_on_the_page(client_for, team, tasks):
    task = tasks["late"]
    olga = client_for(team.olga)
    assert olga.post(f"/w/acme/work/tasks/{task.pk}/comments/", {"body": "Which prices?"}).status_code == 302
    comment = Comment.objects.get()
    assert (
        client_for(team.bob).post(f"/w/acme/work/comments/{comment.pk}/edit/", {"body": "x"}).status_code
        == 403
    )
    empty = client_for(team.olga).post(f"/w/acme/work/tasks/{task.pk}/comments/", {"body": " "})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    page = client_for(team.olga).get(detail(task)).content.decode()
    assert "Which prices?" in page and "Edit your comment" in page


@pytest.mark.django_db
def test_files_upload_and_download_through_permission_checks(client_for, team, tasks):
    task = tasks["late"]
    bob = client_for(team.bob)
    response = bob.post(
        f"/w/acme/work/tasks/{task.pk}/files/", {"file": SimpleUploadedFile("Brief — v1.pdf", PDF)}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    download = client_for(team.carl).get(f"/w/acme/work/files/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert (
        download["Content-Disposition"].startswith("attachment;")
        and "Brief" in download["Content-Disposition"]
    )
    refused = client_for(team.bob).post(
        f"/w/acme/work/tasks/{task.pk}/files/", {"file": SimpleUploadedFile("photo.pdf", png_bytes())}
    )
    assert refused.status_code == 400 and "its contents are a PNG image" in refused.content.decode()
    assert (
        client_for(team.sam)
        .post(f"/w/acme/work/tasks/{task.pk}/files/", {"file": SimpleUploadedFile("c.pdf", PDF)})
        .status_code
        == 403
    )
    assert client_for(team.agnes).get(f"/w/acme/work/files/{attachment.pk}/").status_code == 404
    assert client_for(team.sam).post(f"/w/acme/work/files/{attachment.pk}/delete/").status_code == 403
    client_for(team.bob).post(f"/w/acme/work/files/{attachment.pk}/delete/")
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_approval_of_a_deliverable_on_its_page(client_for, team, tasks):
    task = tasks["week"]
    url = f"/w/acme/work/tasks/{task.pk}/approval/"
    bob = client_for(team.bob)
    assert "Ask for approval" in bob.get(detail(task)).content.decode()
    assert bob.post(url, {"action": "request", "kind": "content", "summary": ""}).status_code == 400
    bob.post(url, {"action": "request", "kind": "content", "summary": "Publish the post"})
    task.refresh_from_db()
    assert task.status == "review"
    assert client_for(team.carl).post(url, {"action": "signoff", "decision": "agree"}).status_code == 403
    client_for(team.sam).post(url, {"action": "signoff", "decision": "agree", "comment": "Fine"})
    marta = client_for(team.marta)
    blocked = marta.get(detail(task)).content.decode()
    assert "Record decision" in blocked and "approval request open" in blocked
    marta.post(url, {"action": "decide", "decision": "approve", "comment": "Publish"})
    moved = marta.post(
        f"/w/acme/work/tasks/{task.pk}/move/", {"status": "done"}, HTTP_ACCEPT="application/json"
    )
    assert moved.json()["ok"]
    assert client_for(team.bob).post(url, {"action": "frobnicate"}).status_code == 302


@pytest.mark.django_db
def test_viewer_reads_but_cannot_change(client_for, team, tasks, vera):
    client = client_for(vera)
    assert client.get(board()).status_code == 200 and "New task" not in client.get(board()).content.decode()
    assert client.get(detail(tasks["late"])).status_code == 200
    assert client.post(f"/w/acme/work/tasks/{tasks['late'].pk}/move/", {"status": "doing"}).status_code == 403


@pytest.mark.django_db
def test_an_administrator_changes_people_but_not_the_work(client_for, team, tasks):
    task = tasks["late"]
    client = client_for(team.alice)
    assert "Change people" in client.get(detail(task)).content.decode()
    page = client.get(f"/w/acme/work/tasks/{task.pk}/edit/").content.decode()
    assert "Who does what" in page and 'name="title"' not in page
    response = client.post(
        f"/w/acme/work/tasks/{task.pk}/edit/",
        {"title": "Hijacked", "responsible": [team.olga_p.pk], "accountable": team.marta_p.pk},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Late brief"  # the title was not the administrator's to change
    assert [p.name for p in services_people(task)["R"]] == ["Olga"]


def services_people(task):
    from opencmo.work.selectors import Resolver

    return Resolver(task.workspace).letters(task)
