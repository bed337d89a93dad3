"""Summaries from transactions and from the analytics store's orders; discounted lifetime value."""

from datetime import UTC, date, datetime

import numpy as np
import pytest

from opencmo.analytics.clv import (
    BetaGeoModel,
    CLVInputError,
    GammaGammaModel,
    ParetoNBDModel,
    customer_lifetime_value,
    monthly_discount_rate,
    rfm_from_orders,
    rfm_summary,
)
from opencmo.analytics.store import Store

# Three customers. Ann: two orders on 1 Jan (one purchase of 30), then 11 Jan (20) and 21 Jan (40),
# then 5 Feb in the holdout (50). Bob: one order on 15 Jan (10). Cyd: first order in the holdout.
ORDERS = [
    ("ann", "2026-01-01T09:00", 10.0),
    ("ann", "2026-01-01T17:30", 20.0),
    ("ann", "2026-01-11T12:00", 20.0),
    ("ann", "2026-01-21T08:00", 40.0),
    ("bob", "2026-01-15T10:00", 10.0),
    ("ann", "2026-02-05T10:00", 50.0),
    ("cyd", "2026-02-03T10:00", 70.0),
    ("bob", "2026-03-20T10:00", 99.0),  # after the observation end: ignored
]


def _columns():
    ids, ts, values = zip(*ORDERS, strict=True)
    return list(ids), np.array(ts, dtype="datetime64[m]"), list(values)


def test_summary_with_calibration_and_holdout():
    summary = rfm_summary(*_columns(), calibration_end="2026-01-31", observation_end="2026-02-28")
    assert summary.customer_id.tolist() == ["ann", "bob"]  # Cyd starts in the holdout
    assert summary.frequency.tolist() == [2, 0]  # Ann's two orders on 1 Jan are one purchase
    assert summary.recency.tolist() == [20.0, 0.0]
    assert summary.T.tolist() == [30.0, 16.0]
    assert summary.monetary_value.tolist() == [30.0, 0.0]  # (20 + 40) / 2: the first purchase left out
    assert summary.frequency_holdout.tolist() == [1, 0]
    assert summary.monetary_value_holdout.tolist() == [50.0, 0.0]
    assert summary.duration_holdout == 28.0
    assert summary.repeat_customers.tolist() == [True, False]
    assert set(summary.columns()) >= {"frequency_holdout", "monetary_value_holdout"}
    assert len(summary) == 2


def test_summary_without_holdout_in_weeks_and_with_python_dates():
    ids = ["a", "a", "b"]
    days = [date(2026, 1, 1), datetime(2026, 1, 15, 23, 59), np.datetime64("2026-01-08")]
    summary = rfm_summary(ids, days, [1, 2, 3], time_unit="W")
    assert summary.frequency_holdout is None and summary.duration_holdout == 0.0
    assert summary.observation_end == summary.calibration_end == np.datetime64("2026-01-15")
    assert summary.recency.tolist() == [2.0, 0.0]
    assert summary.T.tolist() == [2.0, 1.0]
    assert "frequency_holdout" not in summary.columns()


def test_summary_without_values_and_with_mixed_id_types():
    summary = rfm_summary([1, "1", 1, "x"], ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-03"])
    assert summary.customer_id.tolist() == [1, "1", "x"]
    assert summary.frequency.tolist() == [1, 0, 0]
    assert summary.monetary_value.tolist() == [0.0, 0.0, 0.0]


def test_rfm_from_the_analytics_store_orders_table():
    with Store(":memory:") as store:
        with store.transaction() as con:
            for i, (customer, ts, value) in enumerate(ORDERS):
                con.execute(
                    "INSERT INTO orders VALUES (?, ?, ?, ?, 'NOK', NULL)",
                    [
                        f"o{i}",
                        customer,
                        datetime.fromisoformat(ts).replace(tzinfo=UTC).replace(tzinfo=None),
                        value,
                    ],
                )
            con.execute(
                "INSERT INTO orders VALUES ('x1', 'ann', TIMESTAMP '2026-01-03 10:00', 5, 'EUR', NULL)"
            )
        with pytest.raises(CLVInputError, match="several currencies"):
            rfm_from_orders(store, calibration_end="2026-01-31")
        summary = rfm_from_orders(
            store, calibration_end="2026-01-31", observation_end="2026-02-28", currency="NOK"
        )
        expected = rfm_summary(*_columns(), calibration_end="2026-01-31", observation_end="2026-02-28")
        assert summary.customer_id.tolist() == expected.customer_id.tolist()
        for name in (
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "frequency_holdout",
            "monetary_value_holdout",
        ):
            np.testing.assert_array_equal(getattr(summary, name), getattr(expected, name))
        in_euro = rfm_from_orders(store.con, currency="EUR")
        assert in_euro.customer_id.tolist() == ["ann"] and in_euro.monetary_value.tolist() == [0.0]
        with pytest.raises(CLVInputError, match="no orders"):
            rfm_from_orders(store, currency="DKK")


def test_rfm_from_a_duckdb_relation_and_arrow_table():
    pyarrow = pytest.importorskip("pyarrow")
    ids, ts, values = _columns()
    table = pyarrow.table({"customer_id": ids, "order_ts": ts.astype("datetime64[us]"), "value": values})
    from_arrow = rfm_from_orders(table, calibration_end="2026-01-31", observation_end="2026-02-28")
    expected = rfm_summary(ids, ts, values, calibration_end="2026-01-31", observation_end="2026-02-28")
    np.testing.assert_array_equal(from_arrow.frequency, expected.frequency)
    np.testing.assert_array_equal(from_arrow.monetary_value, expected.monetary_value)

    import duckdb

    relation = duckdb.connect().from_arrow(table.rename_columns(["who", "when", "amount"]))
    with pytest.raises(CLVInputError, match="No customer column"):
        rfm_from_orders(relation)
    from_relation = rfm_from_orders(
        relation,
        customer_column="who",
        ts_column="when",
        value_column="amount",
        calibration_end="2026-01-31",
        observation_end="2026-02-28",
    )
    np.testing.assert_array_equal(from_relation.frequency_holdout, expected.frequency_holdout)
    with pytest.raises(CLVInputError, match="no currency column"):
        rfm_from_orders(table, currency="NOK")
    with pytest.raises(CLVInputError, match="needs a DuckDB connection"):
        rfm_from_orders(object())


@pytest.fixture(scope="module")
def fitted(cdnow, cdnow_spend):
    repeat = cdnow_spend["x"] > 0
    return (
        BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"]),
        ParetoNBDModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"]),
        GammaGammaModel().fit(cdnow_spend["x"][repeat], cdnow_spend["zbar"][repeat]),
    )


def test_clv_is_the_discounted_sum_of_monthly_expected_purchases_times_spend(fitted):
    purchases, _, spend = fitted
    x, t_x, T, m = 3, 30.0, 38.86, 40.0
    per_purchase = spend.expected_average_spend(x, m)
    weeks_per_month = 4.345
    cumulative = [purchases.expected_purchases(i * weeks_per_month, x, t_x, T) for i in range(0, 7)]
    by_hand = sum(per_purchase * (cumulative[i] - cumulative[i - 1]) / (1 + 0.02) ** i for i in range(1, 7))
    value = customer_lifetime_value(
        purchases, spend, x, t_x, T, m, months=6, discount_rate=0.02, time_unit="W", margin=0.4
    )
    assert value == pytest.approx(0.4 * by_hand, rel=1e-12)


def test_clv_properties(fitted):
    purchases, pareto, spend = fitted
    x, t_x, T, m = (
        np.array([0, 2, 2, 10]),
        np.array([0, 30.0, 5.0, 38.0]),
        np.full(4, 38.86),
        np.array([0, 30.0, 30.0, 30.0]),
    )
    base = customer_lifetime_value(purchases, spend, x, t_x, T, m, time_unit="W")
    assert np.all(base > 0)
    assert base[1] > base[2]  # recent buyers are worth more than lapsed ones
    assert base[3] > base[1]
    longer = customer_lifetime_value(purchases, spend, x, t_x, T, m, months=24, time_unit="W")
    assert np.all(longer > base)
    undiscounted = customer_lifetime_value(purchases, spend, x, t_x, T, m, discount_rate=0.0, time_unit="W")
    assert np.all(undiscounted > base)
    np.testing.assert_allclose(
        undiscounted,
        spend.expected_average_spend(x, m) * purchases.expected_purchases(12 * 4.345, x, t_x, T),
        rtol=1e-12,
    )
    # Days instead of weeks: the same customers expressed in days, the same value.
    in_days = customer_lifetime_value(
        purchases_in_days(purchases), spend, x, t_x * 7, T * 7, m, time_unit="D"
    )
    # A month is 30 days but 4.345 weeks (30.4 days) in lifetimes' convention, hence the tolerance.
    np.testing.assert_allclose(in_days, base, rtol=0.02)
    assert isinstance(customer_lifetime_value(pareto, spend, 1, 10.0, 38.86, 20.0, time_unit="W"), float)


def purchases_in_days(model):
    """The same BG/NBD with its time scale in days (alpha is a rate per unit of time)."""
    clone = BetaGeoModel()
    clone.params_ = dict(model.params_, alpha=model.params_["alpha"] * 7)
    return clone


def test_monthly_discount_rate():
    assert monthly_discount_rate(0.0) == 0.0
    assert (1 + monthly_discount_rate(0.1)) ** 12 == pytest.approx(1.1, rel=1e-14)
    with pytest.raises(CLVInputError):
        monthly_discount_rate(-1.0)
