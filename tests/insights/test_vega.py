import json
import re
from html import unescape

import altair as alt
import pytest
from django.template import Context, Template
from django.urls import reverse

from opencmo.insights.vega import VERSION, chart_html, chart_svg, to_spec


def _chart() -> alt.Chart:
    rows = [{"channel": "Search <b>'x'</b>", "spend": 10.5}, {"channel": "Social & co", "spend": 3}]
    return (
        alt.Chart(alt.Data(values=rows)).mark_bar().encode(x="channel:N", y="spend:Q", tooltip=["channel:N"])
    )


def test_chart_html_escapes_and_round_trips_the_spec():
    html = str(chart_html(_chart(), label='Spend "by" channel'))
    assert html.startswith('<figure class="chart"><div class="vega-chart" data-spec="')
    assert 'aria-label="Spend &quot;by&quot; channel"' in html
    assert "<b>" not in html  # data is escaped inside the attribute
    raw = re.search(r'data-spec="([^"]*)"', html).group(1)
    spec = json.loads(unescape(raw))
    assert spec["data"]["values"][0]["channel"] == "Search <b>'x'</b>"
    assert spec["width"] == "container"
    assert spec["config"]["range"]["category"][0] == "#2f5d8a"


def test_dict_spec_keeps_its_own_config_over_the_theme():
    spec = to_spec({"mark": "bar", "data": {"values": []}, "config": {"axis": {"labelFontSize": 20}}})
    assert spec["config"]["axis"]["labelFontSize"] == 20
    assert spec["config"]["axis"]["labelColor"] == "#5f6b7a"


def test_chart_svg_renders_static_vector():
    svg = chart_svg(_chart())
    assert svg.lstrip().startswith("<svg")
    assert "Social &amp; co" in svg


@pytest.mark.django_db
def test_bundle_served_with_cache_headers_and_etag(client):
    url = reverse("vega_bundle", kwargs={"version": VERSION})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"window.vegaEmbed" in response.content
    assert "immutable" in response["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get(reverse("vega_bundle", kwargs={"version": "0.0.0"})).status_code == 404


def test_vega_assets_tag_emits_both_scripts():
    html = Template("{% load vega %}{% vega_assets %}").render(Context())
    assert f"/assets/vega-{VERSION}.js" in html
    assert "opencmo/charts.js" in html
    assert html.count("defer") == 2


def test_every_chart_builder_gives_a_valid_vega_lite_spec():
    """Pages skip altair's validation for speed, so check each builder against the schema here."""
    import datetime as dt
    from decimal import Decimal

    from opencmo.insights import charts, selectors

    d = dt.date(2026, 3, 1)
    money = Decimal("10.5")
    objective = selectors.ObjectiveRow(
        1,
        "Grow",
        2,
        "Leads",
        "count",
        "NOK",
        money,
        money,
        money,
        money,
        Decimal(50),
        money,
        d,
        "off_track",
        "Off track",
        "/x",
    )
    channel = selectors.ChannelRow("Email", money, money, Decimal(1), None, None, money, 3, 1, Decimal("0.5"))
    campaign = selectors.CampaignRow(1, "Spring", money, money, Decimal(2), None, money, "/c")
    built = [
        charts.objectives_chart([objective]),
        charts.budget_chart([selectors.MonthRow("Plan", d, money, money, money)], "NOK"),
        charts.channel_roas_chart([channel], "NOK"),
        charts.channel_trend_chart([selectors.TrendPoint(d, "Email", money, money, None, money)], "NOK"),
        charts.attribution_chart([selectors.CreditRow("Linear", "Email", 1.0, 2.0, 0.5)], highlight="Email"),
        charts.pipeline_chart([("Became MQL", 10), ("Handed to sales", 5)]),
        charts.campaigns_chart([campaign], [campaign], "NOK"),
        charts.conversions_chart([(d, 3), (d + dt.timedelta(days=1), 9)], [d]),
    ]
    for chart in built:
        spec = chart.to_dict(validate=True)
        assert spec.get("data", {}).get("values") or spec.get("layer")
        assert chart_svg(chart).lstrip().startswith("<svg")
