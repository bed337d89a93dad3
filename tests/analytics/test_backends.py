"""One query definition, two engines: the store queries give the same results on DuckDB and on Spark SQL
(PySpark, local mode), and the SQL generated for each dialect is pinned by snapshots.

Spark needs Java 17+; without it (or without pyspark) the Spark tests skip and say why. One Spark session
serves the whole module (starting one costs seconds)."""

import datetime as dt
import logging
import os
import random
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from opencmo.analytics import queries
from opencmo.analytics.attribution import make_model
from opencmo.analytics.cohorts import cohorts
from opencmo.analytics.journeys import Step, funnel
from opencmo.analytics.kpis import kpis
from opencmo.analytics.paths import PathTable
from opencmo.analytics.query import DuckDBBackend, Query, QueryError, SparkBackend
from opencmo.analytics.store import Store

SNAPSHOTS = Path(__file__).parent / "snapshots"
CHANNELS = ["Paid Search", "Paid Social", "Email", "Organic Search", "Direct", "Display", "Referral"]


@pytest.fixture(scope="module")
def store():
    """A few hundred people with touches, conversions (two currencies) and web events."""
    rng = random.Random(7)
    start = dt.datetime(2026, 3, 1)
    touches, conversions, events = [], [], []
    for u in range(300):
        user = f"u{u}"
        t = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        for _ in range(rng.randrange(1, 6)):
            channel = rng.choice(CHANNELS)
            touches.append((user, t, channel, channel == "Direct"))
            if rng.random() < 0.3:
                kind = rng.choice(["purchase", "purchase", "lead"])
                currency = rng.choice(["EUR", "NOK"]) if kind == "purchase" else None
                value = Decimal(rng.randrange(10, 500)) if kind == "purchase" else Decimal(0)
                conversions.append((user, t + dt.timedelta(minutes=30), kind, value, currency))
            t += dt.timedelta(hours=rng.randrange(1, 24 * 9))
        e = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 25))
        for name in ["page_view", "view_item", "add_to_cart", "page_view", "purchase"]:
            if rng.random() < 0.75:
                events.append(
                    (f"{user}-{len(events)}", user, e, name, "/shop" if rng.random() < 0.5 else "/")
                )
                e += dt.timedelta(minutes=rng.randrange(1, 60 * 30))
    with Store(":memory:") as store:
        con = store.con
        con.executemany(
            "INSERT INTO touchpoints (user_key, ts, channel, is_direct) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            touches,
        )
        con.executemany(
            "INSERT INTO conversions (user_key, ts, kind, value, currency) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            conversions,
        )
        con.executemany(
            "INSERT INTO events (event_key, user_key, ts, event_name, page) VALUES (?, ?, ?, ?, ?)", events
        )
        _add_spend_and_orders(con, rng)
        yield store


def _add_spend_and_orders(con, rng) -> None:
    """Ad spend (two currencies, mapped and unmapped campaigns), campaign ids on some touches and an
    order per purchase, so KPIs and cohorts have every source to work with."""
    ads = []
    for day in range(40):
        for platform, channel, currency in [
            ("google_ads", "Paid Search", "EUR"),
            ("meta", "Paid Social", "NOK"),
            ("dv360", "Display", "EUR"),
        ]:
            for campaign, campaign_id in [("Spring", 11), ("Always on", None)]:
                spend = Decimal(rng.randrange(0, 50000)) / 100
                ads.append(
                    (
                        dt.date(2026, 2, 20) + dt.timedelta(days=day),
                        platform,
                        f"{channel} {campaign}",
                        campaign_id,
                        channel,
                        currency,
                        spend,
                        rng.randrange(0, 5000),
                        rng.randrange(0, 100),
                        Decimal(rng.randrange(0, 500)) / 100,
                        Decimal(rng.randrange(0, 90000)) / 100,
                    )
                )
    con.executemany(
        "INSERT INTO ad_performance (day, platform, campaign_external, campaign_id, channel, currency, "
        "spend, impressions, clicks, conversions, conversion_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ads,
    )
    con.execute("UPDATE touchpoints SET campaign_id = 11, campaign = 'spring' WHERE channel = 'Paid Search'")
    con.execute("UPDATE touchpoints SET campaign = 'newsletter' WHERE channel = 'Email'")
    con.execute(
        "INSERT INTO orders (order_key, customer_key, ts, value, currency) "
        "SELECT user_key || '-' || epoch_us(ts), user_key, ts, value, currency FROM conversions "
        "WHERE kind = 'purchase'"
    )


@pytest.fixture(scope="module")
def spark(store):
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed: the Spark backend needs Java 17+")
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark==4.3.0)")
    session = (
        pyspark.sql.SparkSession.builder.master("local[1]")
        .appName("opencmo-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    logging.getLogger("py4j").setLevel(logging.ERROR)  # its shutdown chatter hits closed streams
    backend = SparkBackend(session)
    backend.register_store(store)
    yield backend
    session.stop()


def _journeys(table: PathTable) -> list[tuple]:
    """A path table's content, independent of row order and journey numbering."""
    rows = [
        (path, float(c), round(float(v), 6), float(n))
        for path, c, v, n in zip(table.paths(), table.conversions, table.value, table.nulls, strict=True)
    ]
    return sorted(rows)


FX = {"NOK": Decimal("0.085")}


@pytest.mark.parametrize(
    "options",
    [
        {"currency": "EUR", "fx": FX},
        {"currency": "EUR", "fx": FX, "lookback_days": 7, "include_nulls": False},
        {"kinds": ["lead"], "start": dt.date(2026, 3, 10), "end": dt.date(2026, 3, 20)},
        {"kinds": [], "include_nulls": True},
    ],
)
def test_journeys_are_the_same_on_spark(store, spark, options):
    local = PathTable.from_store(store, **options)
    remote = PathTable.from_store(spark, **options)
    assert local.n_paths > 0 or options.get("kinds") == []
    assert _journeys(remote) == _journeys(local)
    assert remote.unattributed == pytest.approx(local.unattributed)
    assert remote.currency == local.currency
    assert sorted(np.round(remote.ages, 9)) == sorted(np.round(local.ages, 9))


@pytest.fixture(scope="module")
def both_paths(store, spark):
    options = {"currency": "EUR", "fx": FX}
    return PathTable.from_store(store, **options), PathTable.from_store(spark, **options)


@pytest.mark.parametrize("model", ["first_touch", "last_non_direct", "time_decay", "markov", "shapley"])
def test_attribution_is_the_same_on_spark(both_paths, model):
    local = make_model(model).fit(both_paths[0]).results()
    remote = make_model(model).fit(both_paths[1]).results()
    assert [r.channel for r in remote] == [r.channel for r in local]
    assert [r.conversions for r in remote] == pytest.approx([r.conversions for r in local], rel=1e-12)
    assert [r.value for r in remote] == pytest.approx([r.value for r in local], rel=1e-12)


@pytest.mark.parametrize(
    "steps",
    [
        ["page_view", "view_item", "add_to_cart", "purchase"],
        ["page_view", "page_view"],
        [Step("page_view", page="/shop"), "add_to_cart"],
    ],
)
def test_funnels_are_the_same_on_spark(store, spark, steps):
    local = funnel(store, steps, window=dt.timedelta(days=2), start=dt.date(2026, 3, 1))
    remote = funnel(spark, steps, window=dt.timedelta(days=2), start=dt.date(2026, 3, 1))
    assert local[0].users > 0
    assert remote == local


def _kpi_rows(rows) -> list[dict]:
    return [row.as_dict() for row in rows]


@pytest.mark.parametrize(
    "options",
    [
        {"grain": "total", "by": ("channel",), "currency": "EUR", "fx": FX},
        {"grain": "week", "by": ("channel", "campaign"), "currency": "EUR", "fx": FX},
        {"grain": "month", "by": ("objective",), "currency": "EUR", "fx": FX, "objectives": {11: "Grow B2C"}},
        {"grain": "day", "by": ("platform",), "currency": "NOK", "start": dt.date(2026, 3, 1)},
        {
            "grain": "month",
            "by": ("channel",),
            "currency": "EUR",
            "fx": FX,
            "revenue_source": "orders",
            "lead_kinds": ["lead"],
            "lookback_days": 7,
        },
    ],
)
def test_kpis_are_the_same_on_spark(store, spark, options):
    local = kpis(store, **options)
    remote = kpis(spark, **options)
    assert (local and any(row.leads or row.new_customers for row in local)) or "platform" in options["by"]
    assert _kpi_rows(remote) == _kpi_rows(local)
    # zero denominators stay None on both engines (a day with spend but no clicks, say)
    assert [row.cpc is None for row in remote] == [row.cpc is None for row in local]


@pytest.mark.parametrize(
    "options",
    [
        {"period": "month", "periods": 3, "currency": "EUR", "fx": FX},
        {"period": "week", "periods": 6, "currency": "EUR", "fx": FX},
        {"period": "quarter", "periods": 2, "currency": "EUR", "fx": FX, "start": dt.date(2026, 3, 1)},
    ],
)
def test_cohorts_are_the_same_on_spark(store, spark, options):
    local = cohorts(store, **options)
    remote = cohorts(spark, **options)
    assert local and local[0].size > 0
    assert remote == local


def test_errors_read_the_same_on_both(store, spark):
    for backend in (store, spark):
        with pytest.raises(ValueError, match="give exchange rates"):
            PathTable.from_store(backend)


# --- rendering -------------------------------------------------------------------------------------


SNAPSHOT_PARAMS = {
    "since": dt.datetime(2026, 3, 1),
    "until": dt.datetime(2026, 4, 1),
    "tp_since": dt.datetime(2026, 1, 30),
    "window": 30 * 86_400_000_000,
    "kinds": ["lead", "purchase"],
    "fx_code_0": "EUR",
    "fx_rate_0": 1.0,
    "fx_code_1": "NOK",
    "fx_rate_1": 0.085,
}

SNAPSHOT_QUERIES = {
    "funnel_3": (
        queries.funnel([(False, False), (True, False), (False, False)]),
        {"e0": "page_view", "e1": "view_item", "p1": "/shop", "e2": "purchase", "window_us": 86_400_000_000},
    ),
    "path_touches": (queries.path_touches(kinds=True, rates=2, include_nulls=True), {}),
    "path_unattributed": (queries.path_unattributed(kinds=True, rates=2), {}),
    "conversion_currencies": (queries.conversion_currencies(kinds=True), {}),
    "kpis_week_channel_campaign": (
        queries.kpis(grain="week", dims=("channel", "campaign"), rates=2, objectives=1),
        {
            "first": dt.date(2026, 3, 1),
            "last": dt.date(2026, 3, 31),
            "lookback_us": 30 * 86_400_000_000,
            "lead_kinds": ["lead"],
            "obj_id_0": 11,
            "obj_name_0": "Grow B2C",
        },
    ),
    "cohorts_month_orders": (
        queries.cohorts(period="month", basis="orders", rates=2),
        {"first": dt.date(2026, 1, 1), "last": dt.date(2026, 6, 30), "last_k": 11},
    ),
}


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
@pytest.mark.parametrize("name", sorted(SNAPSHOT_QUERIES))
def test_generated_sql_matches_the_snapshot(name, dialect):
    """Set UPDATE_SNAPSHOTS=1 to rewrite them after a deliberate change (then read the diff)."""
    query, extra = SNAPSHOT_QUERIES[name]
    params = {k: v for k, v in {**SNAPSHOT_PARAMS, **extra}.items() if k in query.parameters}
    sql = query.render(params, dialect) + "\n"
    path = SNAPSHOTS / f"{name}.{dialect}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(sql)
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text()


def test_literals_are_typed_and_escaped():
    query = Query(
        "t",
        "SELECT * FROM t WHERE s = :s AND d = :d AND ts = :ts AND m = :m AND n = :n AND b = :b "
        "AND x IN (:xs)",
    )
    sql = query.render(
        {
            "s": "O'Brien",
            "d": dt.date(2026, 1, 2),
            "ts": dt.datetime(2026, 1, 2, 3, 4, 5, 6),
            "m": Decimal("12.3400"),
            "n": None,
            "b": True,
            "xs": [],
        },
        "spark",
    )
    assert "'O\\'Brien'" in sql or "'O''Brien'" in sql
    assert "CAST('2026-01-02' AS DATE)" in sql
    assert "CAST('2026-01-02 03:04:05.000006' AS TIMESTAMP" in sql
    assert "CAST('12.3400' AS DECIMAL(38, 4))" in sql
    assert "IN (NULL)" in sql
    with pytest.raises(QueryError, match="needs"):
        query.render({"s": 1}, "duckdb")
    with pytest.raises(QueryError, match="no parameter"):
        Query("t", "SELECT * FROM t WHERE a = :a").render({"a": 1, "b": 2})
    with pytest.raises(QueryError, match="naive"):
        Query("t", "SELECT * FROM t WHERE a = :a").render({"a": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})


def test_duckdb_binds_natively_with_the_same_meaning_as_the_rendered_text(store):
    """The store runs a cached `$name` template with native parameters; the literal rendering (used for
    Spark and the snapshots) must mean the same on DuckDB."""
    query = queries.kpis(grain="month", dims=("channel",), rates=2, objectives=0)
    params = {
        "first": dt.date(2026, 2, 1),
        "last": dt.date(2026, 3, 31),
        "since": dt.datetime(2026, 2, 1),
        "until": dt.datetime(2026, 4, 1),
        "lookback_us": 30 * 86_400_000_000,
        "lead_kinds": ["lead", "purchase"],
        "fx_code_0": "EUR",
        "fx_rate_0": Decimal(1),
        "fx_code_1": "NOK",
        "fx_rate_1": Decimal("0.085"),
    }
    native = DuckDBBackend(store).fetch(query, params).rows
    rendered = store.con.execute(query.render(params, "duckdb")).fetchall()
    assert native == rendered and native
    template, bound = query.duckdb({**params, "lead_kinds": []})
    assert "IN (NULL)" in template and not any(k.startswith("lead_kinds") for k in bound)


def test_duckdb_backend_runs_rendered_queries(store):
    params = {"since": dt.datetime(2026, 1, 1), "until": dt.datetime(2027, 1, 1)}
    rows = DuckDBBackend(store).fetch(queries.conversion_currencies(kinds=False), params).rows
    assert rows == [("EUR",), ("NOK",)]
