"""`northstar explain` as a user runs it: numbers by hand, same answer as the service, clear errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.explain import explain
from analysis.ranges import DayRange
from analysis.report import segment_records
from app import build_cli
from tests.conftest import SPEC_PATH, small_frames
from warehouse import SnapshotStore, Warehouse

runner = CliRunner()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The small shop published as a snapshot, as of Thursday 2026-01-08."""
    folder = tmp_path_factory.mktemp("explain")
    file = folder / "warehouse.duckdb"
    customers, orders, sessions = small_frames()
    with Warehouse(file) as wh:
        wh.replace_table("raw.customers", customers)
        wh.replace_table("raw.orders", orders)
        wh.replace_table("raw.sessions", sessions)
        wh.checkpoint()
    SnapshotStore(folder / "serving").publish(file)
    return {
        "NORTHSTAR_SETTINGS": str(folder / "none.toml"),
        "NORTHSTAR_METRICS": str(SPEC_PATH),
        "NORTHSTAR_SERVING_DIR": str(folder / "serving"),
        "NORTHSTAR_WAREHOUSE": str(folder / "absent.duckdb"),
        "NORTHSTAR_AS_OF": "2026-01-08",
    }


def run(args, env):
    return runner.invoke(build_cli(), ["explain", *args], env=env)


def test_json_numbers_by_hand(env):
    # previous week o05 80 android, o06 200 web, o07 30 ios, o09 100 (none), o10 45 android,
    # o11 60 ios → 515; this week o12 40 android, o14 150 web, o16 25 ios → 215
    result = run(
        [
            "revenue",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-11",
            "--by",
            "platform",
            "--format",
            "json",
        ],
        env,
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["before"], payload["after"], payload["change"]) == (515.0, 215.0, -300.0)
    assert payload["baseline"] == "2025-12-29..2026-01-04" and payload["partial"] is True
    # android 125 → 40 (−85), web 200 → 150 (−50), ios 90 → 25 (−65), (none) 100 → 0 (−100).
    # Had each moved like the whole (−58.3 %): −72.8, −116.5, −52.4, −58.3. Only (none) explains
    # ≥ 25 % of the change (−100 of −300) and differs from its share by ≥ 10 % of it (41.7 of 300).
    (top,) = payload["segments"]
    assert (top["segment"], top["before"], top["after"], top["contribution"]) == (
        "platform=(none)",
        100.0,
        0.0,
        -100.0,
    )
    assert top["share_of_change"] == pytest.approx(1 / 3)
    assert (
        top["explanation"]
        == "platform=(none): -¥100.00 of -¥300.00, difference; it fell from ¥100.00 to ¥0.00"
    )


def test_cli_and_service_give_the_same_explanation(env, small_spec, small_warehouse):
    from metric_layer.service import MetricService

    args = ["orders", "--from", "2026-01-03", "--to", "2026-01-07", "--vs-from", "2025-12-29"]
    result = run(
        [*args, "--vs-to", "2026-01-02", "--by", "platform", "--by", "size", "--format", "json"],
        env,
    )
    assert result.exit_code == 0, result.output
    service = MetricService(small_warehouse, small_spec, as_of=date(2026, 1, 8))
    direct = explain(
        service,
        "orders",
        DayRange(date(2026, 1, 3), date(2026, 1, 7)),
        DayRange(date(2025, 12, 29), date(2026, 1, 2)),
        dimensions=["platform", "size"],
    )
    got = json.loads(result.stdout)
    assert [s["segment"] for s in got["segments"]] == [
        s["segment"] for s in segment_records(direct)
    ]
    assert got["change"] == direct.comparison.change
    assert [d["contribution"] for d in got["drivers"]] == pytest.approx(
        [d.contribution for d in direct.drivers], nan_ok=True
    )


def _local_day(ts: pd.Series) -> pd.Series:
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return (ts + pd.Timedelta(hours=8)).dt.date  # Shanghai


def test_distinct_active_and_ratio_over_custom_days_by_hand(env):
    """Not whole periods, not sums of days: each range counted distinct over its own days."""
    _, orders, sessions = small_frames()
    paid = orders[orders["status"] == "paid"].assign(day=lambda f: _local_day(f["ordered_at"]))
    sessions = sessions.assign(day=_local_day(sessions["started_at"]))
    now, then = (date(2026, 1, 3), date(2026, 1, 7)), (date(2025, 12, 29), date(2026, 1, 2))

    def within(frame, days):
        return frame[(frame["day"] >= days[0]) & (frame["day"] <= days[1])]

    def buyers(days):
        return within(paid, days)["customer_id"].nunique()

    def visitors(days):
        return within(sessions, days)["customer_id"].nunique()

    def wau(days):  # the 7 days ending on the range's last day
        return within(sessions, (days[1] - timedelta(days=6), days[1]))["customer_id"].nunique()

    want = {
        "buyers": (buyers(then), buyers(now)),  # c2, c3, c4 → c99, c4, c1, c5
        "conversion": (buyers(then) / visitors(then), buyers(now) / visitors(now)),
        "wau": (wau(then), wau(now)),
    }
    assert want["buyers"] == (3, 4)
    for metric, (before, after) in want.items():
        args = [metric, "--from", "2026-01-03", "--to", "2026-01-07", "--vs-from", "2025-12-29"]
        result = run([*args, "--vs-to", "2026-01-02", "--by", "platform", "--format", "json"], env)
        assert result.exit_code == 0, result.output
        payload = json.loads(result.stdout)
        assert (payload["before"], payload["after"]) == pytest.approx((before, after)), metric


def test_plain_table_when_piped(env):
    result = run(["revenue", "--from", "2026-01-05", "--to", "2026-01-11", "--by", "platform"], env)
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output  # no colour codes in a pipe
    assert (
        "revenue: 2026-01-05..2026-01-11 vs 2025-12-29..2026-01-04: ¥515.00 → ¥215.00 (-¥300.00, -58.3%)"
        in result.stdout
    )


def test_csv_has_sections(env):
    result = run(
        [
            "orders",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-11",
            "--by",
            "platform",
            "--format",
            "csv",
        ],
        env,
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("section,metric,current,baseline,before,after,change")
    assert lines[1].startswith(
        "summary,orders,2026-01-05..2026-01-11,2025-12-29..2026-01-04,6.0,3.0,-3.0"
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    buyers = next(r for r in rows if r["section"] == "driver" and r["metric"] == "buyers")
    assert (buyers["parent"], buyers["before"], buyers["after"], buyers["method"]) == (
        "orders",
        "4.0",
        "3.0",
        "lmdi",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["orders", "--from", "2026-13-01", "--to", "2026-01-11"],
            "--from must be a date like 2026-01-31",
        ),
        (
            ["orders", "--from", "2026-01-11", "--to", "2026-01-05"],
            "ends (2026-01-05) before it starts",
        ),
        (
            ["orders", "--from", "2026-01-05", "--to", "2026-01-11", "--compare", "lastweek"],
            "--compare must be",
        ),
        (
            ["orders", "--from", "2026-01-05", "--to", "2026-01-11", "--vs-from", "2026-01-01"],
            "go together",
        ),
        (["orderz", "--from", "2026-01-05", "--to", "2026-01-11"], "unknown metric `orderz`"),
        (
            ["orders", "--from", "2026-01-05", "--to", "2026-01-11", "--by", "colour"],
            "cannot be broken down",
        ),
        (
            ["orders", "--from", "2026-01-05", "--to", "2026-01-11", "--format", "xml"],
            "--format must be",
        ),
    ],
)
def test_clear_errors(env, args, message):
    result = run(args, env)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_leadlag_json_and_errors(env):
    args = ["leadlag", "orders", "--candidate", "revenue", "--grain", "day", "--from", "2025-12-01"]
    result = runner.invoke(build_cli(), [*args, "--to", "2026-01-07", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["candidate"] == "revenue" and set(row["by_lag"]) == {str(k) for k in range(-8, 9)}
    assert row["lag"] == 0 and row["r"] > 0.5  # orders and revenue move together by day
    bad = runner.invoke(
        build_cli(), ["leadlag", "orders", "--candidate", "revenue", "--grain", "year"], env=env
    )
    assert bad.exit_code == 2 and "--grain must be day, week or month" in bad.output


@pytest.mark.parametrize(
    ("where", "before", "after"),
    [
        # previous week over 50 and not web: o05 80 android, o11 60 ios (o09's NULL platform is
        # not "not web" in SQL, which the user wrote) → 140; this week o14 150 is web → 0
        (["--where", "amount > 50 AND platform != 'web'"], 140.0, 0.0),
        # a column typed as a filter, and a dimension filter: `platform!=web` keeps the rows
        # without a platform (o09 100) → 240
        (["--where", "amount>50", "--where", "platform!=web"], 240.0, 0.0),
        (["--where", "amount>50"], 440.0, 150.0),  # o05 80, o06 200, o09 100, o11 60; o14 150
    ],
)
def test_sql_where_by_hand(env, where, before, after):
    args = ["revenue", "--from", "2026-01-05", "--to", "2026-01-11", "--format", "json"]
    result = run([*args, *where], env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["before"], payload["after"]) == (before, after)
    assert not any("left out" in n for n in payload["notes"]), payload["notes"]
