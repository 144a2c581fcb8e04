"""The web app, the alert check and the weekly report with engine = postgres: the fixture shop
(tests/browser/fixture_shop.py) loaded into a DuckDB file and published into a PostgreSQL database
of this module's own (its sessions in New York, the spec's days in Shanghai) by the real publisher;
pages are loaded through the Flask test client as the browser would (tests/page_client.py).
Numbers are worked out with pandas from the shop's rows, never from the code under test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from page_client import callback, flask_fetch, join_warm_ups, register_page_callbacks, render
from typer.testing import CliRunner

from app import build_cli
from dashboard.serving import EXTENSION
from settings import Settings
from tests.browser.fixture_shop import AS_OF, SPEC, handmade_orders, shop_tables
from tests.engine_shops import postgres_database
from tests.pg_publish_support import fresh_database
from tests.report_support import W11, week_numbers
from warehouse import Warehouse, WarehouseError
from warehouse.ingest_meta import ensure_meta
from warehouse.pg_publish import PostgresPublisher

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("engine_serving")]
START, END = date(2025, 10, 1), date(2026, 2, 28)
BY_REGION = f"?grain=month&range=custom&start={START}&end={END}&compare=none&by=region"
HANDMADE_WEEKS = "?grain=week&range=custom&start=2020-03-02&end=2020-03-15&compare=none"
LOADED = datetime(2026, 3, 18, 1, 30, tzinfo=UTC)  # the shop's one load, in meta.loads
ALERTS_YML = """\
alerts:
  rules:
    - name: orders_under_100
      metric: orders
      grain: week
      condition: {below: 100}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(folder with metrics.yml, alerts.yml and the DuckDB file; the database's URL)."""
    folder = tmp_path_factory.mktemp("pg_serving")
    shutil.copy(SPEC, folder / "metrics.yml")
    (folder / "alerts.yml").write_text(ALERTS_YML)
    with fresh_database() as url:
        url = f"{url}?options={quote('-c TimeZone=America/New_York')}"
        with Warehouse(folder / "warehouse.duckdb") as wh:
            ensure_meta(wh)
            for table, frame in shop_tables().items():
                wh.replace_table(table, frame)
            wh.execute(
                "INSERT INTO meta.loads VALUES ('r1', 'shop', 'orders', ?, ?, 900, 1, 'ok', NULL)",
                [LOADED, LOADED],
            )
            publish(url, wh, folder)
        yield folder, url


def publish(url: str, wh: Warehouse, folder: Path) -> str:
    publisher = PostgresPublisher(url)
    try:
        return publisher.publish(wh, spec_text=(folder / "metrics.yml").read_text()).version
    finally:
        publisher.close()


def settings_of(folder: Path, url: str) -> Settings:
    return Settings(
        metrics=folder / "metrics.yml",
        warehouse=folder / "warehouse.duckdb",
        serving_dir=folder / "no-snapshots-here",  # nothing is read from DuckDB snapshots
        engine="postgres",
        engine_url=url,
        as_of=AS_OF.isoformat(),
        cache="simple",
        app_db=f"sqlite:///{folder / 'app.db'}",
    )


@pytest.fixture(scope="module")
def app(project):  # type: ignore[no-untyped-def]
    from dashboard.server import create_dash

    register_page_callbacks()
    dash_app = create_dash(settings_of(*project))
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions[EXTENSION].close()


def traces(app, path: str, search: str) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """The Explorer figure's series: name → {period: value}."""
    answers = render(flask_fetch(app.server.test_client()), path, search)
    assert all(a.status == 200 for a in answers), [(a.what, a.text[:300]) for a in answers]
    (body,) = [a for a in answers if a.what == "explorer-body.children"]
    found: dict[str, dict[str, float]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "scatter" and "x" in node:
                found[node.get("name", "")] = dict(zip(node["x"], node["y"], strict=True))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(body.text))
    return found


def paid_by_month_and_region() -> dict[str, dict[str, int]]:
    """Paid orders by their customer's region and their Shanghai month (UTC+8), by hand."""
    tables = shop_tables()
    orders = tables["raw.orders"].merge(tables["raw.customers"], on="customer_id", how="left")
    orders = orders[orders["status"] == "paid"]
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    orders = orders[(day >= START) & (day <= END)].assign(
        month=day.map(lambda d: d.replace(day=1).isoformat())
    )
    out: dict[str, dict[str, int]] = {}
    for (month, region), n in orders.groupby(["month", "region"]).size().items():
        out.setdefault(region, {})[month] = int(n)
    return out


def test_the_explorer_serves_postgres_numbers_equal_to_pandas(app) -> None:  # type: ignore[no-untyped-def]
    got = traces(app, "/metric/orders", BY_REGION)
    expected = paid_by_month_and_region()
    assert set(got) == set(expected) == {"north", "south"}
    for region, months in expected.items():
        assert {m: v for m, v in got[region].items() if v} == months, region
    # the handmade weeks (fixture_shop): ¥200.00 in W10 and ¥150.00 in W11, by hand
    revenue = traces(app, "/metric/revenue", HANDMADE_WEEKS)
    assert list(revenue.values()) == [{"2020-03-02": 200.0, "2020-03-09": 150.0}]


def test_the_home_page_and_its_badge_read_the_published_version(app) -> None:  # type: ignore[no-untyped-def]
    answers = render(flask_fetch(app.server.test_client()), "/")
    assert all(a.status == 200 for a in answers)
    overview = " ".join(a.readable for a in answers if a.what == "overview-body.children")
    assert "Orders" in overview and "Cannot show" not in overview, overview[:2000]
    badge = callback(flask_fetch(app.server.test_client()), "freshness-badge.children")
    version = app.server.extensions[EXTENSION].snapshot().version
    assert "data as of 18 Mar 2026 01:30" in badge.readable  # meta.loads, published with raw
    assert f"snapshot {version}" in badge.readable and "live" not in version
    banner = callback(flask_fetch(app.server.test_client()), "problems-banner.children")
    assert json.loads(banner.text)["response"]["problems-banner"]["children"] == []


def test_an_unreachable_database_keeps_the_page_and_says_so(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    serving = app.server.extensions[EXTENSION]
    served = serving.snapshot().version

    def down() -> None:
        raise WarehouseError("cannot connect to the PostgreSQL warehouse (test): server closed")

    monkeypatch.setattr(serving.store, "current", down)
    assert serving.snapshot().version == served  # the one already open goes on
    (problem,) = serving.problems()
    assert problem.title == "The warehouse cannot be reached"
    assert "server closed" in problem.lines[0]
    monkeypatch.undo()
    assert serving.problems() == []


def test_a_database_loaded_by_other_tools_is_served_as_it_is(app, project, small_data) -> None:  # type: ignore[no-untyped-def]
    """No Northstar publish there (tests/conftest.py's small shop copied in by hand): served as
    version `live`, its answers cached under a key that changes every minute."""
    from dashboard.serving import Serving

    folder, _ = project
    original = app.server.extensions[EXTENSION]
    with postgres_database(small_data) as live_url:
        settings = replace(settings_of(folder, live_url), as_of="2026-01-08")
        serving = Serving(settings, original.cache, warm=False)
        app.server.extensions[EXTENSION] = serving
        try:
            weeks = traces(
                app,
                "/metric/orders",
                "?grain=week&range=custom&start=2025-12-22&end=2026-01-04&compare=none",
            )
            snap = serving.snapshot()
        finally:
            app.server.extensions[EXTENSION] = original
            serving.close()
    # paid orders by Shanghai week (tests/sql/test_engine_cli.py works them out from the rows):
    # o04 in the week of 12-22; o05, o06, o07, o09, o10, o11 in the week of 12-29
    assert weeks == {"Orders": {"2025-12-22": 1, "2025-12-29": 6}}
    version, _spec, today, minute = snap.key().split("|")
    assert (version, today) == ("live", "2026-01-08") and minute.isdigit()


def test_ingest_on_postgres_checks_the_spec_builds_no_rollups_and_publishes_it(project) -> None:  # type: ignore[no-untyped-def]
    from cli.rollup_commands import SpecHook, rollup_hook
    from metric_layer.errors import SpecError

    folder, url = project
    said: list[str] = []
    hook = rollup_hook(settings_of(folder, url), said.append)
    assert isinstance(hook, SpecHook)
    with Warehouse(folder / "warehouse.duckdb", read_only=True) as wh:
        assert hook(wh) == (folder / "metrics.yml").read_text()  # published with the data
        assert hook.stale(wh) is False
        assert "rollup.manifest" not in wh.table_columns()
    assert said == ["rollups: daily and entity-day tables are built in postgres with the publish"]
    broken = folder / "broken.yml"
    broken.write_text((folder / "metrics.yml").read_text().replace("agg: count", "agg: cnt", 1))
    broken_hook = rollup_hook(replace(settings_of(folder, url), metrics=broken), said.append)
    with (
        Warehouse(folder / "warehouse.duckdb", read_only=True) as wh,
        pytest.raises(SpecError),  # the run then publishes nothing and says why
    ):
        broken_hook(wh)


def test_alerts_check_reads_postgres(project) -> None:  # type: ignore[no-untyped-def]
    folder, url = project
    result = CliRunner().invoke(build_cli(), ["alerts", "check"], env=cli_env(folder, url))
    assert result.exit_code == 1, result.output  # firing: fewer than 100 orders a week
    week = week_numbers(W11)["orders"]  # the last complete week as of 18 Mar, by hand
    assert "orders_under_100" in result.output and str(week) in result.output


def test_the_weekly_report_reads_postgres(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, url = project
    args = ["report", "--week", "2026-W11", "--out", str(tmp_path)]
    result = CliRunner().invoke(build_cli(), args, env=cli_env(folder, url))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report-2026-W11.html").read_text()
    assert f'id="nsm-value">{week_numbers(W11)["orders"]}<' in html


def test_a_new_publish_is_served_on_the_next_request(app, project) -> None:  # type: ignore[no-untyped-def]
    """Last in the module: it changes the shop. One more paid order in the handmade W11."""
    folder, url = project
    before = app.server.extensions[EXTENSION].snapshot().version
    assert traces(app, "/metric/orders", HANDMADE_WEEKS) == {
        "Orders": {"2020-03-02": 4, "2020-03-09": 7}
    }
    extra = handmade_orders().iloc[[0]].assign(order_id=9999, ordered_at=datetime(2020, 3, 13, 4))
    with Warehouse(folder / "warehouse.duckdb") as wh, wh.transaction() as tx:
        tx.append_table("raw.orders", extra)
    with Warehouse(folder / "warehouse.duckdb") as wh:
        version = publish(url, wh, folder)
    assert version > before
    assert traces(app, "/metric/orders", HANDMADE_WEEKS) == {
        "Orders": {"2020-03-02": 4, "2020-03-09": 8}
    }
    assert app.server.extensions[EXTENSION].snapshot().version == version


def cli_env(folder: Path, url: str) -> dict[str, str]:
    return {
        "NORTHSTAR_METRICS": str(folder / "metrics.yml"),
        "NORTHSTAR_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "NORTHSTAR_SERVING_DIR": str(folder / "no-snapshots-here"),
        "NORTHSTAR_ENGINE": "postgres",
        "NORTHSTAR_ENGINE_URL": url,
        "NORTHSTAR_AS_OF": AS_OF.isoformat(),
        "NORTHSTAR_APP_DB": f"sqlite:///{folder / 'app.db'}",
        "NORTHSTAR_SETTINGS": "/nonexistent/northstar.toml",
    }
