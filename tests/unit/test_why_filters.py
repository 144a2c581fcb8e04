""" "Why did it move?" with the Explorer's column filters and conditions (`amount>100`,
`amount:between=10,50`) on the fixture shop (as of 2026-03-18), against pandas over its own rows
computed here by hand: the value, the tree's drivers and the segments of the cached explanation
(dashboard.explanations), the Explorer's Why panel and the Drivers page's callbacks, and the link
between them. The cache is a real one: an unfiltered answer asked first must never be served for
a filtered question."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from urllib.parse import quote

import pandas as pd
import pytest
from page_client import join_warm_ups, register_page_callbacks

from analysis.ranges import DayRange
from dashboard.conditions import Condition
from dashboard.url_state import drivers_from_href
from metric_layer.query import DimensionFilter
from tests.browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables

W10 = DayRange(date(2026, 3, 2), date(2026, 3, 8))
W11 = DayRange(date(2026, 3, 9), date(2026, 3, 15))
BIG = DimensionFilter("amount", ">", ("100",))
MID = Condition("amount", "between", ("10", "50"))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash
    from settings import Settings

    register_page_callbacks()
    serving = build_shop(tmp_path_factory.mktemp("shop"))
    app = create_dash(Settings(metrics=SPEC, serving_dir=serving, as_of=AS_OF.isoformat()))
    app.server.test_client().get("/")  # registers the pages
    with app.server.app_context():
        yield app
    join_warm_ups()
    app.server.extensions["northstar"].close()


@pytest.fixture(scope="module")
def paid() -> pd.DataFrame:
    """Paid orders (what orders, revenue and buyers count) with their Shanghai day."""
    orders = shop_tables()["raw.orders"]
    orders = orders[orders["status"] == "paid"].copy()
    orders["day"] = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    return orders


def rows(paid: pd.DataFrame, days: DayRange, keep) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    inside = paid[(paid["day"] >= days.start) & (paid["day"] <= days.end)]
    return inside[keep(inside)]


def big(o: pd.DataFrame) -> pd.Series:
    return o["amount"] > 100


def mid(o: pd.DataFrame) -> pd.Series:
    return o["amount"].between(10, 50)


def everything(o: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=o.index)


def both(o: pd.DataFrame) -> pd.Series:
    return big(o) & mid(o)  # no order is both: the explanation of nothing


def test_filtered_explanations_match_pandas_and_never_share_a_cache_entry(app, paid) -> None:  # type: ignore[no-untyped-def]
    from dashboard.explanations import explanation

    for filters, keep in (((), everything), ((BIG,), big), ((MID,), mid), ((BIG, MID), both)):
        result = explanation("revenue", W11, W10, filters)
        then, now = (rows(paid, r, keep) for r in (W10, W11))
        assert result.comparison.before == pytest.approx(then["amount"].sum()), filters
        assert result.comparison.after == pytest.approx(now["amount"].sum()), filters
        if now.empty and then.empty:
            continue
        want = {
            (("platform", p),): (
                then.loc[then["platform"] == p, "amount"].sum(),
                now.loc[now["platform"] == p, "amount"].sum(),
            )
            for p in set(then["platform"]) | set(now["platform"])
        }
        got = {e.segment: (e.before, e.after) for e in result.segments.effects}
        for segment, values in want.items():
            assert got[segment] == pytest.approx(values), (filters, segment)


def test_the_drivers_of_orders_hold_the_condition(app, paid) -> None:  # type: ignore[no-untyped-def]
    """orders = buyers × revenue per buyer: each driver counts only the orders of 10..50."""
    from dashboard.explanations import explanation

    explanation("orders", W11, W10, ())  # the unfiltered answer, cached first
    result = explanation("orders", W11, W10, (MID,), segments=False)
    then, now = (rows(paid, r, mid) for r in (W10, W11))
    drivers = {d.metric: (d.before, d.after) for d in result.drivers}
    assert drivers["orders"] == (len(then), len(now))
    assert drivers["buyers"] == (then["customer_id"].nunique(), now["customer_id"].nunique())
    per_buyer = [f["amount"].sum() / f["customer_id"].nunique() for f in (then, now)]
    assert drivers["revenue_per_buyer"] == pytest.approx(tuple(per_buyer))


def _find(node, wanted: str):  # type: ignore[no-untyped-def]
    """The component with id `wanted` in a Dash component tree (lists, children), or None."""
    if isinstance(node, list | tuple):
        return next((f for n in node if (f := _find(n, wanted)) is not None), None)
    if getattr(node, "id", None) == wanted:
        return node
    return _find(getattr(node, "children", None), wanted) if hasattr(node, "children") else None


def test_the_explorer_why_panel_explains_the_filtered_rows_and_links_them(app, paid) -> None:  # type: ignore[no-untyped-def]
    from dashboard.pages.explorer import WHY, render_why

    then, now = (len(rows(paid, r, big)) for r in (W10, W11))
    href = (
        "/metric/orders?grain=week&range=custom&start=2026-03-02&end=2026-03-15"
        "&compare=previous&filters=" + quote("amount>100", safe="")
    )
    panel = render_why.__wrapped__(WHY, href)
    summary = _find(panel, "explorer-why-summary")
    assert summary is not None, panel  # an explanation, not a refusal
    assert summary.children.startswith(f"{then} → {now} · ")
    link = _find(panel, "explorer-why-link").href
    assert drivers_from_href(link).filters == (BIG,)
    assert "filters=amount%3E100" in link


def test_the_drivers_page_explains_a_between_from_its_link(app, paid) -> None:  # type: ignore[no-untyped-def]
    from dashboard.pages.drivers import SUMMARY, descend, render_drivers

    then, now = (len(rows(paid, r, mid)) for r in (W10, W11))
    filters = "amount:between=10,50;platform!=nope;amount:notnull"  # the last two keep every row
    href = "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=previous&filters="
    href += quote(filters, safe="")
    body = render_drivers.__wrapped__(href)  # the top segment's trend takes the `where` too
    assert _find(body, SUMMARY).children.startswith(f"{then} → {now} · ")
    # A driver's own question keeps the filters its rows can take: buyers counts orders too;
    # visitors counts sessions, which have a platform but no amount.
    view = drivers_from_href(href)
    assert descend(view, "buyers").filters == view.filters
    assert descend(view, "visitors").filters == (DimensionFilter("platform", "!=", ("nope",)),)
