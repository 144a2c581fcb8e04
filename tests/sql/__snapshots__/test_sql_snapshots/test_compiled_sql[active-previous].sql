SELECT
  *
FROM (
  WITH base_0 AS (
    WITH act AS (
      SELECT DISTINCT
        CAST(TIMEZONE('Asia/Shanghai', "t0"."started_at") AS DATE) AS day,
        "t0"."platform" AS "platform",
        "t0"."customer_id" AS entity
      FROM "raw"."sessions" AS "t0"
      WHERE
        "t0"."started_at" >= CAST('2025-12-02 00:00:00+08:00' AS TIMESTAMPTZ)
        AND "t0"."started_at" < CAST('2026-01-09 00:00:00+08:00' AS TIMESTAMPTZ)
    ), ev AS (
      SELECT
        "day",
        "platform",
        LEAD("day") OVER (PARTITION BY "platform", "entity" ORDER BY "day") AS next_day
      FROM "act"
      WHERE
        NOT "entity" IS NULL
    ), deltas AS (
      SELECT
        "day" AS d,
        "platform",
        1 AS delta
      FROM "ev"
      UNION ALL
      SELECT
        LEAST("day" + 7, COALESCE("next_day", "day" + 7)) AS d,
        "platform",
        -1 AS delta
      FROM "ev"
    ), daily AS (
      SELECT
        "d",
        "platform",
        SUM("delta") AS delta
      FROM "deltas"
      GROUP BY
        1,
        2
    ), spine AS (
      SELECT
        CAST('2025-12-02' AS DATE) + CAST("i" AS INT) AS day
      FROM GENERATE_SERIES(0, 37) AS "days"("i")
    ), keyset AS (
      SELECT DISTINCT
        "platform"
      FROM "act"
      WHERE
        NOT "entity" IS NULL
    ), grid AS (
      SELECT
        "s"."day",
        "g"."platform"
      FROM "spine" AS "s"
      CROSS JOIN "keyset" AS "g"
    ), running AS (
      SELECT
        "gr"."day" AS day,
        "gr"."platform" AS "platform",
        SUM(COALESCE("dl"."delta", 0)) OVER (
          PARTITION BY "gr"."platform"
          ORDER BY "gr"."day"
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS active
      FROM "grid" AS "gr"
      LEFT JOIN "daily" AS "dl"
        ON "dl"."d" = "gr"."day" AND "dl"."platform" IS NOT DISTINCT FROM "gr"."platform"
    )
    SELECT
      CAST(DATE_TRUNC('WEEK', "day") AS DATE) AS period,
      "platform",
      ARG_MAX("active", "day") AS value
    FROM "running"
    WHERE
      "day" >= CAST('2025-12-08' AS DATE)
    GROUP BY
      1,
      2
  ), keys_1 AS (
    SELECT
      "period",
      "platform"
    FROM "base_0"
    UNION
    SELECT
      CAST("period" + INTERVAL 7 DAY AS DATE) AS period,
      "platform"
    FROM "base_0"
  )
  SELECT
    "k"."period" AS period,
    "k"."platform" AS "platform",
    "cur"."value" AS value,
    "prev"."value" AS compare_value
  FROM "keys_1" AS "k"
  LEFT JOIN "base_0" AS "cur"
    ON "cur"."period" = "k"."period"
    AND "cur"."platform" IS NOT DISTINCT FROM "k"."platform"
  LEFT JOIN "base_0" AS "prev"
    ON "prev"."period" = CAST("k"."period" - INTERVAL 7 DAY AS DATE)
    AND "prev"."platform" IS NOT DISTINCT FROM "k"."platform"
  WHERE
    "k"."period" >= CAST('2025-12-15' AS DATE)
    AND "k"."period" < CAST('2026-01-12' AS DATE)
) AS result
ORDER BY
  "period",
  "platform"