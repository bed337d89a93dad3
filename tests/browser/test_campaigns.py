"""A campaign from the form to live: the project lead plans it and asks for launch approval, the
marketing manager (Accountable, with launch authority) approves it and takes it live; then the calendar."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from opencmo.campaigns.models import Campaign, Channel
from opencmo.campaigns.services import campaign_create, channels_seed, expected_results_set
from opencmo.core.models import Workspace
from opencmo.org.models import Activity, Person
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.strategy.models import Kpi, Objective, Segment
from opencmo.work.models import Task


def _plan(ws, mm, project):
    """What the strategy and work areas would have made: an objective with a KPI, segments, a rival
    campaign on the same segment and channel, and a few task deadlines."""
    today = timezone.localdate()
    channels_seed(actor=None, workspace=ws)
    channel = {c.key: c for c in Channel.objects.filter(workspace=ws)}
    # The demo may already hold these segments (the strategy area seeds them).
    hikers, _ = Segment.objects.get_or_create(workspace=ws, name="Urban hikers 25-40")
    retail, _ = Segment.objects.get_or_create(
        workspace=ws, name="Nordic sports retailers", defaults={"is_b2b": True}
    )
    objective = Objective.objects.create(
        workspace=ws,
        title="Grow online sales 20 %",
        start_date=today.replace(month=1, day=1),
        end_date=today.replace(month=12, day=31),
    )
    kpi = Kpi.objects.create(
        workspace=ws,
        objective=objective,
        name="Online orders",
        baseline=Decimal(3000),
        target=Decimal(5000),
        period_start=objective.start_date,
        period_end=objective.end_date,
    )
    rival = campaign_create(
        actor=None,
        workspace=ws,
        name="Black week email series",
        start_date=today + timedelta(days=3),
        end_date=today + timedelta(days=9),
        channels=[channel["email"]],
        segment=hikers,
        objectives=[objective],
        accountable=mm,
        responsible=[project],
        status="planned",
    )
    expected_results_set(actor=None, campaign=rival, values={kpi: Decimal(250)})
    campaign_create(
        actor=None,
        workspace=ws,
        name="Retailer fair 2027",
        start_date=today + timedelta(days=12),
        end_date=today + timedelta(days=40),
        channels=[channel["events"], channel["pr"]],
        segment=retail,
        accountable=mm,
        responsible=[project],
    )
    for title, days in (("Landing page copy", 2), ("Newsletter design", 6), ("Media plan sign-off", 9)):
        activity = activity_create(actor=None, workspace=ws, name=title, kind=Activity.Kind.TASK)
        raci_set(actor=None, activity=activity, person=project, letters="R")
        raci_set(actor=None, activity=activity, person=mm, letters="A")
        Task.objects.create(
            workspace=ws,
            title=title,
            campaign=rival,
            due_date=today + timedelta(days=days),
            activity=activity,
        )
    return objective, hikers


def test_campaign_from_form_to_live_and_on_the_calendar(page, live_server, login, shot):
    ws = Workspace.objects.get(slug="nordlys")
    mm = Person.objects.get(workspace=ws, roles__key="marketing_manager")
    project = Person.objects.get(workspace=ws, roles__key="project_lead")
    _, hikers = _plan(ws, mm, project)
    today = timezone.localdate()
    base = f"{live_server.url}/w/nordlys/campaigns"

    login(project.user.email)
    page.goto(f"{base}/new/")
    form = page.get_by_test_id("campaign-form")
    form.get_by_label("Name").fill("Winter hiking week")
    form.get_by_label("Start date").fill(today.isoformat())
    form.get_by_label("End date").fill((today + timedelta(days=13)).isoformat())
    form.get_by_label("Status").select_option("planned")
    form.get_by_label("Description").fill("Guided winter hikes around Oslo with the new shell jacket.")
    page.locator("#id_objectives").get_by_label(re.compile("Grow online sales")).check()
    form.get_by_label("Target segment").select_option(label=hikers.name)
    page.locator("#id_channels").get_by_label("Email", exact=True).check()
    page.locator("#id_channels").get_by_label("Paid social", exact=True).check()
    form.get_by_label("Accountable (A)").select_option(label=f"{mm.name} · {mm.title}")
    expect(page.locator("#id_responsible").get_by_label(re.compile(project.name))).to_be_checked()
    shot("40-campaign-form")
    form.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_text("Campaign “Winter hiking week” created")).to_be_visible()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Planned")
    expect(page.get_by_test_id("overlaps")).to_contain_text("Black week email series")

    approval = page.get_by_test_id("approval")
    expect(approval.get_by_text(f"Would go to {mm.name}")).to_be_visible()
    approval.get_by_label("What is to be approved").fill("Creative, media plan and landing page are final")
    approval.get_by_role("button", name="Ask for launch approval").click()
    expect(page.get_by_text("Launch approval requested")).to_be_visible()
    expect(page.get_by_test_id("request-status")).to_have_text("Waiting for approval")
    shot("41-campaign-launch-requested")

    page.context.clear_cookies()
    login(mm.user.email)
    campaign = Campaign.objects.get(workspace=ws, name="Winter hiking week")
    page.goto(f"{base}/{campaign.pk}/")
    approval = page.get_by_test_id("approval")
    approval.get_by_label("Decision").select_option("approve")
    approval.get_by_label("Comment").fill("Good to go: matches the winter plan.")
    approval.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("The campaign is approved for launch.")).to_be_visible()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Approved")
    page.get_by_test_id("status-actions").get_by_role("button", name="Go live").click()
    expect(page.get_by_text("The campaign is now live.")).to_be_visible()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Live")
    shot("42-campaign-live")
    assert Campaign.objects.get(pk=campaign.pk).status == "live"

    page.goto(f"{base}/calendar/")
    month = page.get_by_test_id("calendar-month")
    expect(month.get_by_test_id("cal-bar").filter(has_text="Winter hiking week").first).to_be_visible()
    expect(month.get_by_text("Landing page copy")).to_be_visible()
    expect(page.get_by_test_id("calendar-overlaps")).to_contain_text("Winter hiking week")
    shot("43-calendar-month")
    page.get_by_test_id("calendar-filters").get_by_label("Channel").select_option(label="Events")
    expect(page.get_by_test_id("cal-title")).to_have_text(re.compile(today.strftime("%B %Y")))
    expect(month.get_by_text("Winter hiking week")).to_have_count(0)
    page.get_by_role("link", name="Quarter").click()
    expect(page.get_by_test_id("calendar-quarter")).to_be_visible()
    assert "channel=" in page.url
    shot("44-calendar-quarter-filtered")
    page.goto(f"{base}/calendar/?view=year")
    expect(page.get_by_test_id("calendar-year").get_by_text("Winter hiking week")).to_be_visible()
    shot("45-calendar-year")
    page.get_by_role("button", name="Create my calendar address").click()
    expect(page.get_by_test_id("feed-url")).to_have_value(re.compile(r"/ical/[\w-]{43}\.ics$"))
    shot("46-calendar-feed")
    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    expect(page.get_by_test_id("campaign-table")).to_contain_text("Winter hiking week")
    page.get_by_test_id("campaign-filters").get_by_label("Status").select_option("planned")
    expect(page.get_by_test_id("campaign-table")).not_to_contain_text("Winter hiking week")
    expect(page.get_by_test_id("campaign-table")).to_contain_text("Black week email series")
    page.get_by_test_id("campaign-filters").get_by_label("Status").select_option("")
    expect(page.get_by_test_id("campaign-table")).to_contain_text("Winter hiking week")
    shot("47-campaign-list")
    page.get_by_role("link", name="Winter hiking week").click()
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Code")).to_have_value("winter-hiking-week")
    page.get_by_label("Agency").fill("Fjord & Fjell Digital")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Campaign saved")).to_be_visible()
    expect(page.get_by_test_id("campaign-plan")).to_contain_text("Fjord & Fjell Digital")
    page.get_by_role("link", name="Channels", exact=True).click()
    page.get_by_label("Channel name").fill("Podcasts")
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_test_id("channel-table")).to_contain_text("Podcasts")
    shot("48-channels")
