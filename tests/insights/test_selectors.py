"""Dashboard figures equal the engine's for the same period and filters."""

import datetime as dt
from decimal import Decimal

import pytest

from opencmo.analytics import kpis as engine
from opencmo.analytics.attribution import make_model
from opencmo.analytics.paths import PathTable
from opencmo.budget.selectors import plan_figures
from opencmo.campaigns.models import Campaign
from opencmo.crm.selectors import funnel
from opencmo.data.services import open_store
from opencmo.insights import selectors
from opencmo.insights.selectors import Filters, open_analytics, period_range
from opencmo.strategy.selectors import kpi_overview
from tests.insights.conftest import TODAY
from tests.insights.factories import fill_store

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 1)


def _filters(**kw) -> Filters:
    return Filters(start=kw.pop("start", dt.date(2026, 2, 1)), end=kw.pop("end", dt.date(2026, 2, 28)), **kw)


def test_period_ranges_and_previous_period():
    anchor = dt.date(2026, 5, 20)
    assert period_range("30d", anchor) == (dt.date(2026, 4, 21), anchor)
    assert period_range("qtd", anchor) == (dt.date(2026, 4, 1), anchor)
    assert period_range("ytd", anchor) == (dt.date(2026, 1, 1), anchor)
    f = _filters()
    before = f.previous()
    assert (before.start, before.end) == (dt.date(2026, 1, 4), dt.date(2026, 1, 31))
    assert before.days == f.days == 28
    assert f.grain == "day" and _filters(end=dt.date(2026, 12, 31)).grain == "month"


def test_no_store_means_no_analytics(acme):
    with open_analytics(acme) as analytics:
        assert analytics is None


def test_channel_figures_equal_the_engine(planned):
    fill_store(planned, start=START, days=90, currency="NOK")
    f = _filters()
    with open_analytics(planned) as analytics:
        rows = selectors.channel_performance(analytics, f)
        expected = engine.kpis(analytics.store, grain="total", by=("channel",), start=f.start, end=f.end)
    by_name = {r.channel: r for r in expected}
    assert [r.channel for r in rows][:3] == ["Paid Search", "Paid Social", "Display"]  # by spend
    for row in rows:
        engine_row = by_name[row.channel]
        assert (row.spend, row.revenue, row.roas, row.cac, row.leads) == (
            engine_row.spend,
            engine_row.revenue,
            engine_row.roas,
            engine_row.cac,
            engine_row.leads,
        )
    search = next(r for r in rows if r.channel == "Paid Search")
    assert search.spend == Decimal("2800") and search.roas == Decimal("4")
    assert search.share_of_spend == Decimal("0.434783")  # 100 of 230 a day


def test_channel_and_objective_filters_narrow_to_the_engine_groups(planned):
    campaign = Campaign.objects.get(workspace=planned)
    fill_store(planned, start=START, days=90, currency="NOK", campaigns={"Paid Search": campaign.pk})
    f = _filters()
    with open_analytics(planned) as analytics:
        only_social = selectors.channel_performance(analytics, _filters(channel="Paid Social"))
        objective = campaign.objectives.get()
        by_objective = selectors.channel_performance(analytics, _filters(objective_id=objective.pk))
        heads = selectors.headlines(analytics, _filters(channel="Paid Social"))
        all_rows = selectors.channel_performance(analytics, f)
    assert [r.channel for r in only_social] == ["Paid Social"]
    assert [r.channel for r in by_objective] == ["Paid Search"]  # only its campaign's spend
    assert by_objective[0].spend == Decimal("2800")
    spend = next(h for h in heads if h.label == "Spend")
    assert spend.value == Decimal("2240") and spend.previous == Decimal("2240") and spend.change == 0
    assert len(all_rows) >= 3


def test_trend_is_per_grain_and_leaves_out_channels_without_spend(planned):
    fill_store(planned, start=START, days=90, currency="NOK")
    f = Filters(start=dt.date(2026, 1, 5), end=dt.date(2026, 3, 29))  # 12 ISO weeks
    with open_analytics(planned) as analytics:
        points = selectors.channel_trend(analytics, f)
    assert f.grain == "week"
    assert {p.channel for p in points} == {"Paid Search", "Paid Social", "Display"}
    search = [p for p in points if p.channel == "Paid Search"]
    assert len(search) == 12 and all(p.spend == Decimal("700") for p in search)


def test_campaigns_named_and_ranked(planned):
    campaign = Campaign.objects.get(workspace=planned)
    fill_store(planned, start=START, days=40, currency="NOK", campaigns={"Paid Search": campaign.pk})
    with open_analytics(planned) as analytics:
        rows = selectors.campaign_performance(analytics, _filters())
    names = {r.name: r for r in rows}
    assert names[campaign.name].url.endswith(f"/insights/campaign/{campaign.pk}/")
    assert "Display always-on (not mapped)" in names
    best, worst = selectors.top_and_bottom(rows)
    assert best[0].name == campaign.name and worst[0].name == "Display always-on (not mapped)"
    assert not set(r.name for r in best) & set(r.name for r in worst)


def test_attribution_split_equals_the_models(planned):
    fill_store(planned, start=START, days=30, currency="NOK")
    f = _filters(start=START, end=dt.date(2026, 1, 30))
    with open_analytics(planned) as analytics:
        split = selectors.attribution_split(analytics, f)
        paths = PathTable.from_store(analytics.store, start=f.start, end=f.end, currency="NOK")
    linear = {c.channel: c.conversions for c in make_model("linear").fit(paths).results()}
    mine = {r.channel: r.conversions for r in split.rows if r.model == "Linear"}
    assert mine == linear
    assert {r.model for r in split.rows} == set(selectors.ATTRIBUTION_MODELS.values())
    assert split.total_conversions == 90


def test_attribution_explains_an_empty_period(planned):
    fill_store(planned, start=START, days=5, currency="NOK")
    with open_analytics(planned) as analytics:
        split = selectors.attribution_split(analytics, _filters())
    assert not split.rows and split.problem


def test_objectives_budget_and_pipeline_come_from_their_apps(planned, alice):
    f = _filters(start=START, end=dt.date(2026, 3, 31))
    rows = selectors.objectives_vs_targets(planned, f, on=TODAY)
    overview = kpi_overview(planned, on=TODAY)
    assert [(r.kpi_id, r.pct_of_target, r.projected_end) for r in rows] == [
        (k.kpi.pk, k.progress.pct_of_target, k.progress.projected_end) for k in overview
    ]
    from opencmo.budget.models import BudgetPlan

    plan = BudgetPlan.objects.get(workspace=planned)
    plan.status = BudgetPlan.Status.ACTIVE
    plan.save()
    view = selectors.budget_vs_actual(alice, planned, f, today=TODAY)
    root = plan_figures(plan, TODAY).root
    assert [(p.amount, p.actual, p.committed, p.landing) for p in view.plans] == [
        (root.amount, root.actual, root.committed, root.landing)
    ]
    assert [m.month for m in view.months] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert view.channels[0].channel == "Email" and view.channels[0].actual == Decimal("210")
    pipe = selectors.pipeline(planned, f)
    assert pipe.steps == funnel(planned, f.start, f.end).steps()


def test_draft_plans_are_left_out(planned, alice):
    assert selectors.budget_vs_actual(alice, planned, _filters(), today=TODAY).plans == []


def test_other_currencies_convert_with_budget_rates_or_explain(planned):
    # seed_plan_objects holds a USD rate of 10.5 (into NOK) from 1 January 2026.
    fill_store(
        planned,
        start=START,
        days=10,
        currency="USD",
        channels={"Email": ("klaviyo", Decimal(1), Decimal(2), 1)},
    )
    fill_store(
        planned, start=START, days=10, currency="NOK", channels={"Events": ("x", Decimal(5), Decimal(0), 0)}
    )
    f = _filters(start=START, end=dt.date(2026, 1, 10))
    with open_analytics(planned) as analytics:
        rows = {r.channel: r for r in selectors.channel_performance(analytics, f)}
    assert rows["Email"].spend == Decimal("105") and rows["Events"].spend == Decimal("50")
    from opencmo.budget.models import ExchangeRate

    ExchangeRate.objects.filter(workspace=planned).delete()
    with open_analytics(planned) as analytics, pytest.raises(ValueError, match="USD"):
        selectors.channel_performance(analytics, f)


def test_cached_figures_follow_a_new_import(planned):
    fill_store(planned, start=START, days=10, currency="NOK")
    f = _filters(start=START, end=dt.date(2026, 1, 31))
    with open_analytics(planned) as analytics:
        first = sum(r.spend for r in selectors.channel_performance(analytics, f))
    with open_analytics(planned) as analytics:  # served from the cache, same answer
        assert sum(r.spend for r in selectors.channel_performance(analytics, f)) == first
    fill_store(planned, start=dt.date(2026, 1, 11), days=5, currency="NOK")
    with open_analytics(planned) as analytics:
        assert sum(r.spend for r in selectors.channel_performance(analytics, f)) == first * 15 / 10


def test_store_is_opened_only_when_needed(planned):
    fill_store(planned, start=START, days=3, currency="NOK")
    with open_analytics(planned) as analytics:
        assert analytics.has_data
    with open_analytics(planned) as analytics:
        assert analytics.has_data and analytics._store is None  # answered from the cache
    with open_store(planned) as store:  # and the writer is not blocked afterwards
        assert store.execute("SELECT count(*) FROM ad_performance").fetchone()[0] == 9
