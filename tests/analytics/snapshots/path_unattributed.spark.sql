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
)
SELECT
  COUNT(*) AS conversions,
  COALESCE(SUM(c.value), 0) AS value
FROM conv AS c
LEFT JOIN (
  SELECT DISTINCT
    jid
  FROM converted
) AS h
  ON h.jid = c.jid
WHERE
  h.jid IS NULL
