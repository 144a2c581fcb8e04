"""The demo data generator: deterministic, consistent, realistic, with visible planted incidents."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from demo.__main__ import main
from demo.generator import TABLES, generate, planted_incidents
from demo.parts import SCHEMAS
from demo.seasonality import build_calendar

END = date(2026, 6, 30)
ORDERS = 20_000
# The incidents hit one segment for 7-14 days; at 20k orders that is ~50 orders, too few for the
# checks to be robust to parameter tweaks, so incidents are checked on a 200k-order run (~2 s).
INCIDENT_ORDERS = 200_000


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo")
    generate(path, orders=ORDERS, end=END, seed=7)
    return path


@pytest.fixture(scope="module")
def tables(out) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(out / t) for t in TABLES}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> dict[str, pd.DataFrame]:
    path = tmp_path_factory.mktemp("demo_big")
    generate(path, orders=INCIDENT_ORDERS, end=END, seed=7)
    return {t: pd.read_parquet(path / t) for t in TABLES}


def _digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _local_day(ts: pd.Series) -> pd.Series:
    return (ts + pd.Timedelta(hours=8)).dt.normalize()


def _incident(name: str):
    return next(i for i in planted_incidents(END) if i.name == name)


def _windows(name: str) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(baseline start, incident start, incident end inclusive) as local-midnight timestamps."""
    inc = _incident(name)
    start = pd.Timestamp(inc.start)
    return start - pd.Timedelta(days=28), start, pd.Timestamp(inc.end)


def test_same_inputs_give_identical_bytes(out, tmp_path):
    generate(tmp_path / "again", orders=ORDERS, end=END, seed=7)
    assert _digest(out) == _digest(tmp_path / "again")
    generate(tmp_path / "other", orders=ORDERS, end=END, seed=8)
    other = pd.read_parquet(tmp_path / "other" / "orders")
    assert not other.equals(pd.read_parquet(out / "orders"))


def test_row_counts_manifest_and_schemas(out, tables):
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["orders"] == ORDERS and manifest["end"] == END.isoformat()
    assert manifest["seed"] == 7 and manifest["generator_version"] == "1"
    assert manifest["rows"] == {t: len(df) for t, df in tables.items()}
    assert abs(len(tables["orders"]) - ORDERS) <= 0.1 * ORDERS
    assert 2.5 <= len(tables["sessions"]) / len(tables["orders"]) <= 3.5
    assert len(tables["marketing_spend"]) == 730 * 4
    for table in TABLES:
        parts = sorted((out / table).glob("part-*.parquet"))
        assert parts, table
        assert pq.read_schema(parts[0]).remove_metadata() == SCHEMAS[table]
    assert len(list((out / "orders").glob("*.parquet"))) > 12  # chunked by month
    written = json.loads((out / "incidents.json").read_text())
    assert written == [i.as_json() for i in planted_incidents(END)]
    for t, key in [
        ("customers", "customer_id"),
        ("orders", "order_id"),
        ("sessions", "session_id"),
    ]:
        assert tables[t][key].is_unique


def test_referential_integrity(tables):
    c, o, r = tables["customers"], tables["orders"], tables["refunds"]
    signup = c.set_index("customer_id")["signed_up_at"]
    assert o["customer_id"].isin(signup.index).all()
    assert (o["ordered_at"] > o["customer_id"].map(signup)).all()
    for t in ("sessions", "nps_responses"):
        assert tables[t]["customer_id"].isin(signup.index).all()
    assert (tables["sessions"]["started_at"] >= tables["sessions"]["customer_id"].map(signup)).all()
    assert tables["order_items"]["order_id"].isin(o["order_id"]).all()
    joined = r.merge(o, on="order_id", suffixes=("", "_order"), validate="one_to_one")
    assert len(joined) == len(r)
    assert (joined["refunded_at"] > joined["ordered_at"]).all()
    assert (joined["amount"] <= joined["amount_order"]).all() and (joined["amount"] > 0).all()
    assert (joined["status"] == "paid").all()


def test_items_add_up_to_amount_plus_discount(tables):
    items, orders = tables["order_items"], tables["orders"]
    gross = (items["quantity"] * items["price"]).groupby(items["order_id"]).sum().round(2)
    expected = orders.set_index("order_id")["amount"] + orders.set_index("order_id")["discount"]
    assert gross.index.equals(expected.index.sort_values())
    assert np.allclose(gross, expected.loc[gross.index].round(2), atol=0.001)
    assert (orders["discount"] >= 0).all() and (orders["amount"] > 0).all()
    assert set(orders["status"]) == {"paid", "cancelled"}


def test_customer_order_number_follows_time(tables):
    o = tables["orders"].sort_values(["customer_id", "ordered_at", "order_id"])
    assert (o.groupby("customer_id").cumcount() + 1).equals(o["customer_order_number"].astype(int))
    # order ids ascend with time
    assert tables["orders"].sort_values("order_id")["ordered_at"].is_monotonic_increasing


def test_timestamps_are_naive_utc_within_history(tables):
    last = pd.Timestamp(datetime.combine(END + timedelta(days=1), datetime.min.time()))
    last_utc = last - pd.Timedelta(hours=8)  # end of the Shanghai day `end`, in UTC
    first_utc = last_utc - pd.Timedelta(days=730)
    for table, col in [
        ("customers", "signed_up_at"),
        ("sessions", "started_at"),
        ("orders", "ordered_at"),
        ("refunds", "refunded_at"),
        ("nps_responses", "answered_at"),
    ]:
        ts = tables[table][col]
        assert ts.dt.tz is None
        assert ts.min() >= first_utc and ts.max() < last_utc, table
    # Shanghai evening peak (20-22h local) is 12-14h UTC.
    assert tables["orders"]["ordered_at"].dt.hour.value_counts().idxmax() in (12, 13, 14)


def test_business_looks_realistic(tables):
    o, c = tables["orders"], tables["customers"]
    paid = o[o["status"] == "paid"]
    assert 0.93 <= len(paid) / len(o) <= 0.97
    assert 150 <= paid["amount"].mean() <= 300
    assert 0.55 <= paid["cost"].sum() / paid["amount"].sum() <= 0.70
    assert 0.04 <= len(tables["refunds"]) / len(paid) <= 0.06
    score = tables["nps_responses"]["score"]
    assert 20 <= 100 * ((score >= 9).mean() - (score <= 6).mean()) <= 40
    spend = tables["marketing_spend"].groupby("channel")["spend"].sum()
    cac = spend / c["channel"].value_counts().reindex(spend.index)
    assert "organic" not in spend.index and cac.between(20, 150).all()
    daily = o.groupby(_local_day(o["ordered_at"])).size()
    assert daily.idxmax().strftime("%m-%d") in ("11-11", "06-18")
    second_year = (c["signed_up_at"] >= pd.Timestamp(END) - pd.Timedelta(days=365)).mean()
    assert 1.35 <= second_year / (1 - second_year) <= 1.65  # sign-ups grow ~50% a year


def test_subscription_snapshots_follow_the_paying_customers(tables):
    """One row per local day and segment with live plus/pro subscribers; never more subscribers
    than customers of that plan and segment signed up by that day; MRR between the yearly and the
    monthly price of the plan (399/12 = 33.25 .. 39 plus, 999/12 = 83.25 .. 99 pro)."""
    subs, c = tables["subscriptions"], tables["customers"]
    keys = ["day", "plan", "channel", "region"]
    assert not subs.duplicated(keys).any() and (subs["subscribers"] > 0).all()
    assert set(subs["plan"]) == {"plus", "pro"}
    days = pd.to_datetime(subs["day"]).astype("datetime64[us]")
    assert days.max() == pd.Timestamp(END) and days.min() >= pd.Timestamp(END) - pd.Timedelta(
        days=729
    )
    low = subs["plan"].map({"plus": 33.25, "pro": 83.25}) * subs["subscribers"]
    high = subs["plan"].map({"plus": 39.0, "pro": 99.0}) * subs["subscribers"]
    assert (subs["mrr"] >= low - 1e-9).all() and (subs["mrr"] <= high + 1e-9).all()
    assert ((subs["mrr"] * 4).round(9) % 1 == 0).all()  # quarters of a yuan, summed exactly
    signed = c.assign(day=_local_day(c["signed_up_at"]).astype("datetime64[us]"))
    signed = signed.groupby(["day", "plan", "channel", "region"]).size()
    signed = signed.groupby(level=[1, 2, 3]).cumsum().rename("signed").reset_index()
    merged = pd.merge_asof(
        subs.assign(day=days).sort_values("day"),
        signed.sort_values("day"),
        on="day",
        by=["plan", "channel", "region"],
    )
    assert (merged["subscribers"] <= merged["signed"]).all()
    # subscribers churn: the pro base on the last day is well below every pro sign-up ever
    last = subs[days == days.max()]
    assert 0 < last[last["plan"] == "pro"]["subscribers"].sum() < (c["plan"] == "pro").sum()


def _orders_per_session(tables, segment_orders, segment_sessions, name):
    base0, start, end = _windows(name)
    o_day, s_day = (
        _local_day(tables["orders"]["ordered_at"]),
        _local_day(tables["sessions"]["started_at"]),
    )

    def rate(lo, hi):
        orders = (segment_orders & o_day.between(lo, hi)).sum()
        return orders / (segment_sessions & s_day.between(lo, hi)).sum()

    return rate(start, end) / rate(base0, start - pd.Timedelta(days=1))


def test_android_south_conversion_drop_is_visible(big):
    tables = big
    region = tables["customers"].set_index("customer_id")["region"]
    o, s = tables["orders"], tables["sessions"]
    o_south, s_south = (
        o["customer_id"].map(region) == "South",
        s["customer_id"].map(region) == "South",
    )
    o_android, s_android = o["platform"] == "android", s["platform"] == "android"
    name = "android_south_conversion_drop"
    hit = _orders_per_session(tables, o_south & o_android, s_south & s_android, name)
    assert hit < 0.5
    others = {
        "android elsewhere": (~o_south & o_android, ~s_south & s_android),
        "South on ios/web": (o_south & ~o_android, s_south & ~s_android),
        "the rest": (~o_south & ~o_android, ~s_south & ~s_android),
    }
    for label, (os_, ss_) in others.items():
        assert 0.75 <= _orders_per_session(tables, os_, ss_, name) <= 1.25, label


def test_electronics_refund_spike_is_visible(big):
    tables = big
    o, items, r = tables["orders"], tables["order_items"], tables["refunds"]
    paid = o[o["status"] == "paid"].copy()
    electronics = items.loc[items["category"] == "electronics", "order_id"].unique()
    paid["electronics"] = paid["order_id"].isin(electronics)
    paid["refunded"] = paid["order_id"].isin(r["order_id"])
    paid["day"] = _local_day(paid["ordered_at"])
    base0, start, end = _windows("electronics_refund_spike")
    in_window = paid["day"].between(start, end)
    before = paid["day"].between(base0, start - pd.Timedelta(days=1))
    rate = lambda mask: paid.loc[mask, "refunded"].mean()  # noqa: E731
    assert rate(in_window & paid["electronics"]) >= 2 * rate(before & paid["electronics"])
    assert rate(in_window & ~paid["electronics"]) <= 1.6 * rate(before & ~paid["electronics"])
    defective = r.loc[r["reason"] == "defective_batch", "order_id"]
    days = paid.set_index("order_id").loc[defective, "day"]
    assert len(days) > 0 and days.between(start, end).all()


def test_social_tracking_outage_is_visible(big):
    tables = big
    c, spend = tables["customers"], tables["marketing_spend"]
    base0, start, end = _windows("social_tracking_outage")
    day = _local_day(c["signed_up_at"])
    social = c["channel"] == "social"
    per_day = lambda mask, lo, hi, days: (mask & day.between(lo, hi)).sum() / days  # noqa: E731
    before, during = (
        per_day(social, base0, start - pd.Timedelta(days=1), 28),
        per_day(social, start, end, 7),
    )
    assert during < 0.4 * before
    everyone = per_day(c["channel"].notna(), start, end, 7) / per_day(
        c["channel"].notna(), base0, start - pd.Timedelta(days=1), 28
    )
    assert 0.8 <= everyone <= 1.25  # sign-ups still arrive, only their attribution is lost
    sd = spend[spend["channel"] == "social"].set_index("day")["spend"]
    sd.index = pd.to_datetime(sd.index)
    assert 0.7 <= sd[start:end].mean() / sd[base0 : start - pd.Timedelta(days=1)].mean() <= 1.3


@pytest.mark.parametrize("end", [date(2025, 11, 30), date(2026, 1, 5), date(2026, 7, 1), END])
def test_incidents_avoid_promotions_and_each_other(end):
    cal = build_calendar(end)
    incidents = planted_incidents(end)
    assert [i.name for i in incidents] == [
        "android_south_conversion_drop",
        "electronics_refund_spike",
        "social_tracking_outage",
    ]
    taken: set[date] = set()
    for inc in incidents:
        days = {inc.start + timedelta(days=k) for k in range((inc.end - inc.start).days + 1)}
        assert taken.isdisjoint(days)
        taken |= days
        assert (end - inc.end).days >= 20 and (end - inc.start).days <= 150
        for k in range(-28, (inc.end - inc.start).days + 1):
            assert not cal.special[cal.day_index(inc.start + timedelta(days=k))], (inc, k)


def test_cli_prints_progress(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--orders", "3000", "--end", "2026-03-31"]) == 0
    printed = capsys.readouterr().out
    for table in TABLES:
        assert table in printed
    rows = json.loads((tmp_path / "manifest.json").read_text())["rows"]
    assert rows["orders"] > 0 and (tmp_path / "incidents.json").exists()


# -- a build at a given moment ---------------------------------------------------------------------
# 19:37 UTC on 2026-06-30 is already 03:37 on 2026-07-01 in Shanghai (the spec's zone).
BUILD_MOMENT = datetime(2026, 6, 30, 19, 37, tzinfo=UTC)


@pytest.fixture(scope="module")
def built_at_moment(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    path = tmp_path_factory.mktemp("demo_moment")
    generate(path, orders=ORDERS, seed=7, until=BUILD_MOMENT)
    return path, {t: pd.read_parquet(path / t) for t in TABLES}


def test_data_runs_through_the_build_moment_in_the_spec_zone(built_at_moment):
    path, tables = built_at_moment
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["end"] == "2026-07-01"  # the local day of the build
    cutoff = pd.Timestamp("2026-06-30 19:37")  # naive UTC, as the tables store it
    for table, column in [
        ("customers", "signed_up_at"),
        ("sessions", "started_at"),
        ("orders", "ordered_at"),
        ("refunds", "refunded_at"),
        ("nps_responses", "answered_at"),
    ]:
        assert tables[table][column].max() <= cutoff, table
    orders = tables["orders"]
    per_day = _local_day(orders["ordered_at"]).value_counts()
    # the last complete local day (06-30) is a full day of orders, like the week before it
    week_before = per_day[pd.date_range("2026-06-23", "2026-06-29")]
    assert per_day[pd.Timestamp("2026-06-30")] >= 0.5 * week_before.median() > 0
    # today (07-01) holds only what happened by 03:37 local: a few night orders at most
    assert per_day.get(pd.Timestamp("2026-07-01"), 0) < 0.2 * week_before.median()
    assert set(tables["order_items"]["order_id"]) == set(orders["order_id"])
    assert manifest["rows"] == {t: len(df) for t, df in tables.items()}


def test_until_must_be_aware(tmp_path):
    with pytest.raises(ValueError, match="aware"):
        generate(tmp_path, orders=ORDERS, until=datetime(2026, 6, 30, 19, 37))
