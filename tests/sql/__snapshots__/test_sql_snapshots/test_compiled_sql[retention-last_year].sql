SELECT
  *
FROM (
  WITH base_5 AS (
    SELECT
      CAST(DATE_TRUNC('WEEK', "cohort_day") AS DATE) AS period,
      "channel",
      CAST(SUM("retained") FILTER(WHERE
        "cohort_day" + 13 < CAST('2026-01-08' AS DATE)) AS DOUBLE) / NULLIF(
        CAST(SUM("cohort_size") FILTER(WHERE
          "cohort_day" + 13 < CAST('2026-01-08' AS DATE)) AS DOUBLE),
        0
      ) AS value
    FROM (
      WITH cohort_1 AS (
        SELECT
          *
        FROM (
          SELECT
            "t0"."customer_id" AS entity,
            MIN(CAST(TIMEZONE('Asia/Shanghai', "t0"."started_at") AS DATE)) AS cohort_day,
            ARG_MIN("j_customers"."channel", "t0"."started_at") AS "channel"
          FROM "raw"."sessions" AS "t0"
          LEFT JOIN "raw"."customers" AS "j_customers"
            ON "t0"."customer_id" = "j_customers"."customer_id"
          WHERE
            NOT "t0"."customer_id" IS NULL
          GROUP BY
            1
        ) AS f_0
        WHERE
          "cohort_day" >= CAST('2024-12-16' AS DATE)
          AND "cohort_day" < CAST('2026-01-12' AS DATE)
      ), activity_2 AS (
        SELECT DISTINCT
          CAST(TIMEZONE('Asia/Shanghai', "t0"."started_at") AS DATE) AS day,
          "t0"."customer_id" AS entity
        FROM "raw"."sessions" AS "t0"
        WHERE
          "t0"."started_at" >= CAST('2024-12-16 00:00:00+08:00' AS TIMESTAMPTZ)
          AND "t0"."started_at" < CAST('2026-01-26 00:00:00+08:00' AS TIMESTAMPTZ)
      ), hits_3 AS (
        SELECT DISTINCT
          "c"."entity",
          "c"."cohort_day"
        FROM "cohort_1" AS "c"
        INNER JOIN "activity_2" AS "a"
          ON "a"."entity" = "c"."entity"
          AND "a"."day" BETWEEN "c"."cohort_day" + 7 AND "c"."cohort_day" + 13
      )
      SELECT
        "c"."cohort_day" AS cohort_day,
        "c"."channel" AS "channel",
        COUNT(*) AS cohort_size,
        COUNT("h"."entity") AS retained
      FROM "cohort_1" AS "c"
      LEFT JOIN "hits_3" AS "h"
        ON "h"."entity" = "c"."entity" AND "h"."cohort_day" = "c"."cohort_day"
      GROUP BY
        1,
        2
    ) AS counts_4
    GROUP BY
      1,
      2
  ), keys_6 AS (
    SELECT
      "period",
      "channel"
    FROM "base_5"
    UNION
    SELECT
      CAST("period" + INTERVAL 364 DAY AS DATE) AS period,
      "channel"
    FROM "base_5"
  )
  SELECT
    "k"."period" AS period,
    "k"."channel" AS "channel",
    "cur"."value" AS value,
    "prev"."value" AS compare_value
  FROM "keys_6" AS "k"
  LEFT JOIN "base_5" AS "cur"
    ON "cur"."period" = "k"."period"
    AND "cur"."channel" IS NOT DISTINCT FROM "k"."channel"
  LEFT JOIN "base_5" AS "prev"
    ON "prev"."period" = CAST("k"."period" - INTERVAL 364 DAY AS DATE)
    AND "prev"."channel" IS NOT DISTINCT FROM "k"."channel"
  WHERE
    "k"."period" >= CAST('2025-12-15' AS DATE)
    AND "k"."period" < CAST('2026-01-12' AS DATE)
) AS result
ORDER BY
  "period",
  "channel"