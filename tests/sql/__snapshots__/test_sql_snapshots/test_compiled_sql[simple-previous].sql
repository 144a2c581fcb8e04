SELECT
  *
FROM (
  WITH base_0 AS (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("t0"."ordered_at" + INTERVAL 8 HOUR AS DATE)) AS DATE) AS period,
      "j_customers"."channel" AS "channel",
      SUM("t0"."amount") AS value
    FROM "raw"."orders" AS "t0"
    LEFT JOIN "raw"."customers" AS "j_customers"
      ON "t0"."customer_id" = "j_customers"."customer_id"
    WHERE
      (
        "t0"."ordered_at" >= CAST('2025-12-07 16:00:00' AS TIMESTAMP)
        AND "t0"."ordered_at" < CAST('2026-01-11 16:00:00' AS TIMESTAMP)
      )
      AND (
        "t0"."status" = 'paid'
      )
      AND "t0"."platform" = 'ios'
    GROUP BY
      1,
      2
  ), keys_1 AS (
    SELECT
      "period",
      "channel"
    FROM "base_0"
    UNION
    SELECT
      CAST("period" + INTERVAL 7 DAY AS DATE) AS period,
      "channel"
    FROM "base_0"
  )
  SELECT
    "k"."period" AS period,
    "k"."channel" AS "channel",
    "cur"."value" AS value,
    "prev"."value" AS compare_value
  FROM "keys_1" AS "k"
  LEFT JOIN "base_0" AS "cur"
    ON "cur"."period" = "k"."period"
    AND "cur"."channel" IS NOT DISTINCT FROM "k"."channel"
  LEFT JOIN "base_0" AS "prev"
    ON "prev"."period" = CAST("k"."period" - INTERVAL 7 DAY AS DATE)
    AND "prev"."channel" IS NOT DISTINCT FROM "k"."channel"
  WHERE
    "k"."period" >= CAST('2025-12-15' AS DATE)
    AND "k"."period" < CAST('2026-01-12' AS DATE)
) AS result
ORDER BY
  "period",
  "channel"