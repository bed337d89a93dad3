"""Strategy in the browser: a KPI actual moves the progress bar; the strategist proposes a strategy change
and the CMO approves it."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from opencmo.org.models import Person
from opencmo.strategy import services
from opencmo.strategy.models import StrategyVersion
from tests.strategy.conftest import make_campaign, make_task


def _plan():
    ws = Person.objects.get(workspace__slug="nordlys", roles__key="cmo").workspace
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    start = timezone.localdate() - timedelta(days=180)
    end = start + timedelta(days=364)
    goal = services.goal_create(
        actor=None, workspace=ws, title="Double direct-to-consumer revenue by 2028", target_year=2028
    )
    brand = services.goal_create(actor=None, workspace=ws, title="Be the Nordic brand for technical layers")
    objective = services.objective_create(
        actor=None,
        workspace=ws,
        title="Grow webshop sales this season",
        start_date=start,
        end_date=end,
        owner=cmo,
        goals=[goal],
        description="More first-time buyers online, without discounting the spring collection.",
    )
    leads = services.kpi_create(
        actor=None,
        objective=objective,
        name="Webshop orders",
        target=4000,
        period_start=start,
        period_end=end,
    )
    services.kpi_actual_record(actor=None, kpi=leads, date=start + timedelta(days=60), value=700)
    nps = services.kpi_create(
        actor=None,
        objective=objective,
        name="Net promoter score",
        unit="score",
        baseline=32,
        target=45,
        cumulative=False,
        period_start=start,
        period_end=end,
    )
    services.kpi_actual_record(actor=None, kpi=nps, date=start + timedelta(days=90), value=38)
    services.kpi_actual_record(actor=None, kpi=nps, date=start + timedelta(days=150), value=41)
    awareness = services.objective_create(
        actor=None,
        workspace=ws,
        title="Aided brand awareness in Norway",
        start_date=start,
        end_date=end + timedelta(days=365),
        horizon="long",
        owner=cmo,
        goals=[brand],
    )
    services.kpi_create(
        actor=None,
        objective=awareness,
        name="Aided awareness",
        unit="percent",
        baseline=18,
        target=30,
        cumulative=False,
        period_start=start,
        period_end=end + timedelta(days=365),
    )
    today = timezone.localdate()
    spring = make_campaign(ws, "Spring layers launch", objective, status="live")
    make_task(spring, "Landing page copy", status="done", due=today - timedelta(days=10))
    make_task(spring, "Product video edit", status="doing", due=today - timedelta(days=2))
    make_task(spring, "Influencer briefs", status="todo", due=today + timedelta(days=7))
    retarget = make_campaign(ws, "Always-on retargeting", objective, status="planned")
    make_task(retarget, "Audience set-up", status="review", due=today + timedelta(days=3))
    return ws, cmo, leads, objective


def test_a_kpi_actual_moves_progress(page, live_server, login, shot):
    ws, cmo = _plan()[:2]
    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/{ws.slug}/strategy/")
    tree = page.get_by_test_id("strategy-tree")
    expect(tree.get_by_text("Double direct-to-consumer revenue by 2028")).to_be_visible()
    orders = tree.get_by_test_id("kpi-mini").filter(has_text="Webshop orders")
    expect(orders.get_by_test_id("kpi-status")).to_have_text("Off track")
    shot("30-strategy-home")

    orders.get_by_role("link", name="Webshop orders").click()
    expect(page.get_by_role("heading", name=re.compile("Webshop orders"))).to_be_visible()
    expect(page.get_by_test_id("kpi-pct")).to_have_text("18 %")
    entry = page.get_by_test_id("actual-entry")
    entry.get_by_label("Date").fill(timezone.localdate().isoformat())
    entry.get_by_label("Value").fill("1500")
    entry.get_by_label("Note").fill("Black Week orders from the webshop")
    entry.get_by_role("button", name="Record").click()
    expect(page.get_by_text(re.compile(r"Webshop orders on .*: 1,500 recorded"))).to_be_visible()
    expect(page.get_by_test_id("kpi-pct")).to_have_text("55 %")
    expect(page.get_by_test_id("kpi-actual")).to_have_text("2,200")
    expect(
        page.get_by_role("heading", name=re.compile("Webshop orders")).get_by_test_id("kpi-status")
    ).to_have_text("On track")
    shot("31-kpi-actual-recorded")

    page.get_by_role("link", name="Grow webshop sales this season").click()
    expect(page.get_by_test_id("trace-campaign").first).to_be_visible()
    expect(page.get_by_test_id("rollup-tasks")).to_have_text("25 %")
    expect(page.get_by_test_id("goal-link")).to_have_text("Double direct-to-consumer revenue by 2028")
    page.get_by_text("3 tasks", exact=True).click()
    shot("32-objective-traceability")


def test_strategist_proposes_and_cmo_approves(page, live_server, login, shot):
    ws = Person.objects.get(workspace__slug="nordlys", roles__key="cmo").workspace
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    strategist = Person.objects.get(workspace=ws, roles__key="strategist")
    services.segment_create(actor=None, workspace=ws, name="Nordic sports retailers", is_b2b=True)
    hikers = services.segment_create(actor=None, workspace=ws, name="Urban hikers 25-40")
    v1 = services.strategy_draft_create(actor=None, workspace=ws)
    services.strategy_draft_update(
        actor=None,
        version=v1,
        positioning="For people who hike before work, Nordlys makes technical layers that last for years.",
        segments=[hikers],
        tone_of_voice="Plain and warm, never shouting.",
        competitors="Bergans\nNorrøna\nHelly Hansen",
    )
    services.strategy_propose(actor=None, version=v1, change_summary="First strategy", proposer=cmo)
    services.strategy_decide(actor=None, version=v1, approve=True)

    login(strategist.user.email)
    page.goto(f"{live_server.url}/w/{ws.slug}/strategy/brand/")
    page.get_by_test_id("strategy-change").get_by_role("button", name="Propose a change").click()
    expect(page.get_by_role("heading", name="Draft v2")).to_be_visible()
    page.get_by_label("Positioning statement").fill(
        "For urban hikers and the shops that serve them, Nordlys makes technical layers that last for years."
    )
    page.get_by_label("Nordic sports retailers").check()
    page.get_by_label("What changes, and why").fill("Add retailers as a target segment")
    page.get_by_role("button", name="Save and propose for approval").click()
    expect(page.get_by_text(f"waiting for approval by {cmo.name}")).to_be_visible()
    expect(page.get_by_test_id("approver")).to_have_text(cmo.name)
    expect(page.get_by_test_id("diff").get_by_text("+ Nordic sports retailers")).to_be_visible()
    shot("33-strategy-proposed")

    page.context.clear_cookies()
    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/{ws.slug}/strategy/")
    page.get_by_test_id("decision-waiting").get_by_role("link").click()
    approval = page.get_by_test_id("approval")
    approval.get_by_label("Decision").select_option("approve")
    approval.get_by_label("Comment").fill("Agreed with sales at the planning day.")
    shot("34-strategy-decision")
    approval.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Strategy v2 approved: it is now in force.")).to_be_visible()
    expect(page.get_by_test_id("version-status")).to_have_text("Approved")
    page.get_by_role("link", name="Brand and strategy").click()
    expect(page.get_by_test_id("strategy-history").get_by_text("Superseded", exact=True)).to_be_visible()
    shot("35-strategy-in-force")
    assert StrategyVersion.objects.get(workspace=ws, number=1).status == "superseded"


def test_forms_explain_what_is_wrong(page, live_server, login, shot):
    ws, cmo, _, objective = _plan()
    strategist = Person.objects.get(workspace=ws, roles__key="strategist")
    login(strategist.user.email)
    page.goto(f"{live_server.url}/w/{ws.slug}/strategy/segments/")
    page.get_by_label("Name").fill("Nordic sports retailers")
    page.get_by_label("Business customers (B2B)").check()
    page.get_by_role("button", name="Add segment").click()
    expect(page.get_by_test_id("segments").get_by_text("Nordic sports retailers")).to_be_visible()
    shot("36-segments")

    page.goto(f"{live_server.url}/w/{ws.slug}/strategy/objectives/new/")
    page.get_by_label("Title").fill("Autumn catalogue")
    page.get_by_label("Start date").fill("2026-09-01")
    page.get_by_label("End date").fill("2026-08-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The objective must end on or after its start date.")).to_be_visible()
    shot("37-objective-form-error")

    page.context.clear_cookies()
    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/{ws.slug}/strategy/objectives/{objective.pk}/kpis/new/")
    page.get_by_label("Name").fill("Cost per order")
    page.get_by_label("Baseline").fill("180")
    page.locator("#id_target").fill("150")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile("must be at or above the baseline"))).to_be_visible()
    shot("38-kpi-form-error")
    page.get_by_label("Direction").select_option("down")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("KPI “Cost per order” added.")).to_be_visible()
    page.get_by_role("link", name="All objectives").click()
    expect(page.get_by_test_id("objectives").get_by_text("Grow webshop sales this season")).to_be_visible()
    shot("39-objective-list")
