"""Dashboard pages: filters, CSV, htmx partials, empty workspace, access."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.work.models import Task
from tests.insights.factories import fill_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_data(planned):
    """Data up to yesterday, so the default period (last 90 days) holds it."""
    campaign = Campaign.objects.get(workspace=planned)
    start = timezone.localdate() - dt.timedelta(days=120)
    fill_store(planned, start=start, days=120, currency="NOK", campaigns={"Paid Search": campaign.pk})
    return planned


def url(name: str, **kw) -> str:
    return reverse(name, kwargs={"ws": "acme", **kw})


def test_cmo_dashboard_shows_every_panel(client_for, alice, with_data):
    response = client_for(alice).get(url("insights_home"))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("objectives", "budget", "channels", "trend", "attribution", "campaigns", "pipeline"):
        assert f'data-testid="panel-{key}"' in html
    assert html.count('class="vega-chart"') >= 5  # the pipeline is empty: no MQLs in the seed
    assert "/assets/vega-" in html and "charts.js" in html
    assert 'data-testid="no-data"' not in html
    assert "Last 90 days" in html


def test_channel_filter_changes_the_numbers_and_htmx_gets_the_body(client_for, alice, with_data):
    client = client_for(alice)
    everything = client.get(url("insights_home"), {"period": "30d"}).content.decode()
    social = client.get(
        url("insights_home"), {"period": "30d", "channel": "Paid Social"}, HTTP_HX_REQUEST="true"
    )
    body = social.content.decode()
    assert body.lstrip().startswith('<div id="insights-body"') and "<html" not in body
    assert "Paid Search" in everything
    assert '<option value="Paid Social" selected>' in body
    assert "2,400.00" in body  # spend headline: 80 a day for 30 days


def test_csv_export_matches_the_filters(client_for, alice, with_data):
    response = client_for(alice).get(url("insights_home"), {"period": "30d", "csv": "channels"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Channel", "Spend (NOK)", "Share of spend"]
    spend = {r[0]: r[1] for r in rows[1:]}
    assert spend["Paid Search"] == "3000.0000" and spend["Display"] == "1500.0000"
    assert client_for(alice).get(url("insights_home"), {"csv": "nope"}).status_code == 404


def test_bad_custom_dates_are_explained_not_a_500(client_for, alice, with_data):
    response = client_for(alice).get(
        url("insights_home"), {"period": "custom", "start": "2026-05-01", "end": "2026-04-01"}
    )
    assert response.status_code == 200
    assert "The last day must not be before the first day." in response.content.decode()
    response = client_for(alice).get(url("insights_home"), {"period": "custom", "start": "yesterday"})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()


def test_custom_period_is_kept_in_links(client_for, alice, with_data):
    start = (timezone.localdate() - dt.timedelta(days=20)).isoformat()
    end = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    html = (
        client_for(alice)
        .get(url("insights_home"), {"period": "custom", "start": start, "end": end})
        .content.decode()
    )
    assert f"period=custom&amp;start={start}&amp;end={end}&amp;csv=channels" in html


def test_new_workspace_gets_a_helpful_empty_page(client_for, alice, acme):
    for name in ("insights_home", "insights_channel"):
        response = client_for(alice).get(url(name))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="no-data"' in html and reverse("data_home", kwargs={"ws": "acme"}) in html
    feed = client_for(alice).get(url("insights_feed"))
    assert feed.status_code == 200


def test_viewer_can_read_dashboards(client_for, vera, with_data):
    client = client_for(vera)
    campaign = Campaign.objects.get(workspace=with_data)
    for target in (
        url("insights_home"),
        url("insights_manager"),
        url("insights_feed"),
        url("insights_channel") + "?channel=Paid+Search",
        url("insights_campaign", campaign_pk=campaign.pk),
    ):
        assert client.get(target).status_code == 200, target


def test_foreign_workspace_and_campaign_are_not_found(client_for, alice, eve, acme, globex, with_data):
    from tests.conftest import seed_plan_objects

    seed_plan_objects(globex, eve)
    foreign = Campaign.objects.get(workspace=globex)
    client = client_for(alice)
    assert client.get(reverse("insights_home", kwargs={"ws": "globex"})).status_code == 404
    assert client.get(url("insights_campaign", campaign_pk=foreign.pk)).status_code == 404


def test_campaign_page(client_for, alice, with_data):
    campaign = Campaign.objects.get(workspace=with_data)
    response = client_for(alice).get(url("insights_campaign", campaign_pk=campaign.pk), {"period": "30d"})
    html = response.content.decode()
    assert response.status_code == 200 and campaign.name in html
    assert 'data-testid="panel-trend"' in html and "3,000.00" in html  # Paid Search spend, mapped
    assert "What it should move" in html and "Leads" in html
    rows = client_for(alice).get(
        url("insights_campaign", campaign_pk=campaign.pk), {"period": "30d", "csv": "trend"}
    )
    assert len(list(csv.reader(io.StringIO(rows.content.decode("utf-8-sig"))))) == 31  # header + 30 days


def test_channel_page(client_for, alice, with_data):
    client = client_for(alice)
    listing = client.get(url("insights_channel")).content.decode()
    assert 'data-testid="channel-list"' in listing and "channel=Display" in listing
    html = client.get(url("insights_channel"), {"channel": "Display", "period": "30d"}).content.decode()
    for key in ("trend", "campaigns", "attribution", "budget"):
        assert f'data-testid="panel-{key}"' in html
    assert "Display always-on (not mapped)" in html


def test_manager_dashboard(client_for, alice, with_data):
    task = Task.objects.get(workspace=with_data)
    task.due_date = timezone.localdate() - dt.timedelta(days=3)
    task.save()
    html = client_for(alice).get(url("insights_manager")).content.decode()
    assert task.title in html and 'data-testid="late"' in html
    assert ">3</td>" in html  # days late


def test_feed_lists_findings_grouped_with_links_and_csv(client_for, alice, with_data):
    client = client_for(alice)
    html = client.get(url("insights_feed")).content.decode()
    assert 'data-testid="feed-high"' in html and "See the evidence" in html
    assert 'data-kind="kpi_off_track"' in html
    rows = list(
        csv.reader(io.StringIO(client.get(url("insights_feed"), {"csv": "1"}).content.decode("utf-8-sig")))
    )
    assert rows[0] == ["severity", "kind", "title", "explanation", "evidence", "key"]
    assert any(r[1] == "kpi_off_track" and r[4].startswith("http://testserver/w/acme/") for r in rows[1:])


def test_dashboards_are_get_only(client_for, alice, acme):
    assert client_for(alice).post(url("insights_home")).status_code == 405


def test_campaign_page_opens_on_the_campaign_dates(client_for, alice, with_data):
    campaign = Campaign.objects.get(workspace=with_data)  # 2026-01-01 to 2026-12-31
    html = client_for(alice).get(url("insights_campaign", campaign_pk=campaign.pk)).content.decode()
    assert 'value="2026-01-01"' in html and '<option value="custom" selected>' in html
    assert "period=custom&amp;start=2026-01-01" in html  # the CSV links keep those dates


def test_missing_exchange_rate_is_explained_on_the_dashboard(client_for, alice, planned):
    from decimal import Decimal

    from opencmo.budget.models import ExchangeRate

    start = timezone.localdate() - dt.timedelta(days=20)
    fill_store(planned, start=start, days=10, currency="NOK")
    fill_store(
        planned, start=start, days=10, currency="USD", channels={"Email": ("k", Decimal(1), Decimal(2), 1)}
    )
    ExchangeRate.objects.filter(workspace=planned).delete()
    response = client_for(alice).get(url("insights_home"))
    assert response.status_code == 200
    assert "add an exchange rate into NOK" in response.content.decode()


def test_a_change_shows_at_once_although_the_plan_panels_are_cached(client_for, alice, with_data):
    """The CMO dashboard caches its plan panels per user; any audited change (here a renamed KPI, shown
    only in the objectives panel) invalidates them, so nobody sees stale figures after editing."""
    from opencmo.strategy.models import Kpi
    from opencmo.strategy.services import kpi_update

    client = client_for(alice)
    kpi = Kpi.objects.filter(workspace=with_data).first()
    assert kpi.name in client.get(url("insights_home")).content.decode()
    assert kpi.name in client.get(url("insights_home")).content.decode()  # from the cache
    kpi_update(actor=alice, kpi=kpi, name="Qualified retail leads")
    html = client.get(url("insights_home")).content.decode()
    assert "Qualified retail leads" in html
