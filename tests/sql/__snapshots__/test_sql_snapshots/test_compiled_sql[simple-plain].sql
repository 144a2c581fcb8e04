SELECT
  *
FROM (
  SELECT
    CAST(DATE_TRUNC('WEEK', CAST("t0"."ordered_at" + INTERVAL 8 HOUR AS DATE)) AS DATE) AS period,
    "j_customers"."channel" AS "channel",
    SUM("t0"."amount") AS value
  FROM "raw"."orders" AS "t0"
  LEFT JOIN "raw"."customers" AS "j_customers"
    ON "t0"."customer_id" = "j_customers"."customer_id"
  WHERE
    (
      "t0"."ordered_at" >= CAST('2025-12-14 16:00:00' AS TIMESTAMP)
      AND "t0"."ordered_at" < CAST('2026-01-11 16:00:00' AS TIMESTAMP)
    )
    AND (
      "t0"."status" = 'paid'
    )
    AND "t0"."platform" = 'ios'
  GROUP BY
    1,
    2
) AS result
ORDER BY
  "period",
  "channel"