"""Budget in the browser: the CMO creates a plan and allocates to a channel, the marketing manager enters
spend and sees the variance, asks to move money, and the CMO approves the reallocation."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from opencmo.budget import selectors
from opencmo.budget.models import BudgetLine, BudgetPlan, ReallocationRequest
from opencmo.budget.templatetags.budget import money
from opencmo.campaigns.models import Channel
from opencmo.core.models import Workspace
from opencmo.org.models import Person


def test_plan_allocate_spend_variance_and_approved_reallocation(page, live_server, login, shot):
    ws = Workspace.objects.get(slug="nordlys")
    Channel.objects.get_or_create(workspace=ws, key="paid_search", defaults={"name": "Paid search"})
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    manager = Person.objects.get(workspace=ws, roles__key="marketing_manager")
    today = timezone.localdate()
    start = today.replace(day=1)  # a twelve-month plan starting this month, whatever day the test runs
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    name = f"FY {start:%Y}/{end:%y}"
    base = f"{live_server.url}/w/nordlys/budget"

    # The CMO creates the plan and allocates to paid search.
    login(cmo.user.email)
    page.goto(f"{base}/")
    form = page.get_by_test_id("plan-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("First day").fill(start.isoformat())
    form.get_by_label("Last day").fill(end.isoformat())
    form.get_by_label("Total budget").fill("2000000")
    shot("50-budget-new-plan")
    form.get_by_role("button", name="Create plan").click()
    expect(page.get_by_text(f"Budget plan “{name}” created.")).to_be_visible()
    plan = BudgetPlan.objects.get(workspace=ws, name=name)

    page.get_by_test_id("budget-tree").get_by_role("link", name="Allocate", exact=True).click()
    allocate = page.get_by_test_id("allocate-form")
    allocate.get_by_label("Kind of line").select_option("channel")
    allocate.get_by_label("Channel").select_option(label="Paid search")
    allocate.get_by_label("Amount").fill("400000")
    allocate.get_by_label("Accountable").select_option(label=manager.name)
    allocate.get_by_role("button", name="Allocate").click()
    expect(page.get_by_text("Allocated NOK 400,000.00 to “Paid search”.")).to_be_visible()
    line = BudgetLine.objects.get(plan=plan, level="channel")
    expect(page.get_by_test_id(f"line-{line.pk}")).to_contain_text("400,000.00")
    shot("51-budget-plan-allocated")
    page.get_by_text("Plan settings", exact=True).click()
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan saved.")).to_be_visible()

    # The marketing manager (Responsible) enters spend on the line.
    page.context.clear_cookies()
    login(manager.user.email)
    page.goto(f"{base}/spend/")
    page.get_by_text("Enter spend").click()
    spend = page.get_by_test_id("spend-form")
    spend.get_by_label("Date").fill(today.isoformat())
    spend.get_by_label("Amount").fill("150000")
    spend.get_by_label("Budget line").select_option(label=f"{name} · Paid search")
    spend.get_by_label("Description").fill("Google Ads, search campaigns")
    spend.get_by_role("button", name="Record spend").click()
    expect(page.get_by_text("Spend of NOK 150,000.00 recorded on “Paid search”.")).to_be_visible()
    expect(page.get_by_test_id("spend-total")).to_have_text("NOK 150,000.00")
    shot("52-budget-spend")

    page.goto(f"{base}/plans/{plan.pk}/")
    variance = selectors.plan_figures(plan).line(line.pk).variance
    expect(page.get_by_test_id(f"variance-{line.pk}")).to_have_text(money(variance))
    expect(page.get_by_test_id("stat-actual")).to_have_text("150,000.00")
    expect(page.get_by_test_id("budget-alerts")).to_contain_text("“Paid search” is ahead of its phased plan")
    shot("53-budget-plan-variance")

    page.goto(f"{base}/lines/{line.pk}/")
    expect(page.get_by_test_id("pacing-chart")).to_be_visible()
    expect(page.get_by_test_id("burndown-chart")).to_be_visible()
    shot("54-budget-line")

    # ...and asks to move 100,000 from the unallocated total to paid search.
    page.goto(f"{base}/plans/{plan.pk}/reallocations/")
    page.get_by_text("Request a reallocation").click()
    request = page.get_by_test_id("reallocation-form")
    request.get_by_label("From").select_option(label=f"Total {name}")
    request.get_by_label("To").select_option(str(line.pk))
    request.get_by_label("Amount").fill("100000")
    request.get_by_label("Reason").fill("Search converts better than planned; scale it before the season.")
    request.get_by_role("button", name="Ask for approval").click()
    expect(page.get_by_text(f"Reallocation requested; waiting for approval by {cmo.name}.")).to_be_visible()
    expect(page.get_by_test_id("reallocation-status")).to_have_text("Waiting for approval")
    shot("55-budget-reallocation-requested")

    # The CMO (the plan's Accountable, authority NOK 1.5M) approves: the money moves.
    page.context.clear_cookies()
    login(cmo.user.email)
    page.goto(f"{base}/plans/{plan.pk}/reallocations/")
    realloc = ReallocationRequest.objects.get(plan=plan)
    decide = page.get_by_test_id(f"decide-{realloc.pk}")
    decide.get_by_label("Decision").select_option("approve")
    decide.get_by_label("Comment").fill("Agreed, within the annual plan.")
    shot("56-budget-reallocation-decide")
    decide.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Reallocation approved and applied.")).to_be_visible()
    expect(page.get_by_test_id("reallocation-status")).to_have_text("Approved and applied")
    shot("57-budget-reallocation-approved")
    page.goto(f"{base}/plans/{plan.pk}/")
    expect(page.get_by_test_id(f"line-{line.pk}")).to_contain_text("500,000.00")
    shot("58-budget-plan-after-reallocation")


def test_unmatched_queue_rates_and_home(page, live_server, login, shot):
    """Imported spend under an unknown platform campaign name waits in the queue until someone maps it."""
    from decimal import Decimal

    from opencmo.budget import services
    from opencmo.campaigns.models import Campaign
    from opencmo.org.raci_services import activity_create

    ws = Workspace.objects.get(slug="nordlys")
    manager = Person.objects.get(workspace=ws, roles__key="marketing_manager")
    today = timezone.localdate()
    start = today.replace(day=1)
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    social, _ = Channel.objects.get_or_create(
        workspace=ws, key="paid_social", defaults={"name": "Paid social"}
    )
    activity = activity_create(actor=None, workspace=ws, name="Winter jackets", kind="campaign")
    campaign = Campaign.objects.create(
        workspace=ws,
        name="Winter jackets",
        code="winter-jackets",
        start_date=start,
        end_date=end,
        activity=activity,
    )
    campaign.channels.add(social)
    plan = services.plan_create(
        actor=None, workspace=ws, name="Rolling", start_date=start, end_date=end, total=Decimal("900000")
    )
    root = plan.lines.get()
    channel_line = services.line_allocate(
        actor=None, parent=root, level="channel", channel=social, amount=300000
    )
    services.line_allocate(
        actor=None, parent=channel_line, level="campaign", campaign=campaign, amount=250000
    )
    services.rate_set(actor=None, workspace=ws, currency="EUR", date=start, rate="11.72")
    rows = [
        {
            "date": today.isoformat(),
            "amount": amount,
            "currency": "EUR",
            "external_campaign": name,
            "natural_key": f"meta:{i}",
        }
        for i, (amount, name) in enumerate(
            [
                ("820.40", "NO_Winter_Prospecting_Video"),
                ("310.00", "NO_Winter_Prospecting_Video"),
                ("95.50", "Retargeting - all visitors"),
            ]
        )
    ]
    services.spend_import_rows(actor=None, workspace=ws, rows=rows, platform="meta")

    login(manager.user.email)
    base = f"{live_server.url}/w/nordlys/budget"
    page.goto(f"{base}/unmatched/")
    queue = page.get_by_test_id("unmatched-queue")
    expect(queue).to_contain_text("NO_Winter_Prospecting_Video")
    shot("59-budget-unmatched")
    row = queue.get_by_role("row").filter(has_text="NO_Winter_Prospecting_Video")
    row.get_by_label("Our campaign for NO_Winter_Prospecting_Video").select_option(label="Winter jackets")
    row.get_by_role("button", name="Map").click()
    expect(page.get_by_text("is now mapped to “Winter jackets”: 2 entries matched.")).to_be_visible()
    expect(queue).not_to_contain_text("NO_Winter_Prospecting_Video")
    shot("60-budget-unmatched-mapped")

    page.goto(f"{base}/rates/")
    form = page.get_by_test_id("rate-form")
    form.get_by_label("Currency").fill("SEK")
    form.get_by_label("Date").fill(start.isoformat())
    form.get_by_label("Rate").fill("1.0123")
    form.get_by_role("button", name="Save rate").click()
    expect(page.get_by_text("Saved: 1 SEK")).to_be_visible()
    shot("61-budget-rates")

    page.goto(f"{base}/")
    expect(page.get_by_test_id("plan-table")).to_contain_text("Rolling")
    shot("62-budget-home")


def test_demo_budgets_read_well(page, live_server, login, shot):
    """Two years of demo budgets: the plan tree, a campaign line's pacing and the spend list."""
    from opencmo.budget import demo as budget_demo
    from opencmo.campaigns.models import Campaign
    from opencmo.org.raci_services import activity_create
    from opencmo.strategy.models import Objective

    ws = Workspace.objects.get(slug="nordlys")
    year = timezone.localdate().year
    search, _ = Channel.objects.get_or_create(
        workspace=ws, key="paid_search", defaults={"name": "Paid search"}
    )
    social, _ = Channel.objects.get_or_create(
        workspace=ws, key="paid_social", defaults={"name": "Paid social"}
    )
    start, end = dt.date(year - 1, 1, 1), dt.date(year, 12, 31)
    Objective.objects.create(workspace=ws, title="Grow B2C web sales", start_date=start, end_date=end)
    Objective.objects.create(workspace=ws, title="Win Nordic retailers", start_date=start, end_date=end)
    for name, code, channel in (
        ("Autumn hike", "autumn-hike", search),
        ("Winter layers", "winter-layers", social),
    ):
        activity = activity_create(actor=None, workspace=ws, name=name, kind="campaign")
        campaign = Campaign.objects.create(
            workspace=ws, name=name, code=code, start_date=start, end_date=end, activity=activity
        )
        campaign.channels.add(channel)
        # Serve every objective of the period, so the campaign fits under whichever one the demo picks.
        campaign.objectives.set(
            Objective.objects.filter(workspace=ws, start_date__lte=end, end_date__gte=start)
        )
    plans = budget_demo.build(ws)
    current = plans[-1]
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    login(cmo.user.email)
    base = f"{live_server.url}/w/nordlys/budget"
    page.goto(f"{base}/plans/{current.pk}/")
    expect(page.get_by_test_id("budget-tree")).to_contain_text("Autumn hike")
    shot("63-budget-demo-plan")
    line = BudgetLine.objects.get(plan=current, campaign__code="autumn-hike")
    page.goto(f"{base}/lines/{line.pk}/")
    expect(page.get_by_test_id("pacing-chart")).to_be_visible()
    shot("64-budget-demo-campaign-line")
    page.goto(f"{base}/spend/?plan={current.pk}")
    expect(page.get_by_test_id("spend-table")).to_contain_text("google_ads")
    shot("65-budget-demo-spend")
    page.goto(f"{base}/plans/{current.pk}/reallocations/")
    expect(page.get_by_test_id("reallocation-history")).to_contain_text("Paid social outperforms search")
    shot("66-budget-demo-reallocations")
