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
    return {
        "raw.customers": pd.concat([customers, HANDMADE_CUSTOMERS], ignore_index=True),
        "raw.orders": pd.concat([orders, handmade_orders()], ignore_index=True),
        "raw.sessions": sessions,
    }


# Two weeks in March 2020, long before the random rows, whose numbers are worked out by hand in
# test_pages.test_handmade_weeks_show_literal_numbers; at 04:00 UTC, noon in the spec's Shanghai.
HANDMADE_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [1001, 1002, 1003],
        "signed_up_at": [datetime(2020, 1, 15, 12)] * 3,
        "channel": ["ads", "email", "organic"],
        "region": ["north", "south", "north"],
    }
)
HANDMADE_ORDERS = [  # (day of March 2020, customer, amount, status)
    # ISO week 10 (Mon 2 – Sun 8 Mar): 4 paid orders, revenue 200.00, one refund not counted
    (2, 1001, 100.00, "paid"),
    (3, 1002, 50.00, "paid"),
    (4, 1001, 25.50, "paid"),
    (6, 1003, 24.50, "paid"),
    (7, 1002, 80.00, "refunded"),
    # ISO week 11 (Mon 9 – Sun 15 Mar): 7 paid orders, revenue 150.00
    (9, 1001, 10.00, "paid"),
    (10, 1002, 20.00, "paid"),
    (10, 1003, 30.00, "paid"),
    (11, 1001, 40.00, "paid"),
    (12, 1002, 25.25, "paid"),
    (14, 1003, 14.75, "paid"),
    (15, 1001, 10.00, "paid"),
]


def handmade_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": range(9001, 9001 + len(HANDMADE_ORDERS)),
            "ordered_at": [datetime(2020, 3, day, 4) for day, *_ in HANDMADE_ORDERS],
            "customer_id": [customer for _, customer, *_ in HANDMADE_ORDERS],
            "platform": ["web"] * len(HANDMADE_ORDERS),
            "amount": [amount for *_, amount, _ in HANDMADE_ORDERS],
            "status": [status for *_, status in HANDMADE_ORDERS],
        }
    )


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
