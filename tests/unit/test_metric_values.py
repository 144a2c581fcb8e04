"""Every metric of small_spec.yml against an independent pandas computation.

The reference below never imports the metric layer's calendar code: local days come from pandas
tz_localize/tz_convert, periods from pandas Periods, and each metric is written out by hand from
docs/metrics-yml.md. A few tests at the end hold literal numbers worked out on paper, so a bug
shared by pandas and SQL still fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService

TZ = "Asia/Shanghai"
NULL = "<NULL>"
METRICS = [
    "orders",
    "revenue",
    "buyers",
    "avg_amount",
    "max_amount",
    "min_amount",
    "aov",
    "ios_share",
    "visitors",
    "conversion",
    "revenue_growth",
    "revenue_yoy",
    "revenue_per_buyer",
    "dau",
    "wau",
    "mau",
    "stickiness",
    "d1_retention",
    "w1_retention",
]
GRAINS = ["day", "week", "month", "quarter", "year"]
ZERO_WHEN_EMPTY = {"orders", "revenue", "buyers", "visitors"}
# Dimensions each metric can use (d1_retention's cohort model, customers, has no platform).
NO_PLATFORM = {"d1_retention"}
DAY0 = pd.Timestamp("2024-01-01")  # before any row of the datasets


# -- the reference -----------------------------------------------------------------------------
def local_day(ts: pd.Series) -> pd.Series:
    """Calendar day (midnight Timestamp) in Shanghai of UTC timestamps, naive or aware."""
    s = pd.to_datetime(ts)
    if s.dt.tz is None:
        s = s.dt.tz_localize("UTC")
    return s.dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()


def period_freq(grain: str, week_start: str = "monday") -> str:
    if grain == "week":
        return "W-SUN" if week_start == "monday" else "W-SAT"  # weeks *ending* Sun / Sat
    return {"day": "D", "month": "M", "quarter": "Q", "year": "Y"}[grain]


def bucket(days: pd.Series, grain: str, week_start: str = "monday") -> pd.Series:
    return days.dt.to_period(period_freq(grain, week_start)).dt.start_time


def widen(start: date, end: date, grain: str, week_start: str = "monday"):
    freq = period_freq(grain, week_start)
    lo = pd.Period(pd.Timestamp(start), freq).start_time
    hi = pd.Period(pd.Timestamp(end), freq).end_time.normalize() + pd.Timedelta(days=1)
    return lo, hi


def spine(lo: pd.Timestamp, hi: pd.Timestamp, grain: str, week_start: str = "monday"):
    freq = period_freq(grain, week_start)
    return pd.period_range(lo, hi - pd.Timedelta(days=1), freq=freq).start_time


def back(grain: str, kind: str) -> pd.DateOffset:
    """How far previous() / last_year() look back."""
    if kind == "last_year":
        return pd.DateOffset(days=364) if grain == "week" else pd.DateOffset(years=1)
    return {
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(days=7),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
        "year": pd.DateOffset(years=1),
    }[grain]


@dataclass
class Case:
    grain: str
    dims: tuple[str, ...]
    filters: dict[str, list[str]]  # dimension → allowed values (SQL IN: NULL never matches)
    start: date
    end: date
    today: date
    week_start: str = "monday"


class Reference:
    """Each metric over *all* data, per (period, dims) group that has rows: frame of keys + value."""

    def __init__(self, customers: pd.DataFrame, orders: pd.DataFrame, sessions: pd.DataFrame):
        cust = customers.copy()
        cust["day"] = local_day(cust["signed_up_at"])
        attrs = customers[["customer_id", "channel", "region"]]
        o = orders.merge(attrs, on="customer_id", how="left")
        o["day"] = local_day(o["ordered_at"])
        o["size"] = np.where(o["amount"] >= 100, "large", "small")
        s = sessions.merge(attrs, on="customer_id", how="left")
        s["day"] = local_day(s["started_at"])
        self.customers, self.orders, self.sessions = cust, o, s
        self._memo: dict[tuple, pd.DataFrame] = {}
        self._daily: dict[tuple, pd.DataFrame | None] = {}

    # helpers
    @staticmethod
    def _filter(df: pd.DataFrame, filters: dict[str, list[str]]) -> pd.DataFrame:
        for dim, values in filters.items():
            df = df[df[dim].isin(values)]
        return df

    @staticmethod
    def _group(df: pd.DataFrame, c: Case):
        df = df.assign(period=bucket(df["day"], c.grain, c.week_start))
        return df.groupby(["period", *c.dims], dropna=False, sort=True)

    # simple
    def simple(self, name: str, c: Case, extra: dict | None = None) -> pd.DataFrame:
        filters = {**c.filters, **(extra or {})}
        if name == "visitors":
            g = self._group(self._filter(self.sessions, filters), c)
            return g["customer_id"].nunique().rename("value").reset_index()
        o = self._filter(self.orders, filters)
        paid = o[o["status"] == "paid"]
        if name == "orders":
            out = self._group(paid, c)["order_id"].count()
        elif name == "revenue":
            out = self._group(paid, c)["amount"].sum()
        elif name == "buyers":
            out = self._group(paid, c)["customer_id"].nunique()
        else:
            agg = {"avg_amount": "mean", "max_amount": "max", "min_amount": "min"}[name]
            out = self._group(o, c)["amount"].agg(agg)
        return out.rename("value").reset_index()

    # ratio / derived
    def combine(self, c: Case, parts: dict[str, pd.DataFrame], zero: set[str], how) -> pd.DataFrame:
        keys = ["period", *c.dims]
        merged = None
        for alias, frame in parts.items():
            f = frame.rename(columns={"value": alias})
            merged = f if merged is None else merged.merge(f, on=keys, how="outer")
        for alias in zero:
            merged[alias] = merged[alias].fillna(0.0)
        merged["value"] = how(merged)
        return merged[[*keys, "value"]]

    def ratio(self, num: pd.DataFrame, den: pd.DataFrame, c: Case, zero: set[str]):
        return self.combine(c, {"num": num, "den": den}, zero, lambda m: div(m["num"], m["den"]))

    def shifted(self, frame: pd.DataFrame, c: Case, kind: str) -> pd.DataFrame:
        return frame.assign(period=frame["period"] + back(c.grain, kind))

    # active
    def daily_active(self, window: int, c: Case) -> pd.DataFrame:
        """Entities active in the `window` days ending each day, per group, DAY0 .. today."""
        key = (window, c.dims, _frozen(c.filters), c.today)
        if key not in self._daily:
            s = self._filter(self.sessions, c.filters)
            s = s[s["customer_id"].notna()]
            days = pd.date_range(DAY0, pd.Timestamp(c.today), freq="D")
            parts = []
            groups = s.groupby(list(c.dims), dropna=False) if c.dims else [((), s)]
            for group, part in groups:
                group = group if isinstance(group, tuple) else (group,)
                seen = (
                    part.assign(one=1.0)
                    .pivot_table(index="day", columns="customer_id", values="one", aggfunc="max")
                    .reindex(days)
                    .fillna(0.0)
                )
                n = seen.rolling(window, min_periods=1).max().sum(axis=1).to_numpy()
                frame = pd.DataFrame({"day": days, "n": n})
                for dim, value in zip(c.dims, group, strict=True):
                    frame[dim] = value
                parts.append(frame)
            self._daily[key] = pd.concat(parts, ignore_index=True) if parts else None
        return self._daily[key]

    def active(self, window: int, value: str, c: Case, lo, hi) -> pd.DataFrame:
        today = pd.Timestamp(c.today)
        first = lo - pd.Timedelta(days=window - 1)
        last = min(hi, today + pd.Timedelta(days=1))  # exclusive: no day after today
        daily = self.daily_active(window, c)
        if daily is None or last <= lo:
            return _empty(c)
        daily = daily[(daily["day"] >= lo) & (daily["day"] < last)]
        if c.dims:  # groups with any activity in the days that count (else no row at all)
            s = self._filter(self.sessions, c.filters)
            s = s[s["customer_id"].notna() & (s["day"] >= first) & (s["day"] < last)]
            daily = daily.merge(s[list(c.dims)].drop_duplicates(), on=list(c.dims))
        g = self._group(daily.sort_values("day"), c)
        out = g["n"].mean() if value == "average" and c.grain != "day" else g["n"].last()
        return out.rename("value").reset_index()

    # retention
    def retention(self, name: str, c: Case, lo, hi) -> pd.DataFrame:
        act = self.sessions[self.sessions["customer_id"].notna()]
        if name == "d1_retention":
            first, last = 1, 1
            cohort = self.customers.rename(columns={"day": "cohort_day"})
        else:
            first, last = 7, 13
            a = act.sort_values("started_at")
            cohort = a.groupby("customer_id", as_index=False).first()  # dims of the first row
            cohort = cohort.rename(columns={"day": "cohort_day"})
        cohort = self._filter(cohort, c.filters)
        cohort = cohort[(cohort["cohort_day"] >= lo) & (cohort["cohort_day"] < hi)]
        days = act.groupby("customer_id")["day"].apply(set).to_dict()
        one = pd.Timedelta(days=1)

        def retained(row) -> bool:
            seen = days.get(row["customer_id"], set())
            return any(row["cohort_day"] + k * one in seen for k in range(first, last + 1))

        cohort = cohort.assign(
            hit=cohort.apply(retained, axis=1) if len(cohort) else [],
            mature=cohort["cohort_day"] + last * one < pd.Timestamp(c.today),
            day=cohort["cohort_day"],
        )
        cohort["hit"] = cohort["hit"].astype(bool) & cohort["mature"]
        g = self._group(cohort, c)
        out = g.apply(
            lambda p: p["hit"].sum() / p["mature"].sum() if p["mature"].sum() else np.nan,
            include_groups=False,
        )
        return out.rename("value").reset_index() if len(cohort) else _empty(c)

    # dispatch
    def metric(self, name: str, c: Case) -> pd.DataFrame:
        """Memoised: the raw and the rollup run of a case share one reference computation."""
        key = (name, c.grain, c.dims, _frozen(c.filters), c.start, c.end, c.today, c.week_start)
        if key not in self._memo:
            self._memo[key] = self._metric(name, c)
        return self._memo[key].copy()

    def _metric(self, name: str, c: Case) -> pd.DataFrame:
        lo, hi = widen(c.start, c.end, c.grain, c.week_start)
        if name in ("orders", "revenue", "buyers", "visitors") or name.endswith("_amount"):
            raw = self.simple(name, c)
        elif name == "aov":
            raw = self.ratio(self.simple("revenue", c), self.simple("orders", c), c, {"num"})
        elif name == "ios_share":
            ios = self.simple("orders", c, {"platform": ["ios"]})
            raw = self.ratio(ios, self.simple("orders", c), c, {"num"})
        elif name == "conversion":
            raw = self.ratio(self.simple("buyers", c), self.simple("visitors", c), c, {"num"})
        elif name == "revenue_per_buyer":
            raw = self.ratio(self.simple("revenue", c), self.simple("buyers", c), c, {"num"})
        elif name in ("revenue_growth", "revenue_yoy"):
            rev = self.simple("revenue", c)
            kind = "previous" if name == "revenue_growth" else "last_year"
            parts = {"cur": rev, "prev": self.shifted(rev, c, kind)}
            if name == "revenue_growth":
                how = lambda m: div(m["cur"] - m["prev"], m["prev"])  # noqa: E731
            else:
                how = lambda m: div(m["cur"], m["prev"]) - 1  # noqa: E731
            raw = self.combine(c, parts, {"cur", "prev"}, how)
        elif name in ("dau", "wau", "mau"):
            window = {"dau": 1, "wau": 7, "mau": 30}[name]
            raw = self.active(window, "average" if name == "dau" else "last", c, lo, hi)
        elif name == "stickiness":
            dau = self.active(1, "average", c, lo, hi)
            raw = self.ratio(dau, self.active(30, "last", c, lo, hi), c, set())
        else:
            raw = self.retention(name, c, lo, hi)
        return expected_frame(raw, name, c, lo, hi)


def _frozen(filters: dict[str, list[str]]) -> tuple:
    return tuple((k, tuple(v)) for k, v in sorted(filters.items()))


def div(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.astype("float64")
    return a.astype("float64") / b.where(b != 0)


def _empty(c: Case) -> pd.DataFrame:
    return pd.DataFrame(columns=["period", *c.dims, "value"])


def expected_frame(raw: pd.DataFrame, name: str, c: Case, lo, hi) -> pd.DataFrame:
    """Every period × every segment with a row in the range; counts and sums 0 where none."""
    raw = raw[(raw["period"] >= lo) & (raw["period"] < hi)]
    periods = pd.DataFrame({"period": spine(lo, hi, c.grain, c.week_start)})
    if c.dims:
        if raw.empty:
            return normalise(raw.rename(columns={"value": name}), name, c.dims)
        segments = raw[list(c.dims)].astype(object).drop_duplicates()
        periods = periods.merge(segments, how="cross")
        raw = raw.assign(**{d: raw[d].astype(object) for d in c.dims})
    raw = periods.merge(raw, on=["period", *c.dims], how="left")
    if name in ZERO_WHEN_EMPTY:
        raw["value"] = raw["value"].fillna(0.0)
    return normalise(raw.rename(columns={"value": name}), name, c.dims)


def normalise(frame: pd.DataFrame, name: str, dims) -> pd.DataFrame:
    out = pd.DataFrame({"period": pd.to_datetime(frame["period"]).dt.date})
    for d in dims:
        values = frame[d].astype(object)
        out[d] = values.where(values.notna(), NULL).astype(str).to_numpy()
    out[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy()
    return out.sort_values(["period", *dims]).reset_index(drop=True)


def actual(svc: MetricService, name: str, c: Case, compare: str | None = None) -> pd.DataFrame:
    query = MetricQuery(
        (name,),
        grain=c.grain,
        start=c.start,
        end=c.end,
        dimensions=c.dims,
        filters=tuple(DimensionFilter(d, "in", tuple(v)) for d, v in c.filters.items()),
        compare=compare,
    )
    return normalise(svc.query(query).frame, name, c.dims)


def check(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False, rtol=1e-9)


# -- the matrix --------------------------------------------------------------------------------
# (breakdown, filter) pairs covering: no breakdown, a joined model's dimension (channel), the
# model's own one (platform), each with and without a filter (region comes through the join).
VARIANTS = {
    "none-all": ((), {}),
    "none-north": ((), {"region": ["north"]}),
    "channel-north": (("channel",), {"region": ["north"]}),
    "platform-all": (("platform",), {}),
}
SMALL_VARIANTS = ["none-all", "channel-north", "platform-all"]


def _cases():
    for name in METRICS:
        for grain in GRAINS:
            for variant in SMALL_VARIANTS:
                yield pytest.param(name, grain, variant, id=f"{name}-{grain}-{variant}")


def _variant(name: str, variant: str):
    dims, filters = VARIANTS[variant]
    if name in NO_PLATFORM and "platform" in dims:
        dims = ("region",)  # d1_retention's cohorts are customers: no platform
    return dims, filters


@pytest.fixture(scope="module")
def small_ref(small_data) -> Reference:
    return Reference(small_data.customers, small_data.orders, small_data.sessions)


@pytest.fixture(scope="module")
def medium_ref(medium_data) -> Reference:
    return Reference(medium_data.customers, medium_data.orders, medium_data.sessions)


@pytest.mark.parametrize(("name", "grain", "variant"), list(_cases()))
def test_small_matches_pandas(small_service, small_data, small_ref, name, grain, variant):
    dims, filters = _variant(name, variant)
    c = Case(grain, dims, filters, small_data.start, small_data.end, small_data.today)
    check(actual(small_service, name, c), small_ref.metric(name, c))


MEDIUM = [("day", "none-all"), ("month", "channel-north"), ("quarter", "platform-all")]


@pytest.mark.parametrize(("grain", "variant"), MEDIUM, ids=[f"{g}-{v}" for g, v in MEDIUM])
@pytest.mark.parametrize("name", METRICS)
def test_medium_matches_pandas(medium_service, medium_data, medium_ref, name, grain, variant):
    dims, filters = _variant(name, variant)
    c = Case(grain, dims, filters, medium_data.start, medium_data.end, medium_data.today)
    check(actual(medium_service, name, c), medium_ref.metric(name, c))


@pytest.mark.parametrize(("grain", "compare"), [("week", "previous"), ("month", "last_year")])
@pytest.mark.parametrize("name", METRICS)
def test_small_compare_matches_pandas(small_service, small_data, small_ref, name, grain, compare):
    """`<metric>__compare` is the metric's value in the previous period / a year (52 weeks) ago."""
    today = small_data.today
    c = Case(grain, (), {}, small_data.start, small_data.end, today)
    query = MetricQuery((name,), grain=grain, start=c.start, end=c.end, compare=compare)
    frame = small_service.query(query).frame
    want = small_ref.metric(name, c)
    lo, _ = widen(c.start, c.end, grain)
    step = back(grain, compare)
    earlier = Case(grain, (), {}, (lo - step).date(), c.end, today)
    ref = small_ref.metric(name, earlier).set_index("period")[name]
    shifted = [(pd.Timestamp(p) - step).date() for p in want["period"]]
    want_compare = [ref.get(p, 0.0 if name in ZERO_WHEN_EMPTY else np.nan) for p in shifted]
    assert frame["period"].tolist() == want["period"].tolist()
    assert frame[name].tolist() == pytest.approx(want[name].tolist(), nan_ok=True)
    assert frame[f"{name}__compare"].tolist() == pytest.approx(want_compare, nan_ok=True)


@pytest.fixture(scope="module")
def sunday_service(small_warehouse, sunday_spec) -> MetricService:
    return MetricService(
        small_warehouse, sunday_spec, clock=lambda: datetime(2026, 1, 8, 12), use_rollups=False
    )


@pytest.mark.parametrize("variant", ["none-all", "channel-north"])
@pytest.mark.parametrize("name", METRICS)
def test_small_sunday_weeks_match_pandas(sunday_service, small_data, small_ref, name, variant):
    dims, filters = _variant(name, variant)
    c = Case("week", dims, filters, small_data.start, small_data.end, small_data.today, "sunday")
    check(actual(sunday_service, name, c), small_ref.metric(name, c))


# -- literal numbers (worked out by hand from the rows in conftest.small_frames) ---------------
def _values(svc: MetricService, name: str, grain: str, **kw) -> list[float]:
    query = MetricQuery((name,), grain=grain, start=date(2025, 12, 17), end=date(2026, 1, 10), **kw)
    return svc.query(query).frame[name].tolist()


WEEKS = [date(2025, 12, 15), date(2025, 12, 22), date(2025, 12, 29), date(2026, 1, 5)]
NAN = float("nan")
LITERAL_WEEKLY: dict[str, list[float]] = {
    # paid orders by local week: 12-22: o04; 12-29: o05 o06 o07 o09 o10 o11; 01-05: o12 o14 o16
    "orders": [0, 1, 6, 3],
    "revenue": [0, 120, 80 + 200 + 30 + 100 + 45 + 60, 40 + 150 + 25],
    "buyers": [0, 1, 4, 3],  # 12-29: c2 c3 c4 c99
    "avg_amount": [
        NAN,
        120,
        (80 + 200 + 30 + 70 + 100 + 45 + 60) / 7,
        (40 + 35 + 150 + 99.5 + 25) / 5,
    ],
    "max_amount": [NAN, 120, 200, 150],
    "min_amount": [NAN, 120, 30, 25],
    "aov": [NAN, 120, 515 / 6, 215 / 3],
    "ios_share": [NAN, 1.0, 2 / 6, 1 / 3],
    "visitors": [2, 2, 7, 5],  # anonymous s21 is not a visitor
    "conversion": [0.0, 0.5, 4 / 7, 3 / 5],
    # the week before 12-15 had o03 (50): revenue fell to 0 → -100%
    "revenue_growth": [-1.0, NAN, (515 - 120) / 120, (215 - 515) / 515],
    "revenue_per_buyer": [NAN, 120, 515 / 4, 215 / 3],
    # daily distinct visitors averaged over the week's days up to today (01-08)
    "dau": [(0 + 1 + 0 + 1 + 1 + 0 + 0) / 7, (0 + 0 + 1 + 0 + 0 + 0 + 1) / 7, 9 / 7, 7 / 4],
    # 7 days ending Sunday 12-21: c8 c9; 12-28: c9 c1; 01-04: c1 c2 c8 c3 c9 c4 c7; 01-08: 7
    "wau": [2, 2, 7, 7],
    "mau": [3, 4, 7, 9],  # 30 days ending 12-21: c7 (12-10) c8 c9; 01-04: + c1 c2 c3 c4
    # d1: 12-15: c8 no, c9 yes; 12-22: c1 yes; 12-29: c2 no, c3 yes, c4 yes; 01-05: c5 no (c6 young)
    "d1_retention": [0.5, 1.0, 2 / 3, 0.0],
    # w1: c8 back on its day 13 (12-29), c9 back on day 6 and day 14 only; later cohorts immature
    "w1_retention": [0.5, NAN, NAN, NAN],
}


@pytest.mark.parametrize("name", list(LITERAL_WEEKLY))
def test_small_weekly_literal(small_service, name):
    got = _values(small_service, name, "week")
    assert got == pytest.approx(LITERAL_WEEKLY[name], nan_ok=True)


def test_small_periods_and_partial_literal(small_service):
    query = MetricQuery(("revenue",), grain="week", start=date(2025, 12, 17), end=date(2026, 1, 10))
    frame = small_service.query(query).frame
    assert frame["period"].tolist() == WEEKS
    assert frame["is_partial"].tolist() == [False, False, False, True]


LITERAL_MONTHLY = {
    # December (local): o02 (UTC 11-30 20:00) o03 o04 o05 o06; January: o07 o09 o10 o11 o12 o14 o16
    "revenue": [10 + 50 + 120 + 80 + 200, 30 + 100 + 45 + 60 + 40 + 150 + 25],
    "orders": [5, 7],
    "mau": [5, 9],  # 30 days ending 12-31: c7 c8 c9 c1 c2; ending today 01-08: all 9 customers
    "wau": [3, 7],  # 12-25..12-31: c1 c2 c8 (c9 on 12-24 and 01-01 is outside)
    "revenue_yoy": [NAN, 450 / 60 - 1],  # Jan 2025 had o01 (60); Dec 2024 nothing
}


@pytest.mark.parametrize("name", list(LITERAL_MONTHLY))
def test_small_monthly_literal(small_service, name):
    assert _values(small_service, name, "month") == pytest.approx(
        LITERAL_MONTHLY[name], nan_ok=True
    )


def test_small_yearly_literal(small_service):
    query = MetricQuery(
        ("revenue", "orders"), grain="year", start=date(2025, 3, 1), end=date(2026, 1, 1)
    )
    frame = small_service.query(query).frame
    assert frame["period"].tolist() == [date(2025, 1, 1), date(2026, 1, 1)]
    assert frame["revenue"].tolist() == pytest.approx([60 + 460, 450])
    assert frame["orders"].tolist() == [6, 7]


def test_small_breakdown_literal(small_service):
    query = MetricQuery(
        ("revenue",),
        grain="week",
        start=date(2025, 12, 29),
        end=date(2026, 1, 4),
        dimensions=("channel",),
    )
    frame = small_service.query(query).frame
    got = {
        (None if v != v or v is None else v): r
        for v, r in zip(frame["channel"], frame["revenue"], strict=True)
    }
    # c2 organic: 80 + 200; c3 ads: 30; c4 (NULL channel): 100 + 60; c99 (no customer): 45
    assert got == {"organic": 280.0, "ads": 30.0, None: 205.0}
