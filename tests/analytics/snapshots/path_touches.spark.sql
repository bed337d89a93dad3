WITH fx(currency, rate) AS (
  SELECT
    *
  FROM VALUES
    ('EUR', CAST(CAST(1.0 AS DOUBLE) AS DOUBLE)),
    ('NOK', CAST(CAST(0.085 AS DOUBLE) AS DOUBLE)) AS _values
), conv_all AS (
  SELECT
    user_key,
    ts,
    value,
    currency,
    LAG(ts) OVER (PARTITION BY user_key ORDER BY ts NULLS LAST, kind NULLS LAST) AS prev_ts
  FROM conversions
  WHERE
    kind IN ('lead', 'purchase')
), conv AS (
  SELECT
    ROW_NUMBER() OVER (ORDER BY c.ts NULLS LAST, c.user_key NULLS LAST) AS jid,
    c.user_key,
    c.ts,
    c.prev_ts,
    CAST(c.value AS DOUBLE) * COALESCE(fx.rate, 1.0) AS value
  FROM conv_all AS c
  LEFT JOIN fx
    ON fx.currency = c.currency
  WHERE
    c.ts >= CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)
    AND c.ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
), tp AS (
  SELECT
    user_key,
    ts,
    channel,
    is_direct
  FROM touchpoints
  WHERE
    ts >= CAST('2026-01-30 00:00:00' AS TIMESTAMP_NTZ)
    AND ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
), converted AS (
  SELECT
    c.jid,
    CAST(1 AS DOUBLE) AS conversions,
    c.value,
    CAST(0 AS DOUBLE) AS nulls,
    c.ts AS end_ts,
    t.ts,
    t.channel,
    t.is_direct
  FROM conv AS c
  JOIN tp AS t
    ON t.user_key = c.user_key
    AND t.ts <= c.ts
    AND DATEDIFF(MICROSECOND, t.ts, c.ts) <= 2592000000000
    AND (
      c.prev_ts IS NULL OR t.ts > c.prev_ts
    )
), last_conv AS (
  SELECT
    user_key,
    MAX(ts) AS last_ts
  FROM conv_all
  WHERE
    ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    user_key
), tail AS (
  SELECT
    t.user_key,
    t.ts,
    t.channel,
    t.is_direct
  FROM tp AS t
  LEFT JOIN last_conv AS l
    ON l.user_key = t.user_key
  WHERE
    t.ts >= CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)
    AND (
      l.last_ts IS NULL OR t.ts > l.last_ts
    )
), tail_end AS (
  SELECT
    user_key,
    MAX(ts) AS end_ts,
    -ROW_NUMBER() OVER (ORDER BY user_key NULLS LAST) AS jid
  FROM tail
  GROUP BY
    user_key
), dropped AS (
  SELECT
    e.jid,
    CAST(0 AS DOUBLE) AS conversions,
    CAST(0 AS DOUBLE) AS value,
    CAST(1 AS DOUBLE) AS nulls,
    e.end_ts,
    t.ts,
    t.channel,
    t.is_direct
  FROM tail AS t
  JOIN tail_end AS e
    ON e.user_key = t.user_key
  WHERE
    DATEDIFF(MICROSECOND, t.ts, e.end_ts) <= 2592000000000
), touches AS (
  SELECT
    *
  FROM converted
  UNION ALL
  SELECT
    *
  FROM dropped
)
SELECT
  jid,
  conversions,
  value,
  nulls,
  channel,
  is_direct,
  DATEDIFF(MICROSECOND, ts, end_ts) / 86400e6 AS age
FROM touches
ORDER BY
  jid NULLS LAST,
  ts NULLS LAST,
  channel NULLS LAST
