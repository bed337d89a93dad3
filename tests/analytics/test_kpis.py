"""KPIs on a hand-made store: formulas, zero denominators, currencies, dimensions and lead credit."""

import datetime as dt
from decimal import Decimal

import pytest

from opencmo.analytics.kpis import FORMULAS, kpis, ratio, totals
from opencmo.analytics.store import Store

D = Decimal


@pytest.fixture
def store():
    with Store(":memory:") as store:
        store.execute(
            """
            INSERT INTO ad_performance (day, platform, account, campaign_external, ad_group, campaign_id,
                                        channel,
                                        currency, spend, impressions, clicks, conversions, conversion_value)
            VALUES
              ('2026-01-05', 'google_ads', 'A', 'Brand', 'g1', 1, 'Paid Search', 'EUR',
               100, 10000, 200, 10, 500),
              ('2026-01-05', 'google_ads', 'A', 'Brand', 'g2', 1, 'Paid Search', 'EUR', 0.10, 0, 0, 0, 0),
              ('2026-01-06', 'meta', 'M', 'Winter', '', NULL, 'Paid Social', 'EUR', 80, 20000, 100, 2.5, 100),
              ('2026-02-02', 'meta', 'M', 'Winter', '', NULL, NULL, 'EUR', 20, 1000, 0, 0, 0)
            """
        )
        store.execute(
            """
            INSERT INTO touchpoints (user_key, ts, channel, campaign, campaign_id, is_direct) VALUES
              ('u1', '2026-01-05 10:00', 'Paid Search', 'Brand', 1, false),
              ('u1', '2026-01-06 10:00', 'Direct', '', NULL, true),
              ('u2', '2026-01-06 09:00', 'Paid Social', 'Winter', NULL, false),
              ('u3', '2025-10-01 09:00', 'Paid Social', 'Winter', NULL, false)
            """
        )
        store.execute(
            """
            INSERT INTO conversions VALUES
              ('u1', '2026-01-06 11:00', 'lead', 0, NULL, NULL),
              ('u2', '2026-01-06 10:00', 'lead', 0, NULL, NULL),
              ('u3', '2026-01-06 10:00', 'lead', 0, NULL, NULL),
              ('u2', '2026-01-07 10:00', 'signup', 0, NULL, NULL)
            """
        )
        store.execute(
            """
            INSERT INTO orders VALUES
              ('o1', 'u1', '2026-01-07 11:00', 300, 'EUR', NULL),
              ('o2', 'u1', '2026-01-20 11:00', 50, 'EUR', NULL)
            """
        )
        yield store


def by_key(rows):
    return {(r.period, r.channel, r.campaign_id, r.campaign): r for r in rows}


def test_monthly_kpis_by_channel_and_campaign(store):
    rows = by_key(kpis(store, grain="month", by=("channel", "campaign")))
    search = rows[(dt.date(2026, 1, 1), "Paid Search", 1, None)]
    assert search.spend == D("100.1000")
    assert (search.impressions, search.clicks, search.conversions) == (10000, 200, D("10.0000"))
    assert search.ctr == D("0.020000")
    assert search.cpc == D("0.5005")
    assert search.cpm == D("10.0100")
    assert search.conversion_rate == D("0.050000")
    # u1's lead: the last non-direct touch within 30 days is Paid Search / Brand (not the direct visit).
    assert search.leads == 1 and search.cpl == D("100.1000")
    assert search.new_customers == 1 and search.cac == D("100.1000")
    assert search.revenue == D("500.0000")
    assert search.roas == D("4.995005")
    assert search.roi == D("3.995005")
    social = rows[(dt.date(2026, 1, 1), "Paid Social", None, "Winter")]
    # u3's touch is older than the 30-day lookback: that lead is credited to nobody.
    assert social.leads == 1 and social.new_customers == 0 and social.cac is None
    february = rows[(dt.date(2026, 2, 1), "meta", None, "Winter")]  # no channel: the platform stands in
    assert february.clicks == 0 and february.cpc is None and february.conversion_rate is None
    assert february.cpm == D("20.0000") and february.leads == 0 and february.cpl is None


def test_zero_denominators_are_none_not_zero():
    assert ratio(D(5), 0, D("0.01")) is None
    assert ratio(None, 3, D("0.01")) is None
    assert ratio(D(1), 3, D("0.0001")) == D("0.3333")
    assert set(FORMULAS) == {"ctr", "cpc", "cpm", "conversion_rate", "cpl", "cac", "roas", "roi"}


def test_totals_and_grains(store):
    total = kpis(store, grain="total", by=())
    assert len(total) == 1
    (row,) = total
    assert row.period is None and row.spend == D("200.1000") and row.leads == 2
    summed = totals(kpis(store, grain="day", by=("channel", "campaign")))
    assert summed.spend == row.spend and summed.clicks == row.clicks and summed.ctr == row.ctr
    weeks = {r.period for r in kpis(store, grain="week", by=())}
    assert dt.date(2026, 1, 5) in weeks and dt.date(2026, 2, 2) in weeks  # Mondays
    assert kpis(store, grain="month", by=(), start=dt.date(2026, 2, 1))[0].spend == D("20.0000")


def test_order_revenue_and_lead_kinds(store):
    (row,) = kpis(store, grain="total", by=(), revenue_source="orders", lead_kinds=("lead", "signup"))
    assert row.revenue == D("350.0000")
    assert row.leads == 3
    assert row.roas == D("1.749125")


def test_objectives_and_platforms(store):
    rows = kpis(store, grain="total", by=("objective",), objectives={1: "Brand awareness"})
    objective = {r.objective: r for r in rows}
    assert objective["Brand awareness"].spend == D("100.1000")
    assert objective[None].spend == D("100.0000")
    platforms = {r.platform: r for r in kpis(store, grain="total", by=("platform",))}
    assert set(platforms) == {"google_ads", "meta"}
    assert platforms["meta"].leads is None and platforms["meta"].cpl is None
    with pytest.raises(ValueError, match="objectives"):
        kpis(store, by=("objective",))
    with pytest.raises(ValueError, match="platforms"):
        kpis(store, by=("platform",), revenue_source="orders")
    with pytest.raises(ValueError, match="Unknown dimension"):
        kpis(store, by=("colour",))
    with pytest.raises(ValueError, match="grain"):
        kpis(store, grain="fortnight")


def test_currencies_are_never_mixed(store):
    store.execute(
        "INSERT INTO ad_performance (day, platform, campaign_external, currency, spend, impressions, clicks) "
        "VALUES ('2026-01-05', 'linkedin', 'B2B', 'NOK', 1000, 500, 10)"
    )
    with pytest.raises(ValueError, match="EUR, NOK"):
        kpis(store, grain="total", by=())
    (eur,) = kpis(store, grain="total", by=(), currency="EUR")
    assert eur.spend == D("200.1000") and eur.currency == "EUR"
    (converted,) = kpis(store, grain="total", by=(), currency="EUR", fx={"NOK": D("0.085")})
    assert converted.spend == D("285.1000")
    with pytest.raises(ValueError, match="No exchange rate"):
        kpis(store, grain="total", by=(), currency="DKK", fx={"NOK": D("0.6")})
    with pytest.raises(ValueError, match="different currencies"):
        totals(
            kpis(store, grain="total", by=())
            if False
            else [eur, converted.__class__(**{**converted.as_dict(), "currency": "NOK"})]
        )


def test_an_empty_store_has_no_rows():
    with Store(":memory:") as store:
        assert kpis(store) == []
        assert totals([]) is None
