"""Frozen numbers are history: after a re-ingest that changes the reviewed week's rows (orders
refunded after the meeting, late orders landing in the week before), the review still shows what
the meeting saw, and compare_frozen / `northstar review show` put today's numbers beside them.

The whole pipeline runs for real: the fixture shop as Parquet files, `northstar ingest` (files
connector, rollups refreshed in place, a snapshot published), `northstar review start`, a change
in the source files, `northstar ingest` again."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from browser.fixture_shop import AS_OF, SPEC, shop_tables
from review_support import W11, in_week, paid_orders, week_figures
from typer.testing import CliRunner

from app import build_cli
from appdb import AppDb
from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from reviews import IsoWeek, compare_frozen, get_review
from warehouse import SnapshotStore

SOURCES = """\
sources:
  - name: shop
    kind: files
    path: source
    schedule: {every: 1h}
    tables:
      - {name: customers, glob: "customers.parquet", primary_key: [customer_id]}
      - {name: orders, glob: "orders*.parquet", primary_key: [order_id]}
      - {name: sessions, glob: "sessions.parquet", primary_key: [session_id]}
"""


@pytest.fixture
def project(tmp_path: Path) -> dict[str, str]:
    source = tmp_path / "source"
    source.mkdir()
    for table, frame in shop_tables().items():
        frame.to_parquet(source / f"{table.split('.')[1]}.parquet", index=False)
    (tmp_path / "sources.yml").write_text(SOURCES)
    spec = SPEC.read_text()
    for table in ("customers", "orders", "sessions"):
        spec = spec.replace(f"table: raw.{table}", f"table: raw.shop__{table}")
    (tmp_path / "metrics.yml").write_text(spec)
    return {
        "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"),
        "NORTHSTAR_SOURCES": str(tmp_path / "sources.yml"),
        "NORTHSTAR_METRICS": str(tmp_path / "metrics.yml"),
        "NORTHSTAR_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "NORTHSTAR_SERVING_DIR": str(tmp_path / "serving"),
        "NORTHSTAR_APP_DB": f"sqlite:///{tmp_path / 'app.db'}",
        "NORTHSTAR_AS_OF": AS_OF.isoformat(),
        "COLUMNS": "80",  # a narrow terminal: piped output must still not wrap
    }


def northstar(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(build_cli(), list(args), env=env)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def corrected(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """After the meeting: three of the week's paid orders refunded, two late orders for the week
    before (its Wednesday, 10:00 in Shanghai)."""
    orders = tables["raw.orders"].copy()
    week_ids = in_week(paid_orders(tables), W11)["order_id"].head(3)
    orders.loc[orders["order_id"].isin(week_ids), "status"] = "refunded"
    late_day = datetime(W11.year, W11.month, W11.day, 2) - timedelta(days=5)
    late = pd.DataFrame(
        {
            "order_id": [99001, 99002],
            "ordered_at": [late_day, late_day],
            "customer_id": [1, 2],
            "platform": ["web", "ios"],
            "amount": [30.0, 40.0],
            "status": ["paid", "paid"],
        }
    )
    return {**tables, "raw.orders": pd.concat([orders, late], ignore_index=True)}


def test_a_reingest_that_changes_the_week_does_not_rewrite_the_review(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    northstar(project, "ingest")
    started = northstar(project, "review", "start", "--as", "ana")
    assert "started the review of 2026-W11 (9–15 Mar 2026)" in started
    before = week_figures(shop_tables(), W11)
    before_prev = week_figures(shop_tables(), W11 - timedelta(weeks=1))

    fixed = corrected(shop_tables())
    fixed["raw.orders"].to_parquet(tmp_path / "source" / "orders.parquet", index=False)
    northstar(project, "ingest")
    after = week_figures(fixed, W11)
    after_prev = week_figures(fixed, W11 - timedelta(weeks=1))
    assert (after["orders"], after_prev["orders"]) == (
        before["orders"] - 3,
        before_prev["orders"] + 2,
    )

    db = AppDb(project["NORTHSTAR_APP_DB"])
    record = get_review(db, IsoWeek.parse("2026-W11"))
    nsm = record.slide("nsm").numbers
    assert (nsm["value"], nsm["previous"]) == (before["orders"], before_prev["orders"])
    assert record.slide("driver:buyers").numbers["value"] == before["buyers"]

    store = SnapshotStore(Path(project["NORTHSTAR_SERVING_DIR"]))
    version = store.current()[0]
    assert version != record.snapshot  # a newer snapshot is served
    with store.open_snapshot(version) as wh:
        spec = load_spec(Path(project["NORTHSTAR_METRICS"]), wh.table_columns())
        differences = compare_frozen(record, MetricService(wh, spec, snapshot=version, as_of=AS_OF))
    found = {(d.slide, d.key): (d.frozen, d.now) for d in differences}
    assert found[("nsm", "value")] == (before["orders"], after["orders"])
    assert found[("nsm", "previous")] == (before_prev["orders"], after_prev["orders"])
    assert found[("why", "after")] == (before["orders"], after["orders"])
    assert found[("why", "before")] == (before_prev["orders"], after_prev["orders"])
    assert ("nsm", "last_year") not in found and ("nsm", "target") not in found

    shown = northstar(project, "review", "show")
    line = next(t for t in shown.splitlines() if "North Star · Orders" in t and " value " in t)
    cells = [c.strip() for c in line.strip("│ ").split("│")]
    assert cells == [
        "North Star · Orders",
        "value",
        f"{before['orders']:.0f}",
        f"{after['orders']:.0f}",
    ]
    assert "number(s) differ from today's data" in shown
    db.close()
