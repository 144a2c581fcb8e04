"""A tiny shop for the dashboard's browser tests: a few hundred rows before a fixed as-of day,
published as a serving snapshot so the app under test opens it exactly as in production (read-only).

The app and the tests' service both run as of AS_OF, so no test depends on the real calendar (a
month grain on the 1st of a month once turned CI red)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from warehouse import SnapshotStore, Warehouse

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "small_spec.yml"
CHANNELS = ("ads", "organic", "email", "referral")
REGIONS = ("north", "south")
PLATFORMS = ("ios", "android", "web")
AS_OF = date(2026, 3, 18)  # a Wednesday in the middle of a month and a quarter


def shop_tables(days: int = 430, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Customers, orders and sessions over the `days` days before AS_OF (so last-year compares work)."""
    rng = random.Random(seed)
    now = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2)  # 10:00 in Asia/Shanghai, naive UTC
    start = now - timedelta(days=days)
    customers = pd.DataFrame(
        {
            "customer_id": range(1, 81),
            "signed_up_at": [start + timedelta(days=rng.uniform(0, days - 1)) for _ in range(80)],
            "channel": [rng.choice(CHANNELS) for _ in range(80)],
            "region": [rng.choice(REGIONS) for _ in range(80)],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": range(1, 901),
            "ordered_at": [
                start + timedelta(hours=rng.uniform(0, 24 * days - 2)) for _ in range(900)
            ],
            "customer_id": [rng.randint(1, 80) for _ in range(900)],
            "platform": [rng.choice(PLATFORMS) for _ in range(900)],
            "amount": [round(rng.uniform(5, 240), 2) for _ in range(900)],
            "status": [rng.choice(("paid", "paid", "paid", "refunded")) for _ in range(900)],
        }
    )
    sessions = pd.DataFrame(
        {
            "session_id": range(1, 1201),
            "started_at": [
                start + timedelta(hours=rng.uniform(0, 24 * days - 2)) for _ in range(1200)
            ],
            "customer_id": [rng.randint(1, 80) for _ in range(1200)],
            "platform": [rng.choice(PLATFORMS) for _ in range(1200)],
        }
    )
    return {"raw.customers": customers, "raw.orders": orders, "raw.sessions": sessions}


def build_shop(folder: Path) -> Path:
    """Write the shop into folder/warehouse.duckdb, publish it to folder/serving; return serving dir."""
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "warehouse.duckdb"
    file.unlink(missing_ok=True)
    with Warehouse(file) as wh:
        for table, frame in shop_tables().items():
            wh.replace_table(table, frame)
        wh.checkpoint()
    serving = folder / "serving"
    SnapshotStore(serving).publish(file)
    return serving


if __name__ == "__main__":  # python -m tests.browser.fixture_shop /tmp/shop
    import sys

    print(build_shop(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/northstar-shop")))
