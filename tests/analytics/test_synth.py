"""Synthetic data with known truth: deterministic, consistent with the MMM truth, valid in the store."""

import datetime as dt

import numpy as np
import pytest

from opencmo.analytics import synth
from opencmo.analytics.store import Store

START = dt.date(2025, 1, 1)
CHANNELS = ["paid_search", "paid_social", "events", "email"]


@pytest.fixture(scope="module")
def spend():
    return synth.simulate_spend(CHANNELS, START, 200, weekly_budget=50_000, seed=2)


@pytest.fixture(scope="module")
def generated(spend):
    return synth.generate(START, spend, users=3000, seed=7)


def test_same_seed_same_data_other_seed_other_data(spend, generated):
    again = synth.generate(START, spend, users=3000, seed=7)
    for name, table in generated.tables.items():
        assert table.equals(again.tables[name]), name
    assert generated.truth.equals(again.truth)
    other = synth.generate(START, spend, users=3000, seed=8)
    assert not other.tables["orders"].equals(generated.tables["orders"])


def test_truth_roi_is_contribution_over_spend(spend, generated):
    t = generated.truth.to_pydict()
    for channel, roi, contribution, total in zip(
        t["channel"], t["roi"], t["contribution"], t["spend"], strict=True
    ):
        assert contribution / total == pytest.approx(roi), channel
        assert total == pytest.approx(spend[channel].sum())


def test_weekly_revenue_in_orders_follows_the_model(generated):
    orders = generated.tables["orders"].to_pydict()
    days = np.array(orders["ts"], dtype="datetime64[D]")
    weeks, sums, _ = synth.weekly(days, np.array(orders["value"]))
    tw = generated.truth_weekly.to_pydict()
    truth = {w: r for w, r, c in zip(tw["week"], tw["revenue"], tw["channel"], strict=True) if c == "(base)"}
    for week, total in zip(weeks.astype(object), sums, strict=True):
        assert total == pytest.approx(truth[week], abs=0.05 * 3), week  # a few cents of rounding per day
    # contributions + base = revenue each week
    n = len(CHANNELS) + 1
    contrib = np.array(tw["contribution"]).reshape(-1, n).sum(axis=1)
    assert contrib == pytest.approx(np.array(tw["revenue"]).reshape(-1, n)[:, 0], rel=1e-9, abs=1e-6)


def test_more_spend_more_revenue_for_every_channel(spend):
    base = synth.generate(START, spend, users=1000, seed=1)
    for channel in CHANNELS:
        boosted = {**spend, channel: spend[channel] * 1.5}
        more = synth.generate(START, boosted, users=1000, seed=1)
        i = CHANNELS.index(channel)
        assert more.truth["contribution"][i].as_py() > base.truth["contribution"][i].as_py()


def test_load_into_the_store_respects_the_schema_and_records_the_truth(spend):
    rows = {
        "day": np.datetime64(START, "D") + np.arange(200),
        "platform": np.array(["google_ads"] * 200, dtype=object),
        "campaign_external": np.array(["NO | always-on | search"] * 200, dtype=object),
        "campaign_id": np.full(200, -1),
        "channel": np.array(["Paid Search"] * 200, dtype=object),
        "spend": spend["paid_search"],
    }
    generated = synth.generate(START, spend, users=3000, seed=7, ad_rows=rows, currency="NOK")
    with Store(":memory:") as store:
        counts = synth.load(store, generated, prefix="t")
        assert counts["orders"] == generated.summary["orders"] > 0
        assert counts["sessions"] == counts["touchpoints"] == generated.summary["sessions"]
        assert counts["conversions"] == counts["orders"]
        assert counts["ad_performance"] == 200
        spent = store.execute("SELECT sum(spend)::DOUBLE FROM ad_performance").fetchone()[0]
        assert spent == pytest.approx(spend["paid_search"].sum(), abs=0.01)
        assert store.execute("SELECT min(clicks <= impressions) FROM ad_performance").fetchone()[0]
        # every order's customer has sessions, and a touchpoint before the order
        orphans = store.execute(
            "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM touchpoints t "
            "WHERE t.user_key = o.customer_key AND t.ts <= o.ts)"
        ).fetchone()[0]
        assert orphans == 0
        truth = dict(store.execute("SELECT channel, roi FROM true_effects WHERE dataset = 't'").fetchall())
        assert truth == dict(
            zip(generated.truth["channel"].to_pylist(), generated.truth["roi"].to_pylist(), strict=True)
        )
        assert (
            store.execute("SELECT count(*) FROM true_effects_weekly").fetchone()[0]
            == generated.truth_weekly.num_rows
        )
        assert synth.load(store, generated, prefix="t") == {}  # same fingerprint: nothing written twice
        assert store.execute("SELECT count(*) FROM orders").fetchone()[0] == counts["orders"]


def test_web_channels_are_ga4_default_channel_groups(generated):
    from opencmo.data.parsers.channels import channel_group

    s = generated.tables["sessions"].to_pydict()
    seen = set(zip(s["source"], s["medium"], s["channel"], strict=True))
    assert len(seen) >= 4
    for source, medium, channel in seen:
        assert channel_group(source, medium, "") == channel, (source, medium)


def test_bad_spend_is_refused():
    with pytest.raises(ValueError, match="one spend value per day"):
        synth.generate(START, {"a": np.ones(40), "b": np.ones(41)})
    with pytest.raises(ValueError, match="four weeks"):
        synth.generate(START, {"a": np.ones(10)})
    with pytest.raises(ValueError, match="negative"):
        synth.generate(START, {"a": -np.ones(40)})


def test_platforms_over_claim_the_true_contribution_even_when_spend_is_invoiced(spend):
    """Spend booked once a fortnight (invoices) while the effect runs daily: the platform's reported
    conversion value is still its channel's true contribution times the usual 1.2-1.6 over-claim."""
    days = np.datetime64(START, "D") + np.arange(200)
    lumpy = np.zeros(200)
    for start in range(0, 200, 14):
        lumpy[start] = spend["paid_search"][start : start + 14].sum()
    rows = {
        "day": days[lumpy > 0],
        "platform": np.array(["google_ads"] * int((lumpy > 0).sum()), dtype=object),
        "campaign_external": np.array(["NO | always-on | search"] * int((lumpy > 0).sum()), dtype=object),
        "campaign_id": np.full(int((lumpy > 0).sum()), -1),
        "channel": np.array(["Paid Search"] * int((lumpy > 0).sum()), dtype=object),
        "spend": lumpy[lumpy > 0],
    }
    generated = synth.generate(START, {**spend, "paid_search": lumpy}, users=1000, seed=3, ad_rows=rows)
    claimed = sum(generated.tables["ad_performance"]["conversion_value"].to_pylist())
    truth = dict(
        zip(generated.truth["channel"].to_pylist(), generated.truth["contribution"].to_pylist(), strict=True)
    )
    assert 1.1 * truth["paid_search"] < claimed < 1.7 * truth["paid_search"]
