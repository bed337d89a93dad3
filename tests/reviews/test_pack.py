"""The pack's numbers are the engines' numbers for the same period."""

import datetime as dt
from decimal import Decimal

import pytest

from opencmo.analytics.attribution import make_model
from opencmo.analytics.kpis import kpis, totals
from opencmo.analytics.paths import PathTable
from opencmo.budget import services as budget
from opencmo.budget.models import ExchangeRate
from opencmo.budget.selectors import plan_figures
from opencmo.data.services import open_store
from opencmo.reviews.pack import build_pack, planned_in_period
from opencmo.strategy.models import Kpi, KpiActual
from opencmo.strategy.selectors import kpi_progress

D = Decimal
pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 1, 1), dt.date(2026, 1, 31)


@pytest.fixture
def eur(acme):
    return ExchangeRate.objects.create(
        workspace=acme, currency="EUR", date=dt.date(2025, 12, 1), rate=D("11.5")
    )


def test_review_period_is_the_month_before_the_meeting(review):
    assert (review.period_start, review.period_end) == (START, END)


def test_channel_and_campaign_figures_equal_the_engine(review, store, eur, acme):
    pack = build_pack(review)
    section = pack["analytics"]
    assert section["available"] and section["note"] == ""
    with open_store(acme, read_only=True) as s:
        engine = kpis(
            s, grain="total", by=("channel",), start=START, end=END, currency="NOK", fx={"EUR": D("11.5")}
        )
        by_campaign = kpis(
            s, grain="total", by=("campaign",), start=START, end=END, currency="NOK", fx={"EUR": D("11.5")}
        )
    assert {
        r["name"]: (D(r["spend"]), D(r["revenue"]), r["roas"], r["leads"]) for r in section["channels"]
    } == {
        r.channel: (r.spend.quantize(D("0.01")), r.revenue.quantize(D("0.01")), str(r.roas), r.leads)
        for r in engine
    }
    # February's rows are outside the period; the EUR spend is converted at the budget's rate.
    social = next(r for r in section["channels"] if r["name"] == "Paid Social")
    assert D(social["spend"]) == D("920.00")
    total = totals(engine)
    assert D(section["total"]["spend"]) == total.spend.quantize(D("0.01")) == D("2420.50")
    assert sorted(D(r["spend"]) for r in section["campaigns"]) == sorted(
        r.spend.quantize(D("0.01")) for r in by_campaign
    )


def test_attribution_shares_equal_the_engine(review, store, eur, acme):
    pack = build_pack(review)
    attribution = pack["analytics"]["attribution"]
    with open_store(acme, read_only=True) as s:
        table = PathTable.from_store(s, start=START, end=END, currency="NOK", fx={"EUR": D("11.5")})
    for key in ("linear", "last_non_direct"):
        engine = {c.channel: c for c in make_model(key).fit(table).results()}
        got = {r["channel"]: r[key] for r in attribution["rows"]}
        assert set(got) == set(engine)
        for channel, credit in engine.items():
            assert got[channel]["share"] == pytest.approx(credit.share, abs=1e-6)
            assert got[channel]["conversions"] == pytest.approx(credit.conversions, abs=1e-4)
    # Three January leads (u4's is in February): linear splits u1's between its two touches.
    linear = {r["channel"]: r["linear"]["conversions"] for r in attribution["rows"]}
    assert linear == {"Paid Search": pytest.approx(1.5), "Paid Social": pytest.approx(1.5)}


def test_missing_exchange_rate_is_explained_not_an_error(review, store):
    pack = build_pack(review)
    assert "EUR" in pack["analytics"]["note"] and "exchange rate" in pack["analytics"]["note"]
    assert {r["name"] for r in pack["analytics"]["channels"]} >= {"Paid Search"}


def test_without_a_store_the_section_says_so(review):
    pack = build_pack(review)
    assert not pack["analytics"]["available"]
    assert "No analytics data" in pack["analytics"]["note"]


def test_budget_equals_plan_figures_for_the_period(review, tree, team):
    world = tree
    budget.spend_create(
        actor=team.bob,
        workspace=team.ws,
        date=dt.date(2026, 1, 15),
        amount=D("12000"),
        line=world.spring_line,
    )
    budget.spend_create(
        actor=team.bob,
        workspace=team.ws,
        date=dt.date(2026, 1, 31),
        amount=D("3000.50"),
        line=world.email_line,
    )
    budget.spend_create(
        actor=team.bob, workspace=team.ws, date=dt.date(2026, 2, 1), amount=D("999"), line=world.email_line
    )
    pack = build_pack(review)
    plan = pack["budget"]["plans"][0]
    figures = plan_figures(world.plan, today=END)
    rows = {r["line_id"]: r for r in plan["rows"]}
    for line in (world.root, world.obj_line, world.email_line):
        january = figures.line(line.pk).pacing.months[0]
        assert january.month == START
        assert D(rows[line.pk]["planned"]) == january.planned.quantize(D("0.01"))
        assert D(rows[line.pk]["actual"]) == january.actual.quantize(D("0.01"))
        assert D(rows[line.pk]["variance"]) == (january.planned - january.actual).quantize(D("0.01"))
    assert D(rows[world.root.pk]["actual"]) == D("15000.50")
    assert D(pack["budget"]["actual"]) == D("15000.50")
    assert world.search_line.pk not in rows  # the pack shows the plan's top two levels


def test_a_period_cutting_a_month_prorates_its_plan(tree):
    pacing = plan_figures(tree.plan, today=END).line(tree.email_line.pk).pacing
    january = pacing.months[0].planned
    assert planned_in_period(pacing, dt.date(2026, 1, 1), dt.date(2026, 1, 7)) == january * 7 / 31


def test_kpis_equal_kpi_progress_on_the_period_end(review, world, team):
    kpi = Kpi.objects.create(
        workspace=team.ws,
        objective=world.objective,
        name="Web orders",
        target=1200,
        baseline=0,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        cumulative=True,
    )
    for day, value in ((dt.date(2026, 1, 10), 40), (dt.date(2026, 1, 25), 35), (dt.date(2026, 2, 10), 500)):
        KpiActual.objects.create(workspace=team.ws, kpi=kpi, date=day, value=value)
    pack = build_pack(review)
    row = next(r for r in pack["objectives"]["rows"] if r["kpi_id"] == kpi.pk)
    expected = kpi_progress(kpi, on=END)
    assert D(row["actual"]) == expected.actual == D(75)  # February's 500 is after the period
    assert D(row["pct_of_target"]) == expected.pct_of_target
    assert row["status"] == expected.status
    assert pack["summary"]["bullets"][0].startswith(f"{pack['objectives']['on_track']} of")
