"""Work in the browser: drag a card across the Kanban board and see it stay there; a deliverable is
asked for approval by R, signed off by C and approved by A, who then moves it to Done."""

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from opencmo.campaigns.models import Campaign
from opencmo.org.models import Person
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective
from opencmo.work import services
from opencmo.work.models import Task

TODAY = timezone.localdate()


def people():
    def by_role(key):
        return Person.objects.get(workspace__slug="nordlys", roles__key=key)

    return {
        k: by_role(k) for k in ("content_producer", "marketing_manager", "designer", "project_lead", "seo")
    }


def spring_campaign():
    """A campaign with an objective and a company goal, so the task page shows its traceability."""
    ws = Person.objects.filter(workspace__slug="nordlys").first().workspace
    mm = Person.objects.get(workspace=ws, roles__key="marketing_manager")
    activity = activity_create(actor=None, workspace=ws, name="Spring trail collection", kind="campaign")
    raci_set(actor=None, activity=activity, person=mm, letters="A")
    campaign = Campaign.objects.create(
        workspace=ws,
        name="Spring trail collection",
        code="spring-trail",
        start_date=TODAY - dt.timedelta(days=20),
        end_date=TODAY + dt.timedelta(days=60),
        status=Campaign.Status.LIVE,
        activity=activity,
    )
    goal = CompanyGoal.objects.create(workspace=ws, title="Double B2C revenue by 2028", target_year=2028)
    objective = Objective.objects.create(
        workspace=ws,
        title="Grow webshop sales 30 % in 2026",
        start_date=TODAY - dt.timedelta(days=20),
        end_date=TODAY + dt.timedelta(days=60),
    )
    objective.goals.add(goal)
    campaign.objectives.add(objective)
    kpi = Kpi.objects.create(
        workspace=ws,
        objective=objective,
        name="Webshop orders",
        target=Decimal(1200),
        period_start=objective.start_date,
        period_end=objective.end_date,
    )
    KpiActual.objects.create(workspace=ws, kpi=kpi, date=TODAY - dt.timedelta(days=2), value=Decimal(260))
    return ws, campaign


def test_drag_a_card_to_in_progress_and_it_stays(page, live_server, login, shot):
    ws, campaign = spring_campaign()
    p = people()
    common = {"workspace": ws, "campaign": campaign, "accountable": p["marketing_manager"]}
    card_task = services.task_create(
        actor=None,
        title="Product photos for the trail range",
        responsible=[p["content_producer"]],
        due_date=TODAY + dt.timedelta(days=3),
        **common,
    )
    services.checklist_add(actor=None, task=card_task, text="Shot list")
    services.checklist_add(actor=None, task=card_task, text="Retouch")
    services.task_create(
        actor=None,
        title="Retailer brief",
        responsible=[p["project_lead"]],
        due_date=TODAY - dt.timedelta(days=2),
        **common,
    )
    services.task_create(
        actor=None,
        title="Trail blog post",
        kind="deliverable",
        deliverable_type="Blog post",
        responsible=[p["content_producer"]],
        consulted=[p["designer"]],
        due_date=TODAY + dt.timedelta(days=9),
        **common,
    )
    services.task_create(
        actor=None, title="Keyword research", responsible=[p["seo"]], status="backlog", **common
    )

    login(p["content_producer"].user.email)
    page.goto(f"{live_server.url}/w/nordlys/work/")
    card = page.get_by_test_id(f"card-{card_task.pk}")
    todo = page.get_by_test_id("column-todo")
    doing = page.get_by_test_id("column-doing")
    expect(todo.get_by_test_id(f"card-{card_task.pk}")).to_be_visible()
    expect(todo.locator(".kcard.late")).to_have_count(1)  # the late brief is marked
    shot("40-work-board")
    card.drag_to(doing.locator(".kcol-body"))
    expect(page.locator("#kanban-live")).to_have_text(
        "“Product photos for the trail range” moved to In progress."
    )
    expect(doing.get_by_test_id(f"card-{card_task.pk}")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("column-doing").get_by_test_id(f"card-{card_task.pk}")).to_be_visible()
    expect(page.get_by_test_id("column-doing").locator("[data-count]")).to_have_text("1")
    shot("41-work-board-after-drag")
    assert Task.objects.get(pk=card_task.pk).status == "doing"

    # Without a mouse: the card's "Move to" menu, then a refused move that says why.
    blog = Task.objects.get(title="Trail blog post")
    page.get_by_label(f"Move “{blog.title}” to").select_option("doing")
    page.get_by_test_id(f"card-{blog.pk}").get_by_role("button", name="Move", exact=True).click()
    expect(page.locator("#kanban-live")).to_have_text("“Trail blog post” moved to In progress.")
    assert Task.objects.get(pk=blog.pk).status == "doing"

    # R may not finish a deliverable: the card goes back and the board says why.
    page.get_by_test_id(f"card-{blog.pk}").drag_to(page.get_by_test_id("column-done").locator(".kcol-body"))
    expect(page.locator("#kanban-live")).to_contain_text("Only the Accountable person finishes")
    expect(page.get_by_test_id("column-doing").get_by_test_id(f"card-{blog.pk}")).to_be_visible()
    shot("41b-work-board-refused")
    assert Task.objects.get(pk=blog.pk).status == "doing"

    # Reorder from the keyboard: the blog post goes above the photos.
    page.get_by_role("button", name=f"Move “{blog.title}” up").click()
    expect(page.locator("#kanban-live")).to_have_text("“Trail blog post” reordered.")
    expect(page.get_by_test_id("column-doing").locator(".kcard").first).to_have_attribute(
        "data-task", str(blog.pk)
    )
    assert Task.objects.get(pk=blog.pk).position == 0 and Task.objects.get(pk=card_task.pk).position == 1

    page.goto(f"{live_server.url}/w/nordlys/work/tasks/")
    expect(page.get_by_test_id("task-count")).to_have_text("4 tasks")
    shot("42-work-list")
    page.goto(f"{live_server.url}/w/nordlys/work/mine/")
    expect(page.get_by_test_id("letter-R")).to_contain_text("Product photos for the trail range")
    shot("43-my-work")

    # A new deliverable from the form: the creator is Responsible, the campaign's A is Accountable.
    page.goto(f"{live_server.url}/w/nordlys/work/tasks/new/?status=backlog&campaign={campaign.pk}")
    form = page.get_by_test_id("task-form")
    form.get_by_label("Title").fill("Trail running video")
    form.get_by_label("Kind").select_option("deliverable")
    form.get_by_label("Deliverable type").fill("Video")
    form.get_by_label("Due").fill((TODAY + dt.timedelta(days=14)).isoformat())
    form.locator("#id_consulted").get_by_label(p["designer"].name).check()
    shot("49-task-form")
    form.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("heading", name="Trail running video")).to_be_visible()
    expect(page.get_by_test_id("people")).to_contain_text(p["marketing_manager"].name)
    video = Task.objects.get(title="Trail running video")
    assert video.status == "backlog" and video.kind == "deliverable" and video.campaign == campaign


def test_deliverable_is_signed_off_approved_and_done(page, live_server, login, shot):
    ws, campaign = spring_campaign()
    p = people()
    task = services.task_create(
        actor=None,
        workspace=ws,
        campaign=campaign,
        title="Spring newsletter",
        kind="deliverable",
        deliverable_type="Newsletter",
        description="The April newsletter to webshop customers: new trail range, spring offers.",
        responsible=[p["content_producer"]],
        accountable=p["marketing_manager"],
        consulted=[p["designer"]],
        due_date=TODAY + dt.timedelta(days=5),
        status="doing",
    )
    services.checklist_add(actor=None, task=task, text="Copy")
    services.checklist_add(actor=None, task=task, text="Images")
    url = f"{live_server.url}/w/nordlys/work/tasks/{task.pk}/"

    # R asks for approval of the content.
    login(p["content_producer"].user.email)
    page.goto(url)
    expect(page.get_by_test_id("trace")).to_contain_text("Double B2C revenue by 2028")
    approval = page.get_by_test_id("approval")
    approval.get_by_label("Summary").fill("Publish the spring newsletter")
    approval.get_by_role("button", name="Ask for approval").click()
    expect(page.get_by_text("Approval requested; waiting for sign-off")).to_be_visible()
    expect(page.get_by_test_id("task-status")).to_have_text("In review")
    shot("44-deliverable-asked")

    # C signs off.
    page.context.clear_cookies()
    login(p["designer"].user.email)
    page.goto(url)
    approval = page.get_by_test_id("approval")
    expect(approval.get_by_test_id("request-status")).to_have_text("Waiting for sign-off")
    approval.get_by_label("Decision").select_option("agree")
    approval.get_by_label("Comment").fill("Images follow the house style.")
    approval.get_by_role("button", name="Send sign-off").click()
    expect(page.get_by_text("Your sign-off is recorded.")).to_be_visible()

    # A sees it waiting, approves, and moves it to Done.
    page.context.clear_cookies()
    login(p["marketing_manager"].user.email)
    page.goto(f"{live_server.url}/w/nordlys/work/mine/")
    expect(page.get_by_test_id("my-approvals")).to_contain_text("Publish the spring newsletter")
    page.get_by_test_id("my-approvals").get_by_role("link", name="Publish the spring newsletter").click()
    expect(page.get_by_test_id("finish-block")).to_contain_text("approval request open")
    approval = page.get_by_test_id("approval")
    approval.get_by_label("Decision").select_option("approve")
    approval.get_by_label("Comment").fill("Good to send on Thursday.")
    shot("45-deliverable-deciding")
    approval.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Request approved.")).to_be_visible()
    page.get_by_label("Move to").select_option("done")
    page.get_by_test_id("status-card").get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("task-status")).to_have_text("Done")
    shot("46-deliverable-done")
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None

    page.goto(f"{live_server.url}/w/nordlys/work/agenda/")
    expect(page.get_by_test_id("agenda-moved")).to_contain_text(re.compile(r"Spring newsletter.*In review"))
    expect(page.get_by_test_id("agenda-kpis")).to_contain_text("Webshop orders")
    shot("47-status-agenda")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("agenda-print")).to_be_hidden()
    shot("48-status-agenda-print")
