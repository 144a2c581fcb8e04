SELECT
  *
FROM (
  WITH base_5 AS (
    SELECT
      *
    FROM (
      WITH revenue_0 AS (
        SELECT
          CAST(DATE_TRUNC('WEEK', CAST("t0"."ordered_at" + INTERVAL 8 HOUR AS DATE)) AS DATE) AS period,
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
          AND "j_customers"."region" IN ('north', 'south')
        GROUP BY
          1
      ), revenue_1 AS (
        SELECT
          CAST("period" + INTERVAL 7 DAY AS DATE) AS period,
          "value"
        FROM (
          SELECT
            CAST(DATE_TRUNC('WEEK', CAST("t0"."ordered_at" + INTERVAL 8 HOUR AS DATE)) AS DATE) AS period,
            SUM("t0"."amount") AS value
          FROM "raw"."orders" AS "t0"
          LEFT JOIN "raw"."customers" AS "j_customers"
            ON "t0"."customer_id" = "j_customers"."customer_id"
          WHERE
            (
              "t0"."ordered_at" >= CAST('2025-11-30 16:00:00' AS TIMESTAMP)
              AND "t0"."ordered_at" < CAST('2026-01-04 16:00:00' AS TIMESTAMP)
            )
            AND (
              "t0"."status" = 'paid'
            )
            AND "j_customers"."region" IN ('north', 'south')
          GROUP BY
            1
        ) AS s_2
      ), keys_3 AS (
        SELECT
          "period"
        FROM "revenue_0"
        UNION
        SELECT
          "period"
        FROM "revenue_1"
      )
      SELECT
        "k"."period" AS period,
        CAST((
          COALESCE("revenue_0"."value", 0) - COALESCE("revenue_1"."value", 0)
        ) AS DOUBLE) / NULLIF(COALESCE("revenue_1"."value", 0), 0) AS value
      FROM "keys_3" AS "k"
      LEFT JOIN "revenue_0"
        ON "revenue_0"."period" IS NOT DISTINCT FROM "k"."period"
      LEFT JOIN "revenue_1"
        ON "revenue_1"."period" IS NOT DISTINCT FROM "k"."period"
    ) AS d_4
    WHERE
      "period" >= CAST('2025-12-08' AS DATE) AND "period" < CAST('2026-01-12' AS DATE)
  ), keys_6 AS (
    SELECT
      "period"
    FROM "base_5"
    UNION
    SELECT
      CAST("period" + INTERVAL 7 DAY AS DATE) AS period
    FROM "base_5"
  )
  SELECT
    "k"."period" AS period,
    "cur"."value" AS value,
    "prev"."value" AS compare_value
  FROM "keys_6" AS "k"
  LEFT JOIN "base_5" AS "cur"
    ON "cur"."period" = "k"."period"
  LEFT JOIN "base_5" AS "prev"
    ON "prev"."period" = CAST("k"."period" - INTERVAL 7 DAY AS DATE)
  WHERE
    "k"."period" >= CAST('2025-12-15' AS DATE)
    AND "k"."period" < CAST('2026-01-12' AS DATE)
) AS result
ORDER BY
  "period"