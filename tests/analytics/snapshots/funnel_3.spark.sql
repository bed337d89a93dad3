WITH s0 AS (
  SELECT
    e.user_key,
    e.ts AS t0,
    e.ts AS t
  FROM events AS e
  WHERE
    e.event_name = 'page_view'
    AND e.ts >= CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)
    AND e.ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
), s1 AS (
  SELECT
    p.user_key,
    p.t0,
    MIN(e.ts) AS t,
    p.t AS prev
  FROM s0 AS p
  JOIN events AS e
    ON e.user_key = p.user_key
    AND e.event_name = 'view_item'
    AND e.page = '/shop'
    AND e.ts >= p.t
    AND DATEDIFF(MICROSECOND, p.t0, e.ts) <= 86400000000
  GROUP BY
    p.user_key,
    p.t0,
    p.t
), s2 AS (
  SELECT
    p.user_key,
    p.t0,
    MIN(e.ts) AS t,
    p.t AS prev
  FROM s1 AS p
  JOIN events AS e
    ON e.user_key = p.user_key
    AND e.event_name = 'purchase'
    AND e.ts >= p.t
    AND DATEDIFF(MICROSECOND, p.t0, e.ts) <= 86400000000
  GROUP BY
    p.user_key,
    p.t0,
    p.t
)
SELECT
  0 AS step,
  COUNT(DISTINCT user_key) AS users,
  CAST(NULL AS DOUBLE) AS median_seconds
FROM s0
UNION ALL
SELECT
  1,
  COUNT(*),
  MEDIAN(seconds)
FROM (
  SELECT
    user_key,
    MIN_BY(DATEDIFF(MICROSECOND, prev, t) / 1e6, t) AS seconds
  FROM s1
  GROUP BY
    user_key
) AS d1
UNION ALL
SELECT
  2,
  COUNT(*),
  MEDIAN(seconds)
FROM (
  SELECT
    user_key,
    MIN_BY(DATEDIFF(MICROSECOND, prev, t) / 1e6, t) AS seconds
  FROM s2
  GROUP BY
    user_key
) AS d2
ORDER BY
  step NULLS LAST
