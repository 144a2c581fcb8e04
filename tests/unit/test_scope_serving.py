"""The web side's seam for row-level scope: a request's scope (installed by sign-in through
set_scope_provider) reaches every number the pages give out — the Explorer's CSV and PNG
exports, its filter pickers, summaries computed in worker threads — and every cache (results,
rendered views) keeps scopes apart. Numbers are checked against the fixture shop's rows filtered
by hand (as of 2026-03-18)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from flask import request
from page_client import join_warm_ups, register_page_callbacks

from dashboard import ids
from dashboard.serving import (
    EXTENSION,
    NoRequestScopeError,
    current_scope,
    serving,
    set_scope_provider,
)
from dashboard.views import ExplorerView
from metric_layer.query import MetricQuery
from metric_layer.scope import Scope, ScopeError
from settings import Settings
from tests.browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables

SCOPES = {
    "": None,
    "south": Scope.of({"region": ["south"]}),
    "ios": Scope.of({"platform": ["ios"]}),
}
HEADER = "X-Test-Scope"  # the test's stand-in for a signed-in user's session
START, END = date(2025, 10, 1), date(2026, 2, 28)
HREF = f"/metric/orders?grain=month&range=custom&start={START}&end={END}&compare=none&by=region"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    register_page_callbacks()
    served = build_shop(tmp_path_factory.mktemp("shop"))
    dash_app = create_dash(
        Settings(metrics=SPEC, serving_dir=served, as_of=AS_OF.isoformat(), cache="simple")
    )
    set_scope_provider(dash_app.server, lambda: SCOPES[request.headers.get(HEADER, "")])
    dash_app.server.test_client().get("/")  # registers the pages
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions[EXTENSION].close()


def as_user(app, scope: str):  # type: ignore[no-untyped-def]
    return app.server.test_request_context("/", headers={HEADER: scope} if scope else {})


@pytest.fixture(scope="module")
def paid() -> pd.DataFrame:
    """Paid orders with their customer's region and their Shanghai month, by hand."""
    tables = shop_tables()
    orders = tables["raw.orders"].merge(
        tables["raw.customers"][["customer_id", "region"]], on="customer_id", how="left"
    )
    orders = orders[orders["status"] == "paid"].copy()
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    orders = orders[(day >= START) & (day <= END)]
    orders["period"] = day.map(lambda d: d.replace(day=1).isoformat())
    return orders


def monthly_by_region(rows: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {k: int(v) for k, v in rows.groupby(["period", "region"]).size().items()}


def test_csv_export_holds_only_the_scopes_rows(app, paid) -> None:  # type: ignore[no-untyped-def]
    from dashboard.pages.explorer import export_csv

    def exported(scope: str) -> pd.DataFrame:
        with as_user(app, scope):
            download, message = export_csv.__wrapped__(1, HREF)
        assert message is None, message
        return pd.read_csv(io.StringIO(download["content"]))

    everyone = exported("")  # computed and cached first: the South must not be handed it
    south = exported("south")
    assert set(everyone["region"]) == {"north", "south"}
    assert set(south["region"]) == {"south"}
    got = {(r.period, r.region): r.orders for r in south.itertuples() if r.orders}
    assert got == monthly_by_region(paid[paid["region"] == "south"])
    got = {(r.period, r.region): r.orders for r in exported("").itertuples() if r.orders}
    assert got == monthly_by_region(paid)  # and the South's answer is not everyone's


def test_png_export_draws_only_the_scopes_rows(app, paid, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dashboard.pages import explorer

    drawn = []
    monkeypatch.setattr(explorer, "figure_png", lambda fig, **_: drawn.append(fig) or b"png")
    with as_user(app, "south"):
        download, message = explorer.export_png.__wrapped__(1, HREF)
    assert message is None and download["filename"] == "orders_month.png"
    traces = drawn[0].data
    assert {t.name for t in traces} == {"south"}
    got = {
        (pd.Timestamp(x).date().isoformat(), "south"): int(y)
        for x, y in zip(traces[0].x, traces[0].y, strict=True)
        if y
    }
    assert got == monthly_by_region(paid[paid["region"] == "south"])


def test_filter_pickers_offer_only_the_scopes_values(app, paid) -> None:  # type: ignore[no-untyped-def]
    from dashboard.explorer_data import dimension_values
    from dashboard.explorer_filters import FilterName, text_choices

    view = ExplorerView("orders", grain="month", range="custom", start=START, end=END)
    with as_user(app, ""):
        assert dimension_values(serving(), view, "region") == ["north", "south"]
    with as_user(app, "south"):
        assert dimension_values(serving(), view, "region") == ["south"]
    with as_user(app, "ios"):
        assert dimension_values(serving(), view, "platform") == ["ios"]
        # A text column's values: those of the scope's rows in the whole table.
        orders = shop_tables()["raw.orders"]
        want = sorted(orders[orders["platform"] == "ios"]["status"].unique())
        assert text_choices(serving(), view, FilterName("status", "text", False)) == (want, False)


def test_summaries_in_worker_threads_keep_the_requests_scope(app, paid) -> None:  # type: ignore[no-untyped-def]
    """The Tree and Overview compute summaries in a thread pool, which has no request: the
    request's scoped serving is handed to them."""
    from dashboard.summaries import summarise_many

    with as_user(app, "south"):
        (summary,) = summarise_many(serving(), [("orders", "month", None, False)])
    south = paid[paid["region"] == "south"].groupby("period").size()
    frame = summary.frame.assign(period=summary.frame["period"].map(date.isoformat))
    for row in frame.itertuples():
        if row.period in south.index:
            assert row.orders == south[row.period]


def test_rendered_views_are_cached_per_scope(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dashboard.pages import explorer

    renders: list[str] = []
    real = explorer.explore

    def counted(srv, view):  # type: ignore[no-untyped-def]
        renders.append(str(getattr(srv, "scope", None)))
        return real(srv, view)

    monkeypatch.setattr(explorer, "explore", counted)
    body = {
        "output": f"{ids.EXPLORER_BODY}.children",
        "outputs": {"id": ids.EXPLORER_BODY, "property": "children"},
        "inputs": [{"id": ids.EXPLORER_VIEW, "property": "data", "value": HREF + "&top=9"}],
        "changedPropIds": [f"{ids.EXPLORER_VIEW}.data"],
        "state": [],
    }
    client = app.server.test_client()

    def render(scope: str) -> str:
        answer = client.post(
            "/_dash-update-component", json=body, headers={HEADER: scope} if scope else {}
        )
        assert answer.status_code == 200
        return json.dumps(answer.get_json())

    everyone = render("")
    south = render("south")
    assert '"north"' in everyone and '"north"' not in south
    assert render("south") == south and render("") == everyone  # each from its own entry
    assert renders == ["None", "region: south"]


def test_result_cache_and_keys_carry_the_scope(app) -> None:  # type: ignore[no-untyped-def]
    query = MetricQuery(("orders",), "month", START, END, ("region",))
    with as_user(app, ""):
        whole = serving().frame(query).frame
        key = serving().snapshot().key()
    with as_user(app, "south"):
        south = serving().frame(query).frame
        scoped_key = serving().snapshot().key()
    assert set(whole["region"]) == {"north", "south"} and set(south["region"]) == {"south"}
    assert scoped_key != key and scoped_key.startswith(key)


def test_the_scope_hook(app) -> None:  # type: ignore[no-untyped-def]
    base = app.server.extensions[EXTENSION]
    with as_user(app, "south"):
        assert current_scope() == SCOPES["south"]
        assert serving().snapshot().scope == SCOPES["south"]
        # Listing: a scope that hides a metric hides it from every page's spec.
    with as_user(app, "ios"):
        assert "d1_retention" not in serving().snapshot().spec.metric_names
    with as_user(app, ""):
        assert current_scope() is None and serving() is base
        assert "d1_retention" in serving().snapshot().spec.metric_names
    with app.server.app_context():  # a thread or job without a request: whose data is it?
        with pytest.raises(NoRequestScopeError, match="service_for"):
            serving()
        assert base.service_for(SCOPES["south"]).scope == SCOPES["south"]
        assert base.service_for(None) is base.snapshot().service


def test_a_hidden_north_star_is_said_to_be_outside_the_scope(medium_warehouse) -> None:  # type: ignore[no-untyped-def]
    """The Overview and Tree say the North Star Metric is outside the user's scope, rather than
    that metrics.yml defines none (the scoped spec they list from has no north_star)."""
    from dashboard.components.states import failure_state
    from dashboard.snapshot import Snapshot
    from metric_layer.loader import parse_spec
    from metric_layer.semantics import Semantics
    from tests.conftest import make_service
    from tests.unit.test_scope import extended_text

    text = extended_text().split("north_star:")[0] + "north_star: {metric: visits, grain: week}\n"
    spec = parse_spec(text, "metrics.yml", medium_warehouse.table_columns())
    snap = Snapshot("v1", make_service(medium_warehouse, spec), Semantics(spec), "live", {})
    snap.check_north_star_shown()  # unscoped: shown
    south = snap.scoped(SCOPES["south"])
    assert south.spec.north_star is None and south.key() != snap.key()
    with pytest.raises(ScopeError, match="`visits` is outside your scope") as caught:
        south.check_north_star_shown()
    assert "Outside your scope" in str(failure_state(caught.value))
