# ruff: noqa: S608 - the text is built from fixed fragments; values are bound as literals by Query.render
"""The engine's store queries, each defined once (DuckDB SQL, portable subset; see ``query.py``).

They are built by small functions because their shape depends on the request (the number of funnel
steps, whether conversion kinds or exchange rates are given), never on the data: the same arguments give
the same text, which the snapshot tests pin for both dialects.
"""

from __future__ import annotations

from opencmo.analytics.query import Query

__all__ = [
    "cohorts",
    "conversion_currencies",
    "currencies",
    "funnel",
    "kpis",
    "path_touches",
    "path_unattributed",
]


def funnel(steps: list[tuple[bool, bool]]) -> Query:
    """Users per step of an ordered funnel. ``steps`` gives, per step, whether it has a page condition
    and whether it repeats the previous step (then it must come strictly later).

    Parameters: ``e<k>`` (event name), ``p<k>`` (page, when given), ``since``/``until`` (step 1 in the
    half-open range), ``window_us`` (microseconds from step 1 to the last step)."""

    def matches(k: int) -> str:
        has_page = steps[k][0]
        return f"e.event_name = :e{k}" + (f" AND e.page = :p{k}" if has_page else "")

    ctes = [
        f"s0 AS (SELECT e.user_key, e.ts AS t0, e.ts AS t FROM events e WHERE {matches(0)} "
        "AND e.ts >= :since AND e.ts < :until)"
    ]
    for k in range(1, len(steps)):
        after = ">" if steps[k][1] else ">="
        ctes.append(
            f"s{k} AS (SELECT p.user_key, p.t0, min(e.ts) AS t, p.t AS prev "
            f"FROM s{k - 1} p JOIN events e ON e.user_key = p.user_key AND {matches(k)} "
            f"AND e.ts {after} p.t AND date_diff('microsecond', p.t0, e.ts) <= :window_us "
            "GROUP BY p.user_key, p.t0, p.t)"
        )
    selects = [
        "SELECT 0 AS step, count(DISTINCT user_key) AS users, CAST(NULL AS DOUBLE) AS median_seconds FROM s0"
    ]
    for k in range(1, len(steps)):
        # each user's quickest way from the previous step: the time of their earliest step-k event
        selects.append(
            f"SELECT {k}, count(*), median(seconds) FROM ("
            f"SELECT user_key, arg_min(date_diff('microsecond', prev, t) / 1e6, t) AS seconds "
            f"FROM s{k} GROUP BY user_key) d{k}"
        )
    sql = "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(selects) + "\nORDER BY step"
    return Query(f"funnel_{len(steps)}", sql)


def _fx_values(rates: int) -> str:
    """An ``fx(currency, rate)`` table of ``rates`` rows (``:fx_code_<i>``, ``:fx_rate_<i>``); without
    rates one row of NULLs, which joins nothing (the value is then taken as it is)."""
    if not rates:
        return "fx(currency, rate) AS (VALUES (CAST(NULL AS VARCHAR), CAST(NULL AS DOUBLE)))"
    rows = ", ".join(f"(:fx_code_{i}, CAST(:fx_rate_{i} AS DOUBLE))" for i in range(rates))
    return f"fx(currency, rate) AS (VALUES {rows})"


def _kind_filter(kinds: bool) -> str:
    return "kind IN (:kinds)" if kinds else "TRUE"


def conversion_currencies(*, kinds: bool) -> Query:
    """The currencies of non-zero conversion values in ``[since, until)``."""
    return Query(
        "conversion_currencies",
        f"SELECT DISTINCT currency FROM conversions WHERE {_kind_filter(kinds)} "
        "AND ts >= :since AND ts < :until AND value <> 0 AND currency IS NOT NULL ORDER BY 1",
    )


def _journey_ctes(*, kinds: bool, rates: int) -> str:
    """Conversions closing journeys (``conv``, numbered ``jid``) and the touches in them (``converted``).

    A journey is the person's touches since their previous conversion and at most ``window`` µs before
    the conversion; ``tp_since`` is ``since`` minus the window (computed by the caller)."""
    return f"""{_fx_values(rates)},
    conv_all AS (
        SELECT user_key, ts, value, currency,
               lag(ts) OVER (PARTITION BY user_key ORDER BY ts, kind) AS prev_ts
        FROM conversions WHERE {_kind_filter(kinds)}
    ),
    conv AS (
        SELECT row_number() OVER (ORDER BY c.ts, c.user_key) AS jid, c.user_key, c.ts, c.prev_ts,
               CAST(c.value AS DOUBLE) * coalesce(fx.rate, 1.0) AS value
        FROM conv_all c LEFT JOIN fx ON fx.currency = c.currency
        WHERE c.ts >= :since AND c.ts < :until
    ),
    tp AS (
        SELECT user_key, ts, channel, is_direct FROM touchpoints WHERE ts >= :tp_since AND ts < :until
    ),
    converted AS (
        SELECT c.jid, CAST(1 AS DOUBLE) AS conversions, c.value, CAST(0 AS DOUBLE) AS nulls,
               c.ts AS end_ts, t.ts, t.channel, t.is_direct
        FROM conv c JOIN tp t ON t.user_key = c.user_key AND t.ts <= c.ts
             AND date_diff('microsecond', t.ts, c.ts) <= :window
             AND (c.prev_ts IS NULL OR t.ts > c.prev_ts)
    )"""


def path_touches(*, kinds: bool, rates: int, include_nulls: bool) -> Query:
    """One row per touch of every journey, ordered by journey then time: ``jid`` (negative for null
    journeys), the journey's ``conversions``/``value``/``nulls``, the touch's ``channel``, ``is_direct``
    and ``age`` in days before the journey's end. The caller folds the rows into paths."""
    dropped = """,
    last_conv AS (
        SELECT user_key, max(ts) AS last_ts FROM conv_all WHERE ts < :until GROUP BY user_key
    ),
    tail AS (
        SELECT t.user_key, t.ts, t.channel, t.is_direct
        FROM tp t LEFT JOIN last_conv l ON l.user_key = t.user_key
        WHERE t.ts >= :since AND (l.last_ts IS NULL OR t.ts > l.last_ts)
    ),
    tail_end AS (
        SELECT user_key, max(ts) AS end_ts, -row_number() OVER (ORDER BY user_key) AS jid
        FROM tail GROUP BY user_key
    ),
    dropped AS (
        SELECT e.jid, CAST(0 AS DOUBLE) AS conversions, CAST(0 AS DOUBLE) AS value,
               CAST(1 AS DOUBLE) AS nulls, e.end_ts, t.ts, t.channel, t.is_direct
        FROM tail t JOIN tail_end e ON e.user_key = t.user_key
        WHERE date_diff('microsecond', t.ts, e.end_ts) <= :window
    ),
    touches AS (SELECT * FROM converted UNION ALL SELECT * FROM dropped)"""
    plain = """,
    touches AS (SELECT * FROM converted)"""
    sql = f"""WITH {_journey_ctes(kinds=kinds, rates=rates)}{dropped if include_nulls else plain}
    SELECT jid, conversions, value, nulls, channel, is_direct,
           date_diff('microsecond', ts, end_ts) / 86400e6 AS age
    FROM touches ORDER BY jid, ts, channel"""
    name = f"path_touches{'_kinds' if kinds else ''}{'_nulls' if include_nulls else ''}_fx{rates}"
    return Query(name, sql)


def path_unattributed(*, kinds: bool, rates: int) -> Query:
    """Conversions (count and value) in range with no touch inside their window."""
    sql = f"""WITH {_journey_ctes(kinds=kinds, rates=rates)}
    SELECT count(*) AS conversions, coalesce(sum(c.value), 0) AS value
    FROM conv c LEFT JOIN (SELECT DISTINCT jid FROM converted) h ON h.jid = c.jid
    WHERE h.jid IS NULL"""
    return Query(f"path_unattributed{'_kinds' if kinds else ''}_fx{rates}", sql)


# ------------------------------------------------------------------------------------------- KPIs

KPI_DIMENSIONS = ("channel", "campaign", "objective", "platform", "account")
KPI_KEYS = ("period", "channel", "campaign_key", "objective", "platform", "account")


def _values(name: str, columns: str, rows: list[str], empty: str) -> str:
    return f"{name}({columns}) AS (VALUES {', '.join(rows) or empty})"


def _null_safe(left: list[str], right: str) -> str:
    """Join condition of a full outer join chain: the key columns of whichever of the ``left`` tables
    has the row equal those of ``right``, NULL matching NULL."""

    def side(column: str) -> str:
        return (
            f"{left[0]}.{column}"
            if len(left) == 1
            else f"coalesce({', '.join(f'{t}.{column}' for t in left)})"
        )

    return " AND ".join(f"{side(c)} IS NOT DISTINCT FROM {right}.{c}" for c in KPI_KEYS)


# The touch that gets the credit: the latest non-direct one, else the latest direct one. One aggregate
# (arg_max / Spark's max_by) over a struct keeps the touch's fields together, NULL campaign included.
LAST_TOUCH = (
    "arg_max({'channel': t.channel, 'campaign_id': t.campaign_id, 'campaign': t.campaign}, "
    "date_diff('microsecond', CAST('1970-01-01' AS TIMESTAMP), t.ts) "
    "+ CASE WHEN t.is_direct THEN 0 ELSE 4000000000000000 END)"
)


def kpis(*, grain: str, dims: tuple[str, ...], rates: int, objectives: int) -> Query:
    """Sums per period and dimension from ad spend, leads and orders (see ``opencmo.analytics.kpis``).

    Parameters: ``first``/``last`` (dates, inclusive), ``since``/``until`` (timestamps, half-open),
    ``lookback_us`` (how far back a touch gets the credit), ``lead_kinds`` (list), ``fx_code_<i>``/
    ``fx_rate_<i>`` (``rates`` exchange rates) and ``obj_id_<i>``/``obj_name_<i>`` (``objectives``
    campaign → objective pairs)."""
    period = "CAST(NULL AS DATE)" if grain == "total" else f"CAST(date_trunc('{grain}', {{day}}) AS DATE)"

    def keys(day: str, channel: str, campaign_id: str, campaign: str, platform: str, account: str) -> str:
        """The grouping keys of one source, as plain columns named alike everywhere."""
        on = set(dims)
        parts = {
            "period": period.format(day=day),
            "channel": channel if "channel" in on else "CAST(NULL AS VARCHAR)",
            "campaign_id": campaign_id if "campaign" in on else "CAST(NULL AS BIGINT)",
            "campaign_key": f"coalesce(CAST({campaign_id} AS VARCHAR), 'name:' || {campaign})"
            if "campaign" in on
            else "CAST(NULL AS VARCHAR)",
            "campaign_name": f"CASE WHEN {campaign_id} IS NULL THEN {campaign} END"
            if "campaign" in on
            else "CAST(NULL AS VARCHAR)",
            "objective": "o.objective" if "objective" in on else "CAST(NULL AS VARCHAR)",
            "platform": platform if "platform" in on else "CAST(NULL AS VARCHAR)",
            "account": account if "account" in on else "CAST(NULL AS VARCHAR)",
        }
        return ", ".join(f"{expression} AS k_{name}" for name, expression in parts.items())

    group = ", ".join(f"k_{c}" for c in KPI_KEYS)
    outer = (
        ", ".join(f"k_{c} AS {c}" for c in KPI_KEYS)
        + ", max(k_campaign_id) AS campaign_id, min(k_campaign_name) AS campaign"
    )
    money = "CAST(sum(CAST({amount} AS DECIMAL(38,4)) * rate) AS DECIMAL(38,4))"
    touch_keys = keys("x.ts", "x.channel", "x.campaign_id", "nullif(x.campaign, '')", "NULL", "NULL")
    ad_keys = keys(
        "a.day",
        "coalesce(a.channel, a.platform)",
        "a.campaign_id",
        "a.campaign_external",
        "a.platform",
        "a.account",
    )
    fx = _values(
        "fx",
        "currency, rate",
        [f"(:fx_code_{i}, CAST(:fx_rate_{i} AS DECIMAL(18,8)))" for i in range(rates)],
        "(CAST(NULL AS VARCHAR), CAST(NULL AS DECIMAL(18,8)))",
    )
    mapping = _values(
        "objectives",
        "campaign_id, objective",
        [f"(CAST(:obj_id_{i} AS BIGINT), CAST(:obj_name_{i} AS VARCHAR))" for i in range(objectives)],
        "(CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR))",
    )
    sql = f"""
    WITH {fx},
    {mapping},
    ads AS (
        SELECT {outer},
               {money.format(amount="spend")} AS spend,
               sum(impressions) AS impressions, sum(clicks) AS clicks,
               sum(conversions) AS conversions,
               {money.format(amount="conversion_value")} AS platform_revenue
        FROM (
            SELECT {ad_keys}, a.spend, a.impressions, a.clicks, a.conversions, a.conversion_value, fx.rate
            FROM ad_performance a JOIN fx ON fx.currency = a.currency
            LEFT JOIN objectives o ON o.campaign_id = a.campaign_id
            WHERE a.day BETWEEN :first AND :last
        ) ad_rows
        GROUP BY {group}
    ),
    credit_lead AS (
        SELECT user_key, ts, pick.channel AS channel, pick.campaign_id AS campaign_id,
               pick.campaign AS campaign
        FROM (
            SELECT c.user_key, c.ts, c.kind, {LAST_TOUCH} AS pick
            FROM conversions c JOIN touchpoints t ON t.user_key = c.user_key
                 AND t.ts <= c.ts AND date_diff('microsecond', t.ts, c.ts) <= :lookback_us
            WHERE c.kind IN (:lead_kinds) AND c.ts >= :since AND c.ts < :until
            GROUP BY c.user_key, c.ts, c.kind
        ) credited_leads
    ),
    leads AS (
        SELECT {outer}, count(*) AS leads
        FROM (
            SELECT {touch_keys} FROM credit_lead x LEFT JOIN objectives o ON o.campaign_id = x.campaign_id
        ) lead_rows
        GROUP BY {group}
    ),
    first_orders AS (
        SELECT customer_key, min(ts) AS ts FROM orders GROUP BY customer_key
    ),
    credit_order AS (
        SELECT order_key, ts, first_order, value, currency, pick.channel AS channel,
               pick.campaign_id AS campaign_id, pick.campaign AS campaign
        FROM (
            SELECT r.order_key, r.ts, r.first_order, r.value, r.currency, {LAST_TOUCH} AS pick
            FROM (
                SELECT o.order_key, o.customer_key, o.ts, o.value, o.currency, o.ts = f.ts AS first_order
                FROM orders o JOIN first_orders f ON f.customer_key = o.customer_key
                WHERE o.ts >= :since AND o.ts < :until
            ) r JOIN touchpoints t ON t.user_key = r.customer_key
                 AND t.ts <= r.ts AND date_diff('microsecond', t.ts, r.ts) <= :lookback_us
            GROUP BY r.order_key, r.ts, r.first_order, r.value, r.currency
        ) credited_orders
    ),
    customers AS (
        SELECT {outer},
               count(*) FILTER (WHERE first_order) AS new_customers,
               {money.format(amount="value")} AS order_revenue
        FROM (
            SELECT {touch_keys}, x.first_order, x.value, fx.rate
            FROM credit_order x LEFT JOIN fx ON fx.currency = x.currency
            LEFT JOIN objectives o ON o.campaign_id = x.campaign_id
        ) order_rows
        GROUP BY {group}
    )
    SELECT coalesce(a.period, l.period, c.period) AS period,
           coalesce(a.channel, l.channel, c.channel) AS channel,
           coalesce(a.campaign_id, l.campaign_id, c.campaign_id) AS campaign_id,
           coalesce(a.campaign, l.campaign, c.campaign) AS campaign,
           coalesce(a.objective, l.objective, c.objective) AS objective,
           a.platform AS platform, a.account AS account,
           coalesce(a.spend, 0) AS spend, coalesce(a.impressions, 0) AS impressions,
           coalesce(a.clicks, 0) AS clicks, coalesce(a.conversions, 0) AS conversions,
           coalesce(a.platform_revenue, 0) AS platform_revenue,
           coalesce(l.leads, 0) AS leads, coalesce(c.new_customers, 0) AS new_customers,
           coalesce(c.order_revenue, 0) AS order_revenue,
           a.spend IS NOT NULL AS from_ads
    FROM ads a
    FULL OUTER JOIN leads l ON {_null_safe(["a"], "l")}
    FULL OUTER JOIN customers c ON {_null_safe(["a", "l"], "c")}
    ORDER BY period NULLS FIRST, spend DESC, channel NULLS LAST, campaign_id NULLS LAST, campaign NULLS LAST
    """
    name = f"kpis_{grain}_{'-'.join(dims) or 'none'}_fx{rates}_obj{objectives}"
    return Query(name, sql)


def currencies(table: str) -> Query:
    """The currencies present in ``ad_performance`` (days ``first``..``last``) or ``orders`` (timestamps
    ``since``..``until``; without them every order)."""
    if table == "ad_performance":
        where = "WHERE day BETWEEN :first AND :last"
    elif table == "orders":
        where = "WHERE ts >= :since AND ts < :until"
    else:
        where = ""
    source = "orders" if table.startswith("orders") else table
    return Query(f"currencies_{table}", f"SELECT DISTINCT currency FROM {source} {where} ORDER BY 1")


# ----------------------------------------------------------------------------------------- cohorts


def cohorts(*, period: str, basis: str, rates: int) -> Query:
    """Acquisition cohorts (see ``opencmo.analytics.cohorts``): per cohort and period index ``k``, the
    cohort's size, the members active in period ``k`` and their order revenue. Parameters: ``first``,
    ``last`` (the acquisition dates kept), ``last_k``, ``fx_code_<i>``/``fx_rate_<i>``."""
    if basis == "orders":
        activity = "SELECT customer_key AS who, ts FROM orders"
    else:
        activity = "SELECT user_key AS who, started_at AS ts FROM sessions"
    trunc = f"CAST(date_trunc('{period}', {{ts}}) AS DATE)"
    if period == "week":  # both ends are Mondays: whole weeks apart
        index = "CAST(date_diff('day', m.cohort, {day}) / 7 AS BIGINT)"
    else:  # both ends are first days of months (of quarters): count months
        months = "((year({day}) * 12 + month({day})) - (year(m.cohort) * 12 + month(m.cohort)))"
        index = months if period == "month" else f"CAST({months} / 3 AS BIGINT)"
    fx = _values(
        "fx",
        "currency, rate",
        [f"(:fx_code_{i}, CAST(:fx_rate_{i} AS DECIMAL(18,8)))" for i in range(rates)],
        "(CAST(NULL AS VARCHAR), CAST(NULL AS DECIMAL(18,8)))",
    )
    sql = f"""
    WITH {fx},
    activity AS ({activity}),
    members AS (SELECT who, {trunc.format(ts="min(ts)")} AS cohort FROM activity GROUP BY who),
    chosen AS (
        SELECT who, cohort FROM members
        WHERE cohort BETWEEN {trunc.format(ts=":first")} AND :last
    ),
    sizes AS (SELECT cohort, count(*) AS size FROM chosen GROUP BY cohort),
    active AS (
        SELECT cohort, k, count(DISTINCT who) AS active FROM (
            SELECT m.cohort, a.who, {index.format(day=trunc.format(ts="a.ts"))} AS k
            FROM chosen m JOIN activity a ON a.who = m.who
        ) active_rows GROUP BY cohort, k
    ),
    revenue AS (
        SELECT cohort, k, CAST(sum(CAST(value AS DECIMAL(38,4)) * rate) AS DECIMAL(38,4)) AS revenue FROM (
            SELECT m.cohort, o.value, fx.rate, {index.format(day=trunc.format(ts="o.ts"))} AS k
            FROM chosen m JOIN orders o ON o.customer_key = m.who JOIN fx ON fx.currency = o.currency
        ) revenue_rows GROUP BY cohort, k
    ),
    both_sides AS (
        SELECT cohort, k, active, CAST(0 AS DECIMAL(38,4)) AS revenue FROM active
        UNION ALL
        SELECT cohort, k, 0 AS active, revenue FROM revenue
    )
    SELECT s.cohort AS cohort, s.size AS size, b.k AS k, sum(b.active) AS active, sum(b.revenue) AS revenue
    FROM sizes s JOIN both_sides b ON b.cohort = s.cohort
    WHERE b.k BETWEEN 0 AND :last_k
    GROUP BY s.cohort, s.size, b.k
    ORDER BY s.cohort, b.k
    """
    return Query(f"cohorts_{period}_{basis}_fx{rates}", sql)
