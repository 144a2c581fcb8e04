"""Markers of fired alerts on the Overview's and Explorer's charts: each sits on the chart's own
value for the period its rule fired in (checked against counts worked out by hand and with
pandas from the fixture shop's rows), hover text names the rule and detail, the chart's own
traces are untouched, and without events or without an app database nothing is added (and no
database file appears)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from alert_seed import NOW, RULES
from browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from page_client import flask_fetch, join_warm_ups, register_page_callbacks, render

from alerts.store import record_event
from appdb import AppDb
from dashboard import alert_rules, app_state
from dashboard.alert_marks import marker_trace, marks_data, read_points
from settings import Settings

WEEK11 = "/metric/orders?grain=week&range=custom&start=2020-03-02&end=2020-03-15&compare=previous"


def event(rule: str, period: date, detail: str = "", series: str = "", at: datetime = NOW):  # type: ignore[no-untyped-def]
    return SimpleNamespace(rule=rule, series=series, period=period, detail=detail, at=at)


# -- pure parts ------------------------------------------------------------------------------


def test_a_daily_rules_firing_marks_its_week_at_the_charts_value() -> None:
    rules = {
        "orders_daily": RULES[0].__class__(
            name="orders_daily", metric="orders", condition=None, grain="day"
        )
    }
    points = {date(2020, 3, 2): 4.0, date(2020, 3, 9): 7.0}
    trace = marker_trace(
        [event("orders_daily", date(2020, 3, 11), "down 40% <b>vs</b> Tuesday")],
        rules, "week", points, tz="Asia/Shanghai",
    )  # fmt: skip
    assert trace is not None
    assert (trace["x"], trace["y"]) == (["2020-03-09"], [7.0])
    assert trace["customdata"] == [
        "<b>orders_daily</b> fired 18 Mar 12:00 (day of Wed 11 Mar 2020)"
        "<br>down 40% &lt;b&gt;vs&lt;/b&gt; Tuesday"
    ]


def test_several_firings_in_one_period_share_a_marker_and_others_are_left_off() -> None:
    rules = {r.name: r for r in RULES}
    points = {date(2026, 3, 9): 7.0}
    trace = marker_trace(
        [
            event("orders_below_target", date(2026, 3, 9), "first", at=NOW),
            event("orders_below_target", date(2026, 3, 9), "again", at=NOW - timedelta(hours=1)),
            event("orders_below_target", date(2026, 2, 2), "before the chart"),
            event("orders_below_target", None, "no period"),  # type: ignore[arg-type]
        ],
        rules, "week", points,
    )  # fmt: skip
    assert trace is not None and trace["x"] == ["2026-03-09"] and trace["y"] == [7.0]
    assert "first" in trace["customdata"][0] and "again" in trace["customdata"][0]
    assert (
        marker_trace([event("orders_below_target", date(2026, 2, 2))], rules, "week", points)
        is None
    )


def test_marks_data_holds_the_plotted_values_top_of_lines_or_of_the_stack() -> None:
    frame = pd.DataFrame(
        {
            "period": [date(2026, 3, 2)] * 2 + [date(2026, 3, 9)] * 2,
            "platform": ["ios", "web"] * 2,
            "orders": [3.0, 5.0, 6.0, None],
            "is_partial": [False] * 4,
        }
    )
    assert marks_data(frame, "orders", "week", "platform")["points"] == [
        ["2026-03-02", 5.0], ["2026-03-09", 6.0]
    ]  # fmt: skip
    stacked = marks_data(frame, "orders", "week", "platform", stacked=True)
    assert stacked["points"] == [["2026-03-02", 8.0], ["2026-03-09", 6.0]]
    assert read_points(stacked) == (
        "orders",
        "week",
        {date(2026, 3, 2): 8.0, date(2026, 3, 9): 6.0},
    )


@pytest.mark.parametrize(
    "junk",
    [None, 7, "x", {"metric": "orders"}, {"metric": "orders", "grain": "fortnight", "points": []},
     {"metric": "orders", "grain": "week", "points": [["2026-13-01", 1]]},
     {"metric": "orders", "grain": "week", "points": [["2026-03-02", True]]},
     {"metric": "orders", "grain": "week", "points": [["2026-03-02", 1]] * 5000}],
)  # fmt: skip
def test_a_store_this_module_did_not_write_is_ignored(junk: object) -> None:
    assert read_points(junk) is None


# -- on the pages ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    register_page_callbacks()
    folder = tmp_path_factory.mktemp("marks")
    dash_app = create_dash(
        Settings(
            metrics=SPEC,
            serving_dir=build_shop(folder / "shop"),
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{folder / 'absent' / 'app.db'}",
        )
    )
    dash_app.server.extensions[app_state.CLOCK] = lambda: NOW
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions["northstar"].close()


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_rules, "load_rules", lambda metrics, spec, sources=None: RULES)


@pytest.fixture
def db(app, app_db_url: str) -> Iterator[AppDb]:  # type: ignore[no-untyped-def]
    database = AppDb(app_db_url)
    database.upgrade()
    app.server.extensions[app_state.EXTENSION] = app_state._Lazy(db=database)
    yield database
    app.server.extensions.pop(app_state.EXTENSION, None)
    database.close()


def answers_of(app, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    path, _, query = path.partition("?")
    fetch = flask_fetch(app.server.test_client())
    found = {a.what: a.text for a in render(fetch, path, f"?{query}" if query else "")}
    assert all(json.loads(t) is not None for w, t in found.items() if w.endswith(".figure"))
    return found


def appended(text: str) -> list[dict]:
    """The traces a marker answer appends to its figure (a Patch)."""
    (figure,) = (props["figure"] for props in json.loads(text)["response"].values())
    return [op["params"]["value"] for op in figure["operations"] if op["operation"] == "Append"]


def test_explorer_marks_the_week_a_rule_fired_at_the_weeks_own_count(
    app, db: AppDb, rules: None
) -> None:  # type: ignore[no-untyped-def]
    before = answers_of(app, WEEK11)
    assert appended(before["explorer-figure.figure"]) == []  # no events yet: nothing
    with db.session() as s:
        record_event(
            s, rule="orders_below_target", series="", event="firing", at=NOW, value=7.0,
            period=date(2020, 3, 9), detail="7 paid orders against a target of 10",
        )  # fmt: skip
        record_event(s, rule="orders_below_target", series="", event="resolved", at=NOW,
                     period=date(2020, 3, 2))  # fmt: skip
        record_event(s, rule="revenue_drop", series="platform=ios", event="firing", at=NOW,
                     period=date(2020, 3, 3))  # another metric's rule: not on this chart  # fmt: skip
    after = answers_of(app, WEEK11)
    (trace,) = appended(after["explorer-figure.figure"])
    # ISO week 11 of 2020 holds 7 paid orders (tests/browser/fixture_shop.py, worked by hand)
    assert (trace["x"], trace["y"]) == (["2020-03-09"], [7.0])
    assert "orders_below_target" in trace["customdata"][0]
    assert "7 paid orders against a target of 10" in trace["customdata"][0]
    # the chart itself, numbers and all, is the same answer as before the alert fired
    assert after["explorer-body.children"] == before["explorer-body.children"]


def test_overview_marks_the_north_stars_week_at_its_count(app, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        record_event(s, rule="orders_below_target", series="", event="firing", at=NOW,
                     period=date(2026, 3, 9), detail="below target")  # fmt: skip
    (trace,) = appended(answers_of(app, "/")["overview-trend.figure"])
    orders = shop_tables()["raw.orders"]
    paid = orders[orders["status"] == "paid"]
    local_day = (paid["ordered_at"] + pd.Timedelta(hours=8)).dt.date  # Asia/Shanghai, no DST
    in_week = local_day.between(date(2026, 3, 9), date(2026, 3, 15))
    assert (trace["x"], trace["y"]) == (["2026-03-09"], [float(in_week.sum())])


def test_no_app_database_means_no_markers_and_no_file(app, rules: None) -> None:  # type: ignore[no-untyped-def]
    app.server.extensions.pop(app_state.EXTENSION, None)
    found = answers_of(app, WEEK11)
    assert appended(found["explorer-figure.figure"]) == []
    assert appended(answers_of(app, "/")["overview-trend.figure"]) == []
    settings = app.server.extensions["northstar"].settings
    assert not Path(settings.app_db.removeprefix("sqlite:///")).exists()
    assert app_state.EXTENSION not in app.server.extensions  # nothing was opened
