WITH fx(currency, rate) AS (
  SELECT
    *
  FROM VALUES
    ('EUR', CAST(CAST(1.0 AS DOUBLE) AS DECIMAL(18, 8))),
    ('NOK', CAST(CAST(0.085 AS DOUBLE) AS DECIMAL(18, 8))) AS _values
), objectives(campaign_id, objective) AS (
  SELECT
    *
  FROM VALUES
    (CAST(11 AS BIGINT), CAST('Grow B2C' AS STRING)) AS _values
), ads AS (
  SELECT
    k_period AS period,
    k_channel AS channel,
    k_campaign_key AS campaign_key,
    k_objective AS objective,
    k_platform AS platform,
    k_account AS account,
    MAX(k_campaign_id) AS campaign_id,
    MIN(k_campaign_name) AS campaign,
    CAST(SUM(CAST(spend AS DECIMAL(38, 4)) * rate) AS DECIMAL(38, 4)) AS spend,
    SUM(impressions) AS impressions,
    SUM(clicks) AS clicks,
    SUM(conversions) AS conversions,
    CAST(SUM(CAST(conversion_value AS DECIMAL(38, 4)) * rate) AS DECIMAL(38, 4)) AS platform_revenue
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', a.day) AS DATE) AS k_period,
      COALESCE(a.channel, a.platform) AS k_channel,
      a.campaign_id AS k_campaign_id,
      COALESCE(CAST(a.campaign_id AS STRING), 'name:' || a.campaign_external) AS k_campaign_key,
      CASE WHEN a.campaign_id IS NULL THEN a.campaign_external END AS k_campaign_name,
      CAST(NULL AS STRING) AS k_objective,
      CAST(NULL AS STRING) AS k_platform,
      CAST(NULL AS STRING) AS k_account,
      a.spend,
      a.impressions,
      a.clicks,
      a.conversions,
      a.conversion_value,
      fx.rate
    FROM ad_performance AS a
    JOIN fx
      ON fx.currency = a.currency
    LEFT JOIN objectives AS o
      ON o.campaign_id = a.campaign_id
    WHERE
      a.day BETWEEN CAST('2026-03-01' AS DATE) AND CAST('2026-03-31' AS DATE)
  ) AS ad_rows
  GROUP BY
    k_period,
    k_channel,
    k_campaign_key,
    k_objective,
    k_platform,
    k_account
), credit_lead AS (
  SELECT
    user_key,
    ts,
    pick.channel AS channel,
    pick.campaign_id AS campaign_id,
    pick.campaign AS campaign
  FROM (
    SELECT
      c.user_key,
      c.ts,
      c.kind,
      MAX_BY(
        STRUCT(t.channel AS channel, t.campaign_id AS campaign_id, t.campaign AS campaign),
        DATEDIFF(MICROSECOND, CAST('1970-01-01' AS TIMESTAMP_NTZ), t.ts) + CASE WHEN t.is_direct THEN 0 ELSE 4000000000000000 END
      ) AS pick
    FROM conversions AS c
    JOIN touchpoints AS t
      ON t.user_key = c.user_key
      AND t.ts <= c.ts
      AND DATEDIFF(MICROSECOND, t.ts, c.ts) <= 2592000000000
    WHERE
      c.kind IN ('lead')
      AND c.ts >= CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)
      AND c.ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
    GROUP BY
      c.user_key,
      c.ts,
      c.kind
  ) AS credited_leads
), leads AS (
  SELECT
    k_period AS period,
    k_channel AS channel,
    k_campaign_key AS campaign_key,
    k_objective AS objective,
    k_platform AS platform,
    k_account AS account,
    MAX(k_campaign_id) AS campaign_id,
    MIN(k_campaign_name) AS campaign,
    COUNT(*) AS leads
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', x.ts) AS DATE) AS k_period,
      x.channel AS k_channel,
      x.campaign_id AS k_campaign_id,
      COALESCE(CAST(x.campaign_id AS STRING), 'name:' || NULLIF(x.campaign, '')) AS k_campaign_key,
      CASE WHEN x.campaign_id IS NULL THEN NULLIF(x.campaign, '') END AS k_campaign_name,
      CAST(NULL AS STRING) AS k_objective,
      CAST(NULL AS STRING) AS k_platform,
      CAST(NULL AS STRING) AS k_account
    FROM credit_lead AS x
    LEFT JOIN objectives AS o
      ON o.campaign_id = x.campaign_id
  ) AS lead_rows
  GROUP BY
    k_period,
    k_channel,
    k_campaign_key,
    k_objective,
    k_platform,
    k_account
), first_orders AS (
  SELECT
    customer_key,
    MIN(ts) AS ts
  FROM orders
  GROUP BY
    customer_key
), credit_order AS (
  SELECT
    order_key,
    ts,
    first_order,
    value,
    currency,
    pick.channel AS channel,
    pick.campaign_id AS campaign_id,
    pick.campaign AS campaign
  FROM (
    SELECT
      r.order_key,
      r.ts,
      r.first_order,
      r.value,
      r.currency,
      MAX_BY(
        STRUCT(t.channel AS channel, t.campaign_id AS campaign_id, t.campaign AS campaign),
        DATEDIFF(MICROSECOND, CAST('1970-01-01' AS TIMESTAMP_NTZ), t.ts) + CASE WHEN t.is_direct THEN 0 ELSE 4000000000000000 END
      ) AS pick
    FROM (
      SELECT
        o.order_key,
        o.customer_key,
        o.ts,
        o.value,
        o.currency,
        o.ts = f.ts AS first_order
      FROM orders AS o
      JOIN first_orders AS f
        ON f.customer_key = o.customer_key
      WHERE
        o.ts >= CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)
        AND o.ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
    ) AS r
    JOIN touchpoints AS t
      ON t.user_key = r.customer_key
      AND t.ts <= r.ts
      AND DATEDIFF(MICROSECOND, t.ts, r.ts) <= 2592000000000
    GROUP BY
      r.order_key,
      r.ts,
      r.first_order,
      r.value,
      r.currency
  ) AS credited_orders
), customers AS (
  SELECT
    k_period AS period,
    k_channel AS channel,
    k_campaign_key AS campaign_key,
    k_objective AS objective,
    k_platform AS platform,
    k_account AS account,
    MAX(k_campaign_id) AS campaign_id,
    MIN(k_campaign_name) AS campaign,
    COUNT(*) FILTER(WHERE
      first_order) AS new_customers,
    CAST(SUM(CAST(value AS DECIMAL(38, 4)) * rate) AS DECIMAL(38, 4)) AS order_revenue
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', x.ts) AS DATE) AS k_period,
      x.channel AS k_channel,
      x.campaign_id AS k_campaign_id,
      COALESCE(CAST(x.campaign_id AS STRING), 'name:' || NULLIF(x.campaign, '')) AS k_campaign_key,
      CASE WHEN x.campaign_id IS NULL THEN NULLIF(x.campaign, '') END AS k_campaign_name,
      CAST(NULL AS STRING) AS k_objective,
      CAST(NULL AS STRING) AS k_platform,
      CAST(NULL AS STRING) AS k_account,
      x.first_order,
      x.value,
      fx.rate
    FROM credit_order AS x
    LEFT JOIN fx
      ON fx.currency = x.currency
    LEFT JOIN objectives AS o
      ON o.campaign_id = x.campaign_id
  ) AS order_rows
  GROUP BY
    k_period,
    k_channel,
    k_campaign_key,
    k_objective,
    k_platform,
    k_account
)
SELECT
  COALESCE(a.period, l.period, c.period) AS period,
  COALESCE(a.channel, l.channel, c.channel) AS channel,
  COALESCE(a.campaign_id, l.campaign_id, c.campaign_id) AS campaign_id,
  COALESCE(a.campaign, l.campaign, c.campaign) AS campaign,
  COALESCE(a.objective, l.objective, c.objective) AS objective,
  a.platform AS platform,
  a.account AS account,
  COALESCE(a.spend, 0) AS spend,
  COALESCE(a.impressions, 0) AS impressions,
  COALESCE(a.clicks, 0) AS clicks,
  COALESCE(a.conversions, 0) AS conversions,
  COALESCE(a.platform_revenue, 0) AS platform_revenue,
  COALESCE(l.leads, 0) AS leads,
  COALESCE(c.new_customers, 0) AS new_customers,
  COALESCE(c.order_revenue, 0) AS order_revenue,
  NOT a.spend IS NULL AS from_ads
FROM ads AS a
FULL OUTER JOIN leads AS l
  ON a.period IS NOT DISTINCT FROM l.period
  AND a.channel IS NOT DISTINCT FROM l.channel
  AND a.campaign_key IS NOT DISTINCT FROM l.campaign_key
  AND a.objective IS NOT DISTINCT FROM l.objective
  AND a.platform IS NOT DISTINCT FROM l.platform
  AND a.account IS NOT DISTINCT FROM l.account
FULL OUTER JOIN customers AS c
  ON COALESCE(a.period, l.period) IS NOT DISTINCT FROM c.period
  AND COALESCE(a.channel, l.channel) IS NOT DISTINCT FROM c.channel
  AND COALESCE(a.campaign_key, l.campaign_key) IS NOT DISTINCT FROM c.campaign_key
  AND COALESCE(a.objective, l.objective) IS NOT DISTINCT FROM c.objective
  AND COALESCE(a.platform, l.platform) IS NOT DISTINCT FROM c.platform
  AND COALESCE(a.account, l.account) IS NOT DISTINCT FROM c.account
ORDER BY
  period,
  spend DESC,
  channel NULLS LAST,
  campaign_id NULLS LAST,
  campaign NULLS LAST
