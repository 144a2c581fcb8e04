SELECT
  *
FROM (
  WITH base_3 AS (
    WITH num_0 AS (
      SELECT
        CAST(DATE_TRUNC('WEEK', CAST("t0"."ordered_at" + INTERVAL 8 HOUR AS DATE)) AS DATE) AS period,
        "j_customers"."channel" AS "channel",
        COUNT("t0"."order_id") AS value
      FROM "raw"."orders" AS "t0"
      LEFT JOIN "raw"."customers" AS "j_customers"
        ON "t0"."customer_id" = "j_customers"."customer_id"
      WHERE
        (
          "t0"."ordered_at" >= CAST('2024-12-15 16:00:00' AS TIMESTAMP)
          AND "t0"."ordered_at" < CAST('2026-01-11 16:00:00' AS TIMESTAMP)
        )
        AND (
          "t0"."status" = 'paid'
        )
        AND (
          (
            "t0"."platform" = 'ios'
          )
        )
      GROUP BY
        1,
        2
    ), den_1 AS (
      SELECT
        CAST(DATE_TRUNC('WEEK', CAST("t0"."ordered_at" + INTERVAL 8 HOUR AS DATE)) AS DATE) AS period,
        "j_customers"."channel" AS "channel",
        COUNT("t0"."order_id") AS value
      FROM "raw"."orders" AS "t0"
      LEFT JOIN "raw"."customers" AS "j_customers"
        ON "t0"."customer_id" = "j_customers"."customer_id"
      WHERE
        (
          "t0"."ordered_at" >= CAST('2024-12-15 16:00:00' AS TIMESTAMP)
          AND "t0"."ordered_at" < CAST('2026-01-11 16:00:00' AS TIMESTAMP)
        )
        AND (
          "t0"."status" = 'paid'
        )
      GROUP BY
        1,
        2
    ), keys_2 AS (
      SELECT
        "period",
        "channel"
      FROM "num_0"
      UNION
      SELECT
        "period",
        "channel"
      FROM "den_1"
    )
    SELECT
      "k"."period" AS period,
      "k"."channel" AS "channel",
      CAST(COALESCE("num_0"."value", 0) AS DOUBLE) / NULLIF("den_1"."value", 0) AS value
    FROM "keys_2" AS "k"
    LEFT JOIN "num_0"
      ON "num_0"."period" IS NOT DISTINCT FROM "k"."period"
      AND "num_0"."channel" IS NOT DISTINCT FROM "k"."channel"
    LEFT JOIN "den_1"
      ON "den_1"."period" IS NOT DISTINCT FROM "k"."period"
      AND "den_1"."channel" IS NOT DISTINCT FROM "k"."channel"
  ), keys_4 AS (
    SELECT
      "period",
      "channel"
    FROM "base_3"
    UNION
    SELECT
      CAST("period" + INTERVAL 364 DAY AS DATE) AS period,
      "channel"
    FROM "base_3"
  )
  SELECT
    "k"."period" AS period,
    "k"."channel" AS "channel",
    "cur"."value" AS value,
    "prev"."value" AS compare_value
  FROM "keys_4" AS "k"
  LEFT JOIN "base_3" AS "cur"
    ON "cur"."period" = "k"."period"
    AND "cur"."channel" IS NOT DISTINCT FROM "k"."channel"
  LEFT JOIN "base_3" AS "prev"
    ON "prev"."period" = CAST("k"."period" - INTERVAL 364 DAY AS DATE)
    AND "prev"."channel" IS NOT DISTINCT FROM "k"."channel"
  WHERE
    "k"."period" >= CAST('2025-12-15' AS DATE)
    AND "k"."period" < CAST('2026-01-12' AS DATE)
) AS result
ORDER BY
  "period",
  "channel"