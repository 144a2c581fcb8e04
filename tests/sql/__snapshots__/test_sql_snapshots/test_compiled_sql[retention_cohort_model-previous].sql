SELECT
  *
FROM (
  WITH base_4 AS (
    SELECT
      CAST(DATE_TRUNC('WEEK', "cohort_day") AS DATE) AS period,
      CAST(SUM("retained") FILTER(WHERE
        "cohort_day" + 1 < CAST('2026-01-08' AS DATE)) AS DOUBLE) / NULLIF(
        CAST(SUM("cohort_size") FILTER(WHERE
          "cohort_day" + 1 < CAST('2026-01-08' AS DATE)) AS DOUBLE),
        0
      ) AS value
    FROM (
      WITH cohort_0 AS (
        SELECT
          "t0"."customer_id" AS entity,
          CAST("t0"."signed_up_at" + INTERVAL 8 HOUR AS DATE) AS cohort_day
        FROM "raw"."customers" AS "t0"
        WHERE
          "t0"."signed_up_at" >= CAST('2025-12-07 16:00:00' AS TIMESTAMP)
          AND "t0"."signed_up_at" < CAST('2026-01-11 16:00:00' AS TIMESTAMP)
      ), activity_1 AS (
        SELECT DISTINCT
          CAST(TIMEZONE('Asia/Shanghai', "t0"."started_at") AS DATE) AS day,
          "t0"."customer_id" AS entity
        FROM "raw"."sessions" AS "t0"
        WHERE
          "t0"."started_at" >= CAST('2025-12-08 00:00:00+08:00' AS TIMESTAMPTZ)
          AND "t0"."started_at" < CAST('2026-01-14 00:00:00+08:00' AS TIMESTAMPTZ)
      ), hits_2 AS (
        SELECT DISTINCT
          "c"."entity",
          "c"."cohort_day"
        FROM "cohort_0" AS "c"
        INNER JOIN "activity_1" AS "a"
          ON "a"."entity" = "c"."entity"
          AND "a"."day" BETWEEN "c"."cohort_day" + 1 AND "c"."cohort_day" + 1
      )
      SELECT
        "c"."cohort_day" AS cohort_day,
        COUNT(*) AS cohort_size,
        COUNT("h"."entity") AS retained
      FROM "cohort_0" AS "c"
      LEFT JOIN "hits_2" AS "h"
        ON "h"."entity" = "c"."entity" AND "h"."cohort_day" = "c"."cohort_day"
      GROUP BY
        1
    ) AS counts_3
    GROUP BY
      1
  ), keys_5 AS (
    SELECT
      "period"
    FROM "base_4"
    UNION
    SELECT
      CAST("period" + INTERVAL 7 DAY AS DATE) AS period
    FROM "base_4"
  )
  SELECT
    "k"."period" AS period,
    "cur"."value" AS value,
    "prev"."value" AS compare_value
  FROM "keys_5" AS "k"
  LEFT JOIN "base_4" AS "cur"
    ON "cur"."period" = "k"."period"
  LEFT JOIN "base_4" AS "prev"
    ON "prev"."period" = CAST("k"."period" - INTERVAL 7 DAY AS DATE)
  WHERE
    "k"."period" >= CAST('2025-12-15' AS DATE)
    AND "k"."period" < CAST('2026-01-12' AS DATE)
) AS result
ORDER BY
  "period"