"""Acquisition cohorts on a tiny hand-made table."""

import datetime as dt
from decimal import Decimal

import pytest

from opencmo.analytics.cohorts import cohorts
from opencmo.analytics.store import Store


@pytest.fixture
def store():
    with Store(":memory:") as store:
        store.execute(
            """
            INSERT INTO orders VALUES
              ('o1', 'a', '2026-01-03', 100, 'EUR', NULL),
              ('o2', 'a', '2026-02-10', 50, 'EUR', NULL),
              ('o3', 'b', '2026-01-20', 10, 'EUR', NULL),
              ('o4', 'c', '2026-02-01', 30, 'EUR', NULL),
              ('o5', 'c', '2026-04-01', 20, 'EUR', NULL),
              ('o6', 'c', '2026-04-09', 5, 'EUR', NULL)
            """
        )
        yield store


def test_monthly_order_cohorts(store):
    january, february = cohorts(store, periods=4, end=dt.date(2026, 4, 30))
    assert (january.start, january.size) == (dt.date(2026, 1, 1), 2)
    assert january.active == [2, 1, 0, 0]
    assert january.retention == [1.0, 0.5, 0.0, 0.0]
    assert january.revenue == [Decimal("110"), Decimal("50"), Decimal("0"), Decimal("0")]
    assert january.cumulative_revenue_per_customer == [
        Decimal("55"),
        Decimal("80"),
        Decimal("80"),
        Decimal("80"),
    ]
    assert (february.start, february.size) == (dt.date(2026, 2, 1), 1)
    assert february.active == [1, 0, 1, None]  # May has not happened yet
    assert february.revenue == [Decimal("30"), Decimal("0"), Decimal("25"), None]


def test_quarterly_and_weekly_cohorts(store):
    (q1,) = cohorts(store, period="quarter", periods=2, end=dt.date(2026, 6, 30))
    assert (q1.start, q1.size, q1.active) == (dt.date(2026, 1, 1), 3, [3, 1])
    assert q1.revenue == [Decimal("190"), Decimal("25")]
    weeks = cohorts(store, period="week", periods=2, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    # a on Saturday 3 January (week of Monday 29 December), b on 20 January, c on Sunday 1 February.
    assert [w.start for w in weeks] == [dt.date(2025, 12, 29), dt.date(2026, 1, 19), dt.date(2026, 1, 26)]
    assert [w.size for w in weeks] == [1, 1, 1]
    assert weeks[2].active == [1, None]  # its second week starts after the end date


def test_session_cohorts_with_order_revenue(store):
    store.execute(
        """
        INSERT INTO sessions (session_key, user_key, started_at, channel) VALUES
          ('s1', 'a', '2025-12-30', 'Email'), ('s2', 'a', '2026-01-15', 'Direct'),
          ('s3', 'z', '2025-12-31', 'Paid Search')
        """
    )
    december, *_ = cohorts(store, basis="sessions", periods=2, end=dt.date(2026, 1, 31))
    assert (december.start, december.size, december.active) == (dt.date(2025, 12, 1), 2, [2, 1])
    assert december.revenue == [Decimal("0"), Decimal("100")]


def test_currencies_and_bad_options(store):
    store.execute("INSERT INTO orders VALUES ('o9', 'd', '2026-01-05', 1000, 'NOK', NULL)")
    with pytest.raises(ValueError, match="EUR, NOK"):
        cohorts(store)
    (january, *_) = cohorts(store, currency="EUR", fx={"NOK": Decimal("0.1")}, periods=1)
    assert january.size == 3 and january.revenue == [Decimal("210")]
    for bad in ({"period": "day"}, {"basis": "clicks"}, {"periods": 0}):
        with pytest.raises(ValueError):
            cohorts(store, **bad)
