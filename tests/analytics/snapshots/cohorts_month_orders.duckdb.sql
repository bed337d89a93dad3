WITH fx(currency, rate) AS (
  SELECT
    *
  FROM (VALUES
    ('EUR', CAST(CAST(1.0 AS DOUBLE) AS DECIMAL(18, 8))),
    ('NOK', CAST(CAST(0.085 AS DOUBLE) AS DECIMAL(18, 8)))) AS _values
), activity AS (
  SELECT
    customer_key AS who,
    ts
  FROM orders
), members AS (
  SELECT
    who,
    CAST(DATE_TRUNC('MONTH', MIN(ts)) AS DATE) AS cohort
  FROM activity
  GROUP BY
    who
), chosen AS (
  SELECT
    who,
    cohort
  FROM members
  WHERE
    cohort BETWEEN CAST(DATE_TRUNC('MONTH', CAST('2026-01-01' AS DATE)) AS DATE) AND CAST('2026-06-30' AS DATE)
), sizes AS (
  SELECT
    cohort,
    COUNT(*) AS size
  FROM chosen
  GROUP BY
    cohort
), active AS (
  SELECT
    cohort,
    k,
    COUNT(DISTINCT who) AS active
  FROM (
    SELECT
      m.cohort,
      a.who,
      (
        (
          YEAR(CAST(DATE_TRUNC('MONTH', a.ts) AS DATE)) * 12 + MONTH(CAST(DATE_TRUNC('MONTH', a.ts) AS DATE))
        ) - (
          YEAR(m.cohort) * 12 + MONTH(m.cohort)
        )
      ) AS k
    FROM chosen AS m
    JOIN activity AS a
      ON a.who = m.who
  ) AS active_rows
  GROUP BY
    cohort,
    k
), revenue AS (
  SELECT
    cohort,
    k,
    CAST(SUM(CAST(value AS DECIMAL(38, 4)) * rate) AS DECIMAL(38, 4)) AS revenue
  FROM (
    SELECT
      m.cohort,
      o.value,
      fx.rate,
      (
        (
          YEAR(CAST(DATE_TRUNC('MONTH', o.ts) AS DATE)) * 12 + MONTH(CAST(DATE_TRUNC('MONTH', o.ts) AS DATE))
        ) - (
          YEAR(m.cohort) * 12 + MONTH(m.cohort)
        )
      ) AS k
    FROM chosen AS m
    JOIN orders AS o
      ON o.customer_key = m.who
    JOIN fx
      ON fx.currency = o.currency
  ) AS revenue_rows
  GROUP BY
    cohort,
    k
), both_sides AS (
  SELECT
    cohort,
    k,
    active,
    CAST(0 AS DECIMAL(38, 4)) AS revenue
  FROM active
  UNION ALL
  SELECT
    cohort,
    k,
    0 AS active,
    revenue
  FROM revenue
)
SELECT
  s.cohort AS cohort,
  s.size AS size,
  b.k AS k,
  SUM(b.active) AS active,
  SUM(b.revenue) AS revenue
FROM sizes AS s
JOIN both_sides AS b
  ON b.cohort = s.cohort
WHERE
  b.k BETWEEN 0 AND 11
GROUP BY
  s.cohort,
  s.size,
  b.k
ORDER BY
  s.cohort,
  b.k
