"""Funnels with conversion windows, Sankey links, top paths, path lengths and time to convert."""

import datetime as dt

import pytest

from opencmo.analytics.journeys import Step, funnel, path_lengths, sankey, time_to_convert, top_paths
from opencmo.analytics.paths import PathTable
from opencmo.analytics.store import Store


@pytest.fixture
def store():
    with Store(":memory:") as store:
        store.execute(
            """
            INSERT INTO events (event_key, user_key, ts, event_name, page) VALUES
              ('1', 'u1', '2026-01-01 10:00', 'page_view', '/'),
              ('2', 'u1', '2026-01-01 10:05', 'add_to_cart', NULL),
              ('3', 'u1', '2026-01-01 10:10', 'purchase', NULL),
              ('4', 'u2', '2026-01-01 10:00', 'page_view', '/'),
              ('5', 'u2', '2026-01-09 10:05', 'add_to_cart', NULL),
              ('6', 'u3', '2026-01-01 10:00', 'page_view', '/pricing'),
              ('7', 'u3', '2026-01-02 10:00', 'add_to_cart', NULL),
              ('8', 'u2', '2026-01-10 10:00', 'page_view', '/'),
              ('9', 'u4', '2026-01-01 10:00', 'add_to_cart', NULL),
              ('10', 'u4', '2026-01-01 11:00', 'page_view', '/'),
              ('11', 'u5', '2026-01-03 10:00', 'page_view', '/'),
              ('12', 'u5', '2026-01-03 10:00', 'add_to_cart', NULL)
            """
        )
        yield store


def test_an_ordered_funnel_with_a_window(store):
    steps = funnel(store, ["page_view", "add_to_cart", "purchase"], window=dt.timedelta(days=7))
    assert [s.users for s in steps] == [5, 3, 1]
    # u2 added to cart 8 days after viewing (outside the window; the later view came after the cart);
    # u4 added before viewing; u5 did both at the same instant, which counts.
    first, cart, purchase = steps
    assert first.conversion == 1 and first.step_conversion is None and first.drop_off == 0
    assert (
        cart.conversion == pytest.approx(3 / 5)
        and cart.drop_off == 2
        and cart.drop_off_rate == pytest.approx(0.4)
    )
    assert cart.median_seconds == 300  # 0 s (u5), 300 s (u1), 86400 s (u3)
    assert purchase.step_conversion == pytest.approx(1 / 3) and purchase.median_seconds == 300


def test_a_longer_window_pages_and_dates(store):
    assert [s.users for s in funnel(store, ["page_view", "add_to_cart"], window=dt.timedelta(days=9))] == [
        5,
        4,
    ]
    pricing = funnel(store, [Step("page_view", page="/pricing", label="Pricing"), "add_to_cart"])
    assert [s.title for s in pricing] == ["Pricing", "add_to_cart"] and [s.users for s in pricing] == [1, 1]
    later = funnel(store, ["page_view", "add_to_cart"], start=dt.date(2026, 1, 3), end=dt.date(2026, 1, 31))
    assert [s.users for s in later] == [2, 1]
    repeated = funnel(store, ["page_view", "page_view"], window=dt.timedelta(days=30))
    assert [s.users for s in repeated] == [5, 1]
    with pytest.raises(ValueError):
        funnel(store, [])
    with pytest.raises(ValueError):
        funnel(store, ["a"], window=dt.timedelta(0))


PATHS = [("a > b", 2, 20, 1), ("a", 0, 0, 3), ("b > a > c", 1, 5, 0), ("a > b", 1, 10, 0)]


def test_sankey_links_conserve_journeys():
    table = PathTable.from_records(PATHS)
    diagram = sankey(table, max_steps=2)
    links = {(link["source"], link["target"]): link for link in diagram["links"]}
    assert links[("1:a", "2:b")]["value"] == 4 and links[("1:a", "2:b")]["conversions"] == 3
    assert links[("2:b", "(conversion)")]["value"] == 3
    assert links[("2:b", "(no conversion)")]["value"] == 1
    assert links[("1:a", "(no conversion)")]["value"] == 3
    assert links[("2:a", "(more)")]["value"] == 1
    ends = sum(link["value"] for link in diagram["links"] if not link["target"][0].isdigit())
    assert ends == diagram["journeys"] == 8
    assert {node["id"] for node in diagram["nodes"]} >= {"1:a", "2:b", "(conversion)"}
    assert len(sankey(table, max_steps=2, min_share=0.2)["links"]) < len(diagram["links"])


def test_top_paths_and_lengths():
    table = PathTable.from_records(PATHS)
    top = top_paths(table, 2)
    assert top[0].path == ("a", "b") and top[0].conversions == 3 and top[0].journeys == 4
    assert top[0].conversion_rate == pytest.approx(0.75)
    assert top_paths(table, 1, by="journeys")[0].path == ("a", "b")
    assert path_lengths(table) == [(1, 3.0, 0.0), (2, 4.0, 3.0), (3, 1.0, 1.0)]


def test_time_to_convert_needs_touch_times_and_reports_quantiles():
    with pytest.raises(ValueError):
        time_to_convert(PathTable.from_records(PATHS))
    with Store(":memory:") as store:
        store.execute(
            """
            INSERT INTO touchpoints (user_key, ts, channel) VALUES
              ('u1', '2026-01-01 10:00', 'Email'), ('u1', '2026-01-05 10:00', 'Search'),
              ('u2', '2026-01-01 10:00', 'Email'),
              ('u3', '2026-01-01 10:00', 'Email')
            """
        )
        store.execute(
            """
            INSERT INTO conversions VALUES
              ('u1', '2026-01-11 10:00', 'purchase', 0, NULL, NULL),
              ('u2', '2026-01-01 12:00', 'purchase', 0, NULL, NULL)
            """
        )
        result = time_to_convert(PathTable.from_store(store))
    assert result.conversions == 2
    assert result.median_days == pytest.approx(2 / 24)
    assert result.mean_days == pytest.approx((10 + 2 / 24) / 2)
    assert dict(result.buckets)["same day"] == 1 and dict(result.buckets)["8-14 days"] == 1
    assert result.touches == [(1, 1), (2, 1)]
