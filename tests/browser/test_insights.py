"""Insights in the browser: the CMO dashboard draws interactive charts (tooltips on hover), and changing
a filter swaps the dashboard (htmx) with the URL keeping the filter."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opencmo.core.models import Workspace
from opencmo.org.models import Person
from tests.insights.factories import fill_store

pytestmark = pytest.mark.browser

DRAWN = "[...document.querySelectorAll('.vega-chart')].every(e => e.dataset.drawn === 'done')"


@pytest.fixture
def nordlys_data(demo, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    from django.core.cache import cache

    cache.clear()
    from opencmo.insights.vega import bundle

    bundle()  # build the Vega runtime once before the first page (vl-convert takes seconds)
    ws = Workspace.objects.get(slug="nordlys")
    fill_store(ws, start=timezone.localdate() - dt.timedelta(days=100), days=100, currency="NOK")
    return ws


def test_dashboard_filter_updates_charts_and_tables(page, live_server, login, shot, nordlys_data):
    cmo = Person.objects.get(workspace=nordlys_data, roles__key="cmo")
    page.set_default_timeout(30_000)  # two busy cores: the first dashboard of a process is slow
    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/nordlys/insights/")
    page.wait_for_function(DRAWN)
    channels = page.get_by_test_id("panel-channels")
    expect(channels.locator("svg")).to_be_visible()
    expect(page.get_by_test_id("headlines")).to_contain_text("20,700.00")  # 230 a day for 90 days
    shot("90-insights-cmo")

    # Hovering a bar shows the tooltip with the numbers.
    channels.locator("svg [aria-roledescription='bar']").first.hover()
    expect(page.locator("#vg-tooltip-element")).to_contain_text("ROAS")

    # The table view holds the same channels.
    channels.get_by_text("Show as table").click()
    table = page.get_by_test_id("table-channels")
    expect(table).to_contain_text("Paid Search")
    expect(table).to_contain_text("Display")

    # Choose one channel: the body is swapped, the URL keeps the filter, charts are drawn again.
    page.locator("#id_channel").select_option("Display")
    page.wait_for_url("**channel=Display**")
    expect(page.get_by_test_id("headlines")).to_contain_text("4,500.00")  # 50 a day for 90 days
    page.wait_for_function(DRAWN)
    channels = page.get_by_test_id("panel-channels")
    channels.get_by_text("Show as table").click()
    expect(page.get_by_test_id("table-channels")).not_to_contain_text("Paid Search")
    expect(page.get_by_test_id("table-channels")).to_contain_text("Display")
    shot("91-insights-cmo-display")

    # The filtered URL is shareable: loading it shows the same filter.
    page.goto(page.url)
    expect(page.locator("#id_channel")).to_have_value("Display")
    page.goto(f"{live_server.url}/w/nordlys/insights/channel/?channel=Paid+Search")
    page.wait_for_function(DRAWN)
    expect(page.get_by_test_id("panel-trend")).to_be_visible()
    shot("92-insights-channel")
    page.goto(f"{live_server.url}/w/nordlys/insights/manager/")
    expect(page.get_by_test_id("manager-counts")).to_be_visible()
    shot("93-insights-manager")
    page.goto(f"{live_server.url}/w/nordlys/insights/feed/")
    page.wait_for_function(DRAWN)
    shot("94-insights-feed")
