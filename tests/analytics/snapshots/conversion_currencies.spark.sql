SELECT DISTINCT
  currency
FROM conversions
WHERE
  kind IN ('lead', 'purchase')
  AND ts >= CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)
  AND ts < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
  AND value <> 0
  AND NOT currency IS NULL
ORDER BY
  1 NULLS LAST
