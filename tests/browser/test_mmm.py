"""Marketing-mix model in the browser: the marketing manager starts a run, watches it finish, reads the
verdict, ROI table and charts, optimises next quarter's budget and requests the reallocation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opencmo.budget import services as budget
from opencmo.budget.models import ReallocationRequest
from opencmo.campaigns.models import Channel
from opencmo.core.models import Workspace
from opencmo.org.models import Person
from tests.mmm.conftest import book_spend, load_orders

pytestmark = pytest.mark.browser


def test_run_results_optimise_and_request(page, live_server, login, shot):
    ws = Workspace.objects.get(slug="nordlys")
    channels = {
        key: Channel.objects.get_or_create(workspace=ws, key=key, defaults={"name": name})[0]
        for key, name in (("paid_search", "Paid search"), ("paid_social", "Paid social"), ("email", "Email"))
    }
    today = timezone.localdate()
    start = today - dt.timedelta(days=today.weekday() + 7 * 60)  # a Monday 60 weeks ago
    spend = book_spend(ws, channels, start=start, days=7 * 58)
    load_orders(ws, spend, start=start, users=3000)
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    manager = Person.objects.get(workspace=ws, roles__key="marketing_manager")
    plan_start = today.replace(day=1)
    plan = budget.plan_create(
        actor=None,
        workspace=ws,
        name="Rolling year",
        start_date=plan_start,
        end_date=plan_start.replace(year=plan_start.year + 1) - dt.timedelta(days=1),
        total=Decimal("3000000"),
        accountable=cmo,
        responsible=[manager],
    )
    root = plan.lines.get(parent__isnull=True)
    for key in channels:
        budget.line_allocate(
            actor=None, parent=root, level="channel", channel=channels[key], amount=Decimal("600000")
        )
    budget.plan_update(actor=None, plan=plan, status="active")

    login(manager.user.email)
    page.goto(f"{live_server.url}/w/nordlys/insights/models/")
    form = page.get_by_test_id("mmm-run-form")
    expect(form.get_by_label("Paid search")).to_be_checked()
    shot("90-mmm-new-run")
    form.get_by_test_id("mmm-start").click()
    expect(page.get_by_test_id("mmm-verdict")).to_contain_text("The model explains", timeout=60_000)
    expect(page.get_by_test_id("mmm-roi-table")).to_contain_text("Paid social")
    page.wait_for_selector(".vega-chart svg, .vega-chart canvas", timeout=20_000)
    shot("91-mmm-run")

    page.get_by_test_id("mmm-optimise-link").click()
    expect(page.get_by_test_id("mmm-bounds")).to_be_visible()
    shot("92-mmm-optimise")
    page.get_by_test_id("mmm-optimise").click()
    expect(page.get_by_test_id("mmm-allocation")).to_be_visible()
    expect(page.get_by_test_id("mmm-predicted")).not_to_be_empty()
    shot("93-mmm-recommendation")
    page.get_by_test_id("mmm-request").click()
    expect(page.get_by_text("sent for approval")).to_be_visible()
    expect(page.get_by_test_id("mmm-requested")).to_be_visible()
    shot("94-mmm-requested")
    assert ReallocationRequest.objects.filter(plan=plan, status="pending").exists()
