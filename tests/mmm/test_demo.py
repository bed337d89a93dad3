"""The demo's analytics: built from the budget's booked spend, with the truth recorded in the store."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from opencmo.analytics.store import Store
from opencmo.budget.models import SpendEntry
from opencmo.demo import analytics

pytestmark = pytest.mark.django_db


def test_small_demo_matches_the_budget_and_records_the_truth(world, tmp_path):
    # one platform-imported campaign row besides the booked channel spend
    SpendEntry.objects.create(
        workspace=world.ws,
        date=dt.date(2025, 3, 3),
        amount=Decimal("1234.50"),
        currency=world.ws.currency,
        amount_base=Decimal("1234.50"),
        campaign=world.spring,
        source="import",
        platform="google_ads",
        external_campaign="NO | spring-launch | Paid search",
        natural_key="google_ads:spring:2025-03-03",
    )
    summary = analytics.build(world.ws, users=4000, seed=11, data_dir=tmp_path)
    assert summary["counts"]["orders"] > 100 and summary["counts"]["sessions"] >= summary["counts"]["orders"]
    assert summary["seconds_total"] < 30
    booked = dict(
        SpendEntry.objects.filter(workspace=world.ws, channel__key__in=["paid_search", "paid_social"])
        .values_list("channel__key")
        .annotate(total=Sum("amount_base"))
    )
    with Store.for_workspace(tmp_path, world.ws.pk, read_only=True) as store:
        stored = dict(store.execute("SELECT channel, sum(spend) FROM ad_performance GROUP BY 1").fetchall())
        assert stored["Paid Search"] == booked["paid_search"] + Decimal("1234.50")
        assert stored["Paid Social"] == booked["paid_social"]
        mapped = store.execute(
            "SELECT campaign_id FROM ad_performance WHERE campaign_external = ?",
            ["NO | spring-launch | Paid search"],
        ).fetchone()
        assert mapped == (world.spring.pk,)
        truth = dict(store.execute("SELECT channel, roi FROM true_effects WHERE dataset = 'demo'").fetchall())
        assert set(truth) == {"paid_search", "paid_social", "email"} and all(v > 0 for v in truth.values())
        revenue = store.execute("SELECT sum(value)::DOUBLE FROM orders").fetchone()[0]
        weekly = store.execute(
            "SELECT sum(revenue)::DOUBLE FROM true_effects_weekly WHERE channel = '(base)'"
        ).fetchone()[0]
        assert revenue == pytest.approx(weekly, rel=1e-6)
    again = analytics.build(world.ws, users=4000, seed=11, data_dir=tmp_path)
    assert again["counts"] == {}  # loaded once


def test_no_spend_no_analytics(globex, tmp_path):
    assert analytics.build(globex, data_dir=tmp_path) is None
