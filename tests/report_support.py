"""The fixture shop as a weekly report sees it: a published project with alert history around
week 2026-W11, and the shop's numbers worked out with pandas from its raw rows (never from the
code under test)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from appdb import AppDb
from appdb.models import AlertEvent
from settings import Settings
from tests.browser.fixture_shop import shop_tables
from tests.shop_project import make_project, publish, settings_for

ZONE = "Asia/Shanghai"  # tests/fixtures/small_spec.yml
W11 = date(2026, 3, 9)  # Monday of 2026-W11, the last complete week as of AS_OF (18 Mar)
TARGET = 10  # north_star.targets: 10 from 2026-01-01

# (rule, series, event, from, to, UTC time, value, detail). W11's local days are
# 2026-03-09..15 in Shanghai (UTC+8): [2026-03-08 16:00, 2026-03-15 16:00) in UTC.
ALERT_ROWS = [
    # fired before the week and never resolved: still firing when it ended
    ("aov_drop", "platform=ios", "firing", "pending", "firing", datetime(2026, 3, 1, 2), 61.5,
     "down 14.2% vs the week before"),
    # 00:30 on Monday 9 March in Shanghai, though 8 March in UTC: inside W11
    ("conversion_anomaly", "", "firing", "normal", "firing", datetime(2026, 3, 8, 16, 30), 0.021,
     "outside the expected band 0.03-0.05"),
    ("nsm_below_target", "", "firing", "pending", "firing", datetime(2026, 3, 10, 1), 8.0,
     "below 10"),
    ("aov_drop", "platform=ios", "ack", None, None, datetime(2026, 3, 11, 3), None,
     "looking into it"),
    ("nsm_below_target", "", "resolved", "firing", "normal", datetime(2026, 3, 12, 1), 12.0,
     "back above 10"),
    ("conversion_anomaly", "", "resolved", "firing", "normal", datetime(2026, 3, 13, 1), 0.04,
     "back inside the band"),
    # 00:30 on Monday 16 March in Shanghai, though 15 March in UTC: the next week
    ("refunds_high", "", "firing", "normal", "firing", datetime(2026, 3, 15, 16, 30), 0.11,
     "above 0.08"),
]  # fmt: skip


def report_project(folder: Path, app_db: str | None = None) -> Settings:
    """The shop published, its app database migrated and holding ALERT_ROWS."""
    make_project(folder)
    publish(folder)
    settings = replace(settings_for(folder), app_db=app_db or f"sqlite:///{folder / 'app.db'}")
    db = AppDb(settings.app_db)
    db.upgrade()
    with db.session() as session:
        for rule, series, event, old, new, at, value, detail in ALERT_ROWS:
            session.add(
                AlertEvent(
                    at=at,
                    rule=rule,
                    series=series,
                    event=event,
                    from_state=old,
                    to_state=new,
                    value=value,
                    detail=detail,
                )
            )
    db.close()
    return settings


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "NORTHSTAR_METRICS": str(settings.metrics),
        "NORTHSTAR_SERVING_DIR": str(settings.serving_dir),
        "NORTHSTAR_WAREHOUSE": str(settings.warehouse),
        "NORTHSTAR_AS_OF": settings.as_of,
        "NORTHSTAR_APP_DB": settings.app_db,
        "NORTHSTAR_SETTINGS": "/nonexistent/northstar.toml",
    }


# -- the shop's numbers by hand ---------------------------------------------------------------


def paid_orders() -> pd.DataFrame:
    """Paid orders with their local day in the spec's zone and their customer's channel/region."""
    tables = shop_tables()
    orders = tables["raw.orders"]
    orders = orders[orders["status"] == "paid"].merge(
        tables["raw.customers"][["customer_id", "channel", "region"]], on="customer_id"
    )
    local = pd.to_datetime(orders["ordered_at"]).dt.tz_localize("UTC").dt.tz_convert(ZONE)
    return orders.assign(
        day=local.dt.date,
        size=["large" if a >= 100 else "small" for a in orders["amount"]],
    )


def in_week(frame: pd.DataFrame, monday: date) -> pd.DataFrame:
    return frame[(frame["day"] >= monday) & (frame["day"] <= monday + timedelta(days=6))]


def week_numbers(monday: date) -> dict[str, float]:
    """Orders, buyers and revenue per buyer of the week starting `monday`."""
    rows = in_week(paid_orders(), monday)
    buyers = rows["customer_id"].nunique()
    return {
        "orders": len(rows),
        "buyers": buyers,
        "revenue_per_buyer": rows["amount"].sum() / buyers if buyers else float("nan"),
    }


def segment_count(monday: date, segment: str) -> int:
    """Paid orders of the week in a segment written as the report labels it: `platform=web`,
    `region=north × size=large`."""
    rows = in_week(paid_orders(), monday)
    for part in segment.split(" × "):
        dimension, value = part.split("=", 1)
        rows = rows[rows[dimension].astype(str) == value]
    return len(rows)
