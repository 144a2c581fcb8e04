"""Hostile input to the pages, over the app's HTTP interface (Flask's test client on the Dash
server, a tiny fixture snapshot): URL query strings for every page and junk JSON in every page
callback's inputs and stores. No answer may be a 500 or show a traceback, and a filter in a link
either reaches the page exactly as written or is refused in place."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from page_client import join_warm_ups, register_page_callbacks

from dashboard.url_state import explorer_from_href
from dashboard.views import ExplorerView
from metric_layer.query import DimensionFilter

ROUTER = "_pages_content"
PAGES = ("/", "/tree", "/catalog", "/review", "/metric/orders", "/metric/revenue", "/metric/none")
PAGES += ("/drivers", "/alerts", "/okrs", "/reviews", "/reviews/2026-W11", "/review/record")
KEYS = ("grain", "range", "start", "end", "compare", "by", "chart", "top", "filters", "as_of")
KEYS += ("q", "slides", "interval", "name", "metric", "from", "to", "vs_from", "vs_to", "rule")
KEYS += ("quarter", "week")
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash
    from settings import Settings

    register_page_callbacks()
    serving = build_shop(tmp_path_factory.mktemp("shop"))
    app_db = f"sqlite:///{tmp_path_factory.mktemp('app-db') / 'app.db'}"  # pages that write
    app = create_dash(
        Settings(metrics=SPEC, serving_dir=serving, as_of=AS_OF.isoformat(), app_db=app_db)
    )
    test_client = app.server.test_client()
    test_client.get("/")  # registers the pages' router
    yield test_client
    join_warm_ups()  # a short run can end while the snapshot's warm-up still queries
    app.server.extensions["northstar"].close()


@pytest.fixture(scope="module")
def deps(client) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(client.get("/_dash-dependencies").get_data(as_text=True))


def _outputs(dep: dict) -> list | dict:
    out = dep["output"]
    if not out.startswith(".."):
        return _output(out)
    return [_output(p) for p in out.strip(".").split("...")]


def _output(text: str) -> list[dict] | dict:
    """One output as the browser sends it; a pattern (ALL) matches one component, as on a page."""
    cid, prop = text.rsplit(".", 1)
    if not cid.startswith("{"):
        return {"id": cid, "property": prop}
    pattern = json.loads(cid)
    matched = {k: "fuzz" if v == ["ALL"] else v for k, v in pattern.items()}
    return [{"id": matched, "property": prop}]


def post(client, dep: dict, inputs: list, state: list) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """One callback request as the browser sends it; inputs/state are payload entries."""
    body = {
        "output": dep["output"],
        "outputs": _outputs(dep),
        "inputs": inputs,
        "state": state,
        "changedPropIds": [_prop_id(i) for i in inputs if isinstance(i, dict)],
    }
    resp = client.post("/_dash-update-component", json=body)
    return resp.status_code, resp.get_data(as_text=True)


def _prop_id(item: dict) -> str:
    cid = item["id"]
    if isinstance(cid, dict):
        cid = json.dumps(cid, sort_keys=True, separators=(",", ":"))
    return f"{cid}.{item['property']}"


def open_page(client, deps, path: str, search: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    router = next(d for d in deps if ROUTER in d["output"])
    entries = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    return post(client, router, entries, [])


def assert_clean(status: int, text: str) -> None:
    assert status in (200, 204), text[:500]
    assert "Traceback" not in text and "Internal Server Error" not in text
    assert "Something went wrong" not in text, text[:800]  # an unexpected exception, caught


def stored(text: str, store_id: str) -> object:
    """The data of the store `store_id` in a router answer (None when the page shows an error)."""
    return props_of(text, store_id).get("data")


def props_of(text: str, component_id: str) -> dict:
    """The props of the component `component_id` in an answer ({} when absent)."""
    found: list = [{}]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and props.get("id") == component_id:
                found.append(props)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    return found[-1]


# -- URL query strings -------------------------------------------------------------------------

junk_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="=!<>,;%&?#+ ", max_size=12),
    st.sampled_from(
        ["", "-", "0", "-1", "99999999999", "1e3", "٣", "null", "[]", "{}", "2026-02-30"]
    ),
    st.sampled_from(["day", "week", "month", "custom", "4w", "none", "stacked", "nsm,buyers"]),
    st.sampled_from(["platform!=ios", "platform=ios,web", "size>large", "channel=", "==", ";;"]),
    st.sampled_from(["0001-01-01", "1899-12-31", "2026-03-01", "3000-01-01", "2026-3-1"]),
    st.sampled_from(["2026-Q1", "2026-Q4", "2026-Q5", "2026q1", "0000-Q1", "2999-Q4"]),
    st.just("x" * 5000),
)
pairs = st.lists(st.tuples(st.sampled_from(KEYS) | st.text(max_size=6), junk_text), max_size=6)


@FUZZ
@given(path=st.sampled_from(PAGES), params=pairs)
def test_any_query_string_gives_a_page_or_an_in_page_error(client, deps, path, params) -> None:  # type: ignore[no-untyped-def]
    status, text = open_page(client, deps, path, "?" + urlencode(params))
    assert_clean(status, text)
    assert len(text) < 200_000


dims = st.sampled_from(("platform", "channel", "size"))
plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyzIOS_-. ", min_size=1, max_size=8).map(str.strip)
ops = st.sampled_from(("=", "!=", ">", ">=", "<", "<="))


@FUZZ
@given(
    parts=st.lists(
        st.tuples(dims, ops, st.lists(plain.filter(bool), min_size=1, max_size=3)),
        min_size=1,
        max_size=3,
    )
)
def test_a_filter_in_a_link_reaches_the_page_exactly(client, deps, parts) -> None:  # type: ignore[no-untyped-def]
    text = ";".join(f"{d}{op}{','.join(vs)}" for d, op, vs in parts)
    status, body = open_page(client, deps, "/metric/orders", "?" + urlencode({"filters": text}))
    assert_clean(status, body)
    href = stored(body, "explorer-view")
    comparisons = any(op not in ("=", "!=") and len(vs) > 1 for _, op, vs in parts)
    if comparisons:  # `size>a,b` has no meaning: refused, in place
        assert href is None and "cannot be shown as written" in body
        return
    # What a reader of the link means, written out by hand:
    names = {("=", False): "=", ("=", True): "in", ("!=", False): "!=", ("!=", True): "not in"}
    expected = tuple(
        DimensionFilter(d, names.get((op, len(vs) > 1), op), tuple(vs)) for d, op, vs in parts
    )
    assert isinstance(href, str)
    view = explorer_from_href(href)
    assert view.filters == expected
    # and the page's own link for the view says the same
    assert explorer_from_href(view.href()).filters == expected


# -- callback payloads -------------------------------------------------------------------------

json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
VALID_STORES = {
    "explorer-view": [
        ExplorerView("orders").href(),
        "/metric/orders?grain=month&range=custom&start=1900-01-01&end=2999-12-31&compare=none",
        "/metric/orders?grain=day&range=custom&start=2025-01-01&end=2025-01-03&by=platform",
        "/metric/revenue?grain=all&range=custom&start=2025-12-01&end=2026-02-28&by=platform"
        "&filters=amount%3E100%3Bamount%3Abetween%3D1%2C500%3Bstatus%3Anotnull",
    ],
    "overview-view": ["/?grain=week", "/?grain=month&as_of=2026-01-31"],
    "overview-why-view": ["/?grain=week", "/?grain=month&as_of=2020-03-18"],
    "tree-view": ["/tree?grain=week"],
    "tree-why-view": ["/tree?grain=week", "/tree?grain=day&as_of=2020-03-18"],
    "review-view": ["/review?interval=20", "/review?slides=alerts,nsm&interval=20"],
    "alerts-view": ["/alerts", "/alerts?rule=orders_below_target"],
    "alert-ack-target": [["orders_below_target", ""], ["x" * 500, ""]],
    "alert-silence-target": [["orders_below_target", None], ["r", "s"]],
    "explorer-alert-marks": [{"metric": "orders", "grain": "week", "points": [["2026-03-09", 7]]}],
    "okrs-view": ["/okrs", "/okrs?quarter=2026-Q1", "/okrs?quarter=2025-Q4&as_of=2026-01-10"],
    "okrs-shown": ["2026-Q1"],
    "record-view": ["2026-W11", "2026-W10"],
    "tv-record-view": ["", "2026-W11"],
    "drivers-view": [
        "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=previous",
        "/drivers?metric=buyers&from=2026-03-09&to=2026-03-15&compare=custom"
        "&vs_from=2026-03-02&vs_to=2026-03-08&as_of=2026-03-18",
        "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=previous"
        "&filters=platform%3Dweb%3Bsize!%3Dlarge",
    ],
}


def _page_callbacks(deps: list[dict]) -> list[dict]:
    return [
        d
        for d in deps
        if not d.get("clientside_function")
        and ROUTER not in d["output"]
        and "freshness" not in d["output"]
    ]


@st.composite
def payload_values(draw, item: dict, slow: bool):  # type: ignore[no-untyped-def]
    cid = item["id"]
    valid = VALID_STORES.get(cid)
    if valid and not slow and draw(st.booleans()):
        return draw(st.sampled_from(valid))
    return draw(json_junk)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_junk_in_callback_inputs_and_stores_never_breaks_a_page(client, deps, data) -> None:  # type: ignore[no-untyped-def]
    dep = data.draw(st.sampled_from(_page_callbacks(deps)))
    slow = "export-png" in json.dumps(dep["inputs"])  # a real PNG takes seconds: junk stores only

    def entry(item: dict) -> dict | list:
        if item["id"].startswith("{"):  # pattern-matching (ALL): one entry per matching component
            pattern = json.loads(item["id"])
            n = data.draw(st.integers(0, 2))
            return [
                {
                    "id": {**pattern, "index": i},
                    "property": item["property"],
                    "value": data.draw(json_junk),
                }
                for i in range(n)
            ]
        return {**item, "value": data.draw(payload_values(item, slow))}

    status, text = post(
        client, dep, [entry(i) for i in dep["inputs"]], [entry(s) for s in dep.get("state", [])]
    )
    assert_clean(status, text)


# -- the reproductions -----------------------------------------------------------------


def _dep(deps: list[dict], first_input: str) -> dict:
    return next(d for d in deps if d["inputs"] and d["inputs"][0]["id"] == first_input)


def test_a_query_parameter_does_not_replace_the_paths_metric(client, deps) -> None:  # type: ignore[no-untyped-def]
    status, text = open_page(client, deps, "/metric/orders", "?name=revenue&metric=revenue")
    assert_clean(status, text)
    assert urlsplit(stored(text, "explorer-view")).path == "/metric/orders"  # type: ignore[arg-type]


def test_the_nav_explorer_link_opens_the_north_star(client, deps) -> None:  # type: ignore[no-untyped-def]
    status, text = open_page(client, deps, "/metric", "")
    assert_clean(status, text)
    assert "404" not in text
    assert urlsplit(stored(text, "explorer-view")).path == "/metric/orders"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "search"),
    [
        ("/review", "?interval=1&interval=2"),
        ("/review", "?slides=nsm&slides=buyers"),
        ("/catalog", "?q=a&q=b"),
        ("/metric/orders", "?range=custom&start=0001-01-01&end=0001-01-10&compare=previous"),
        ("/", "?as_of=2026-13-01"),
        ("/tree", "?grain=week&grain=month"),
        ("/drivers", "?compare=sideways&compare=previous"),
        ("/drivers", "?metric=nope&from=2026-13-40&to=x"),
        ("/drivers", "?filters=" + quote("nope=ads")),  # not a dimension of the North Star
        ("/drivers", "?metric=orders&filters=" + quote("size>a,b")),
        ("/okrs", "?quarter=2026-Q5"),
        ("/okrs", "?quarter=2026-Q1&quarter=2026-Q2"),
        ("/alerts", "?rule=a&rule=b"),
        ("/alerts", "?rule=" + "r" * 201),
        ("/reviews", "?week=2026-W10&week=2026-W11"),
        ("/reviews", "?week=" + "9" * 5000),
        ("/reviews", "?week=2026-48"),
        ("/reviews/2026-W99", ""),
        ("/reviews/banana", ""),
        ("/reviews/" + "W" * 3000, ""),
        ("/reviews/2026-W11", "?week=2026-W10"),
        ("/review/record", "?week=2025-W53"),
    ],
)
def test_repeated_keys_and_impossible_days_are_in_page_errors(client, deps, path, search) -> None:  # type: ignore[no-untyped-def]
    status, text = open_page(client, deps, path, search)
    assert_clean(status, text)
    assert "cannot be shown as written" in text


def test_typing_a_minus_into_top_is_a_message_not_a_500(client, deps) -> None:  # type: ignore[no-untyped-def]
    dep = _dep(deps, "explorer-metric")
    href = ExplorerView("orders", by="platform").href()
    values = {"explorer-metric": "orders", "explorer-grain": "week", "explorer-range": "13w",
              "explorer-compare": "previous", "explorer-by": "platform", "explorer-chart": "lines",
              "explorer-top": "-", "explorer-filter-op": "is", "explorer-filter-values": [],
              "explorer-view": href, "_pages_location": "http://x" + href}  # fmt: skip
    entries = [{**i, "value": values.get(i["id"])} for i in dep["inputs"]]
    entries[7] = {**entries[7]}
    status, text = post(
        client, dep, entries, [{**s, "value": values.get(s["id"])} for s in dep["state"]]
    )
    assert_clean(status, text)
    answer = json.loads(text)["response"]
    assert "_pages_location" not in answer  # the address stays
    assert "`top` must be a whole number from 1 to 20" in json.dumps(answer)


def test_exports_answer_junk_stores_with_a_message(client, deps) -> None:  # type: ignore[no-untyped-def]
    for button in ("export-csv", "export-png"):
        dep = _dep(deps, button)
        for junk in ({"metric": "orders", "grain": ["x"]}, "/metric/orders?top=-", 7):
            status, text = post(
                client,
                dep,
                [{**dep["inputs"][0], "value": 1}],
                [{**dep["state"][0], "value": junk}],
            )
            assert_clean(status, text)
            answer = json.loads(text)["response"]
            assert "download" not in answer and "ns-error" in json.dumps(answer)


def test_a_range_too_large_for_one_answer_is_a_small_fast_message(client, deps) -> None:  # type: ignore[no-untyped-def]
    """Issue 9.2: 1000-01-01..2999-12-31 by day took 26 s and 154 MB; the bound is checked first."""
    search = "?grain=day&range=custom&start=1000-01-01&end=2999-12-31&compare=none"
    status, text = open_page(client, deps, "/metric/paid_orders".replace("paid_", ""), search)
    assert_clean(status, text)
    assert "outside 1900-01-01..2999-12-31" in text and len(text) < 20_000
    # Within the days the calendars handle but still 400,000 days: the service's bound, in place.
    body = _dep(deps, "explorer-view")
    href = "/metric/orders?grain=day&range=custom&start=1900-01-01&end=2999-12-31&compare=none"
    started = time.monotonic()
    status, text = post(client, body, [{**body["inputs"][0], "value": href}], [])
    assert_clean(status, text)
    assert time.monotonic() - started < 5
    assert "at most 10,000 fit in one answer" in text and len(text) < 20_000


def test_a_filter_value_missing_from_the_data_is_kept_and_named(client, deps) -> None:  # type: ignore[no-untyped-def]
    """`platform=IOS` used to be dropped, showing unfiltered totals with no word."""
    body = _dep(deps, "explorer-view")
    href = "/metric/orders?grain=week&range=13w&compare=previous&filters=" + quote("platform=IOS")
    status, text = post(client, body, [{**body["inputs"][0], "value": href}], [])
    assert_clean(status, text)
    assert "platform has no value 'IOS'" in text
    # no order has platform IOS: zero, not the unfiltered totals
    assert props_of(text, "explorer-value")["children"] == "0"


def test_empty_range_says_where_the_data_is(client, deps) -> None:  # type: ignore[no-untyped-def]
    body = _dep(deps, "explorer-view")
    for metric in ("orders", "avg_amount"):  # no value at all; zeros (counts fill 0)
        href = f"/metric/{metric}?grain=week&range=custom&start=2001-01-01&end=2001-02-01"
        status, text = post(client, body, [{**body["inputs"][0], "value": href}], [])
        assert_clean(status, text)
        assert "data spans " in text and "..2026-03-18" in text
    assert "No data in this range" in text


def test_as_of_in_the_address_moves_every_page_to_that_day(client, deps) -> None:  # type: ignore[no-untyped-def]
    """`?as_of=2026-02-18` (a Wednesday): the Overview's headline is the week of 9–15 Feb, counted
    here by hand from the fixture's rows, and every link on the pages keeps the day."""
    from browser.fixture_shop import shop_tables

    orders = shop_tables()["raw.orders"]
    local = orders["ordered_at"] + pd.Timedelta(hours=8)  # naive UTC → Asia/Shanghai
    week = (local >= "2026-02-09") & (local < "2026-02-16") & (orders["status"] == "paid")
    status, text = open_page(client, deps, "/", "?as_of=2026-02-18")
    assert_clean(status, text)
    store = stored(text, "overview-view")
    assert store == "/?grain=week&as_of=2026-02-18"
    overview = _dep(deps, "overview-view")
    status, text = post(client, overview, [{**overview["inputs"][0], "value": store}], [])
    assert_clean(status, text)
    assert props_of(text, "nsm-value")["children"] == f"{int(week.sum()):,}"
    assert props_of(text, "driver-buyers")["href"].endswith("as_of=2026-02-18")
    tree = _dep(deps, "tree-view")
    status, text = post(
        client, tree, [{**tree["inputs"][0], "value": "/tree?grain=week&as_of=2026-02-18"}], []
    )
    assert props_of(text, "tree-node-buyers")["href"].endswith("as_of=2026-02-18")
    assert props_of(text, "tree-value-orders")["children"] == f"{int(week.sum()):,}"
    catalog = next(d for d in deps if d["output"] == "catalog-body.children")
    status, text = post(
        client,
        catalog,
        [{**catalog["inputs"][0], "value": "orders"}],
        [{**catalog["state"][0], "value": "?as_of=2026-02-18"}],
    )
    assert_clean(status, text)
    assert 'metric\\u002forders?as_of=2026-02-18"' in text
    for path in ("/metric/orders", "/review", "/catalog", "/tree"):
        status, text = open_page(client, deps, path, "?as_of=2026-02-31")
        assert_clean(status, text)
        assert "2026-02-31 is not a day of the calendar" in text


def test_drivers_controls_write_the_address_and_junk_is_a_message(client, deps) -> None:  # type: ignore[no-untyped-def]
    dep = _dep(deps, "drivers-metric")
    store = "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=previous"

    def change(metric, dates, compare, vs_dates, data):  # type: ignore[no-untyped-def]
        values = [metric, dates, compare, vs_dates]
        entries = [{**i, "value": v} for i, v in zip(dep["inputs"], values, strict=True)]
        status, text = post(client, dep, entries, [{**dep["state"][0], "value": data}])
        assert_clean(status, text)
        return json.loads(text)["response"] if status == 200 else {}

    # Custom with no baseline picked yet: the one shown until now (the week before), kept.
    answer = change("buyers", ["2026-03-09T00:00:00", "2026-03-15"], "custom", None, store)
    assert answer["_pages_location"]["search"] == (
        "?metric=buyers&from=2026-03-09&to=2026-03-15&compare=custom"
        "&vs_from=2026-03-02&vs_to=2026-03-08"
    )
    assert change("orders", ["2026-03-09", None], "previous", None, store) == {}  # half a range
    for junk in (
        ("orders", ["2026-03-09", 5], "previous", None, store),
        ("orders", ["2026-03-15", "2026-03-09"], "previous", None, store),
        ("nope", ["2026-03-09", "2026-03-15"], "previous", None, store),
        ("orders", ["2026-03-09", "2026-03-15"], ["x"], None, store),
        ("orders", ["2026-03-09", "2026-03-15"], "previous", None, {"metric": "orders"}),
    ):
        answer = change(*junk)
        assert "_pages_location" not in answer  # the address stays
        assert "ns-error" in json.dumps(answer["drivers-message"])


def test_the_why_answers_take_junk_and_hostile_links_without_a_500(client, deps) -> None:  # type: ignore[no-untyped-def]
    """The Explorer's "Why did it move?" section, the Tree's contributions and the Overview's
    sentence each read a store: junk there is a message in place, never a 500."""
    why = _dep(deps, "explorer-why")
    for opened, store in (
        ("why", "/metric/orders?grain=week&range=custom&start=2020-03-02&end=2020-03-15"),
        ("why", "/metric/orders?grain=week&range=custom&start=2001-01-01&end=2001-02-01"),
        ("why", {"metric": "orders"}),
        (["why"], "/metric/orders"),
        (None, "/metric/orders"),
    ):
        status, text = post(
            client,
            why,
            [{**why["inputs"][0], "value": opened}],
            [{**why["state"][0], "value": store}],
        )
        assert_clean(status, text)
    tree = _dep(deps, "tree-why-view")
    for store in ("/tree?grain=quarter&as_of=2020-03-18", "/tree?grain=x", 5):
        status, text = post(client, tree, [{**tree["inputs"][0], "value": store}], [])
        assert_clean(status, text)
    overview = _dep(deps, "overview-why-view")
    for store in ("/?grain=year&as_of=1900-01-02", "/?grain=x", None):
        status, text = post(client, overview, [{**overview["inputs"][0], "value": store}], [])
        assert_clean(status, text)
