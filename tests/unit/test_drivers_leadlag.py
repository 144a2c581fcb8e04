"""The Drivers page's "Which driver leads?" panel takes the page's filters: each series is the
metric's weekly values over the filtered rows, computed here by hand with pandas from the
fixture shop's orders (as of 2026-03-18), and its verdicts are those of lead_lag over them."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

import pandas as pd
import pytest

from analysis.leadlag import lead_lag
from tests.browser.fixture_shop import shop_tables
from tests.unit.test_why_filters import app  # noqa: F401  (the fixture shop served, as there)

END = date(2026, 3, 15)  # the Sunday ending the page's range


def weekly(keep) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """orders, buyers and revenue_per_buyer per Monday week of paid orders kept by `keep`,
    from the first whole week of the page's 104 weeks to END."""
    from dashboard.pages.drivers import LEADLAG_WEEKS

    orders = shop_tables()["raw.orders"]
    paid = orders[(orders["status"] == "paid") & keep(orders)].copy()
    day = (paid["ordered_at"] + pd.Timedelta(hours=8)).dt.date  # Asia/Shanghai
    start = END - timedelta(weeks=LEADLAG_WEEKS)
    paid = paid[(day >= start) & (day <= END)]
    day = day[paid.index]
    paid["week"] = [d - timedelta(days=d.weekday()) for d in day]
    weeks = pd.Index(
        [start - timedelta(days=start.weekday()) + timedelta(weeks=i) for i in range(106)]
    )
    weeks = weeks[weeks <= END]
    by = paid.groupby("week")
    frame = pd.DataFrame(
        {
            "orders": by.size(),
            "buyers": by["customer_id"].nunique(),
            "revenue": by["amount"].sum(),
        }
    ).reindex(weeks, fill_value=0)
    frame["revenue_per_buyer"] = frame["revenue"] / frame["buyers"].where(frame["buyers"] > 0)
    return frame


def shown(filters: str) -> tuple[list[str], list]:
    """The panel's sentences, and the bars of its chart (r at each lag of the best driver)."""
    from dashboard.pages.drivers import render_leadlag

    href = f"/drivers?metric=orders&from=2026-03-09&to={END}&compare=previous"
    if filters:
        href += "&filters=" + quote(filters, safe="")
    panel = render_leadlag.__wrapped__(href)
    texts, bars = [], []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif hasattr(node, "children"):
            if type(node).__name__ == "Text" and isinstance(node.children, str):
                texts.append(node.children)
            walk(node.children)
        if type(node).__name__ == "Graph":
            bars.extend(node.figure.data[0].y)

    walk(panel)
    return texts, bars


def by_hand(frame: pd.DataFrame) -> tuple[list[str], list]:
    results = [
        lead_lag(frame["orders"], frame[c], names=(t, ct))
        for c, t, ct in (
            ("buyers", "Orders", "Buyers"),
            ("revenue_per_buyer", "Orders", "Revenue per buyer"),
        )
    ]
    results.sort(key=lambda r: -abs(r.r) if r.r == r.r else 0)
    return [r.verdict("week") for r in results], list(results[0].by_lag.values())


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ("", lambda o: pd.Series(True, index=o.index)),
        ("platform=ios", lambda o: o["platform"] == "ios"),
        ("amount>100", lambda o: o["amount"] > 100),
    ],
)
@pytest.mark.usefixtures("app")  # the page reads the served shop in the app's context
def test_leadlag_series_take_the_pages_filters(filters, keep) -> None:  # type: ignore[no-untyped-def]
    texts, bars = shown(filters)
    sentences, r_by_lag = by_hand(weekly(keep))
    assert texts[: len(sentences)] == sentences
    assert bars == pytest.approx(r_by_lag, abs=1e-12, nan_ok=True)
