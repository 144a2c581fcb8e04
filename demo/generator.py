"""A deterministic, seeded generator of a growing Chinese e-commerce shop's raw source tables.

Customers sign up along a growing, seasonal curve and buyers run a renewal process of orders
(demo/population.py) in operational time (demo/seasonality.py). The simulation walks the calendar in
chunks (a month, or a few days of it at large scales) keeping only compact per-customer state, so
memory is bounded by the customers plus one chunk of rows. Each chunk draws from its own sub-seeded
generator and writes part-NNNN.parquet per table: same (orders, end, seed) gives identical bytes.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from demo import aftersales, sessions
from demo.baskets import CATEGORIES, fill_baskets
from demo.incidents import Incident, planted_incidents
from demo.parts import TABLES, PartWriter, labels, money, timestamps
from demo.population import (
    BUY_BY_CHANNEL,
    CHANNEL_SHARE,
    CHANNELS,
    DAY,
    PLANS,
    REGIONS,
    SOUTH,
    Newcomers,
    Population,
)
from demo.seasonality import PROMOTION_NAMES, UTC_OFFSET_HOURS, Calendar, build_calendar
from demo.subscriptions import subscription_snapshots

__all__ = ["TABLES", "Incident", "generate", "planted_incidents"]

GENERATOR_VERSION = "1"
# Spend per (truly) acquired sign-up; referral bonuses and email are cheap, search is dear.
_CAC = {"paid_search": 110.0, "social": 75.0, "referral": 45.0, "email": 30.0}
TARGET_SESSIONS_PER_ORDER = 3.0
_PILOT_CUSTOMERS = 30_000
_ORDERS_PER_MONTHLY_SPLIT = 10_000_000  # 10M orders: whole months (~1 GB peak); more: split them


@dataclass
class _Run:
    cal: Calendar
    incidents: dict[str, Incident]
    n_customers: int
    seed: int
    stream: int  # 0 = the real data, 1 = the calibration pilot
    browse_per_order: float = 1.0
    chunks_per_month: int = 1
    next_id: dict[str, int] = field(default_factory=dict)
    # (signup seconds, plan, channel, region) of paying sign-ups, per chunk: the subscriptions
    paying: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    days: dict[str, np.ndarray] = field(init=False)  # per incident: is the local day in it?

    def __post_init__(self) -> None:
        self.days = {}
        for name, inc in self.incidents.items():
            mask = np.zeros(self.cal.days, bool)
            mask[self.cal.day_index(inc.start) : self.cal.day_index(inc.end) + 1] = True
            self.days[name] = mask

    def take_ids(self, table: str, n: int) -> np.ndarray:
        """Ids count up from 1 in generation order, i.e. in time order within each part."""
        first = self.next_id.get(table, 1)
        self.next_id[table] = first + n
        return np.arange(first, first + n, dtype=np.int64)

    @property
    def base_us(self) -> int:
        """UTC microseconds since the epoch at local midnight of the first history day."""
        start = datetime.combine(self.cal.start, datetime.min.time())
        utc = start - timedelta(hours=UTC_OFFSET_HOURS)
        return int((utc - datetime(1970, 1, 1)).total_seconds()) * 1_000_000

    @property
    def end_s(self) -> int:
        return self.cal.hours * 3600 - 1

    def chunk_days(self) -> list[int]:
        """Day indices where chunks start (firsts of months, split further at scale), plus end."""
        months = self.cal.month_starts()
        out: list[int] = []
        for a, b in itertools.pairwise(months):
            k = min(self.chunks_per_month, b - a)
            out += sorted({a + (b - a) * i // k for i in range(k)})
        return [*out, months[-1]]


def _chunk(run: _Run, pop: Population, part: int, days, customers, writer) -> int:
    """Simulate one chunk of days; write its parts when writer is given. Returns orders kept."""
    cal = run.cal
    rng = np.random.default_rng([run.seed, run.stream, part])
    h0, h1 = days[0] * 24, days[1] * 24
    new = pop.sign_up(rng, cal, customers, (h0, h1), run.days["social_tracking_outage"])

    cust, op = pop.intended_orders(rng, customers[1], cal.order_cum[h1])
    secs = np.floor(cal.from_operational(op) * 3600).astype(np.int64)
    secs = np.minimum(np.maximum(secs, pop.signup_s[cust] + 1), run.end_s)
    platform = sessions.usual_platform(rng, pop.platform[cust])
    lost = (  # the android checkout crash in the South
        run.days["android_south_conversion_drop"][secs // DAY]
        & (platform == sessions.ANDROID)
        & (pop.region[cust] == SOUTH)
        & (rng.random(cust.size) < 0.6)
    )
    if writer is not None:  # sessions come from intended orders: the crash does not stop visits
        visits = _sessions(run, rng, pop, new, cust, op, secs, platform)
    keep = np.flatnonzero(~lost)
    keep = keep[np.lexsort((cust[keep], secs[keep]))]  # time order; order_id follows it
    cust, secs, platform = cust[keep], secs[keep], platform[keep]
    number = pop.number_orders(cust)
    if writer is None:
        return int(cust.size)
    cols = _orders_and_aftermath(run, rng, cust, secs, platform, number)
    c0, c1 = customers
    paid = np.flatnonzero(new.plan > 0)
    run.paying.append(
        (pop.signup_s[c0:c1][paid], new.plan[paid], new.channel[paid], pop.region[c0:c1][paid])
    )
    cols["customers"] = {
        "customer_id": np.arange(c0, c1, dtype=np.int64) + 1,
        "signed_up_at": timestamps(run.base_us, pop.signup_s[c0:c1]),
        "channel": labels(new.channel, CHANNELS),
        "region": labels(pop.region[c0:c1], REGIONS),
        "platform": labels(pop.platform[c0:c1], sessions.PLATFORMS),
        "plan": labels(new.plan, PLANS),
    }
    cols["sessions"] = visits
    writer.write(part, cols)
    return int(cust.size)


def _orders_and_aftermath(run: _Run, rng, cust, secs, platform, number) -> dict[str, dict]:
    """Columns of orders, order_items, refunds and nps_responses for one chunk's orders."""
    cal, n, base = run.cal, cust.size, run.base_us
    day = secs // DAY
    order_id = run.take_ids("orders", n)
    cancelled = rng.random(n) < 0.05
    promo = np.where((cal.promotion[day] >= 0) & (rng.random(n) < 0.8), cal.promotion[day], -1)
    basket = fill_baskets(rng, promo >= 0)
    paid = ~cancelled
    defect = run.days["electronics_refund_spike"][day]
    ref = aftersales.refunds(
        rng, secs, basket.amount, paid, basket.has_electronics, defect, run.end_s
    )
    ref_order = np.lexsort((ref.order, ref.seconds))
    refund_s = np.full(n, -1, np.int64)
    refund_s[ref.order] = ref.seconds
    refund_reason = np.full(n, -1, np.int8)
    refund_reason[ref.order] = ref.reason
    nps_idx, nps_s, nps_score = aftersales.nps_answers(
        rng, secs, paid, refund_s, refund_reason, run.end_s
    )
    nps_order = np.lexsort((nps_idx, nps_s))
    return {
        "orders": {
            "order_id": order_id,
            "customer_id": cust + 1,
            "ordered_at": timestamps(base, secs),
            "platform": labels(platform, sessions.PLATFORMS),
            "status": labels(cancelled.astype(np.int8), ["paid", "cancelled"]),
            "amount": money(basket.amount),
            "cost": money(basket.cost),
            "discount": money(basket.discount),
            "promotion": labels(promo, PROMOTION_NAMES),
            "customer_order_number": number,
        },
        "order_items": {
            "order_id": order_id[basket.line_order],
            "line": basket.line_no,
            "category": labels(basket.category, CATEGORIES),
            "quantity": basket.quantity,
            "price": money(basket.price),
        },
        "refunds": {
            "refund_id": run.take_ids("refunds", ref.order.size),
            "order_id": order_id[ref.order][ref_order],
            "refunded_at": timestamps(base, ref.seconds[ref_order]),
            "amount": money(ref.amount[ref_order]),
            "reason": labels(ref.reason[ref_order], aftersales.REASONS),
        },
        "nps_responses": {
            "response_id": run.take_ids("nps_responses", nps_idx.size),
            "customer_id": cust[nps_idx][nps_order] + 1,
            "answered_at": timestamps(base, nps_s[nps_order]),
            "score": nps_score[nps_order],
        },
    }


def _sessions(run: _Run, rng, pop: Population, new: Newcomers, cust, op, secs, platform):
    """Sessions of the chunk's sign-ups, its non-buying visitors and every intended order."""
    c0, c1 = new.first, new.first + new.plan.size
    v = new.visitors
    order_signup_s = pop.signup_s[cust].astype(np.int64)
    parts = [
        sessions.signup_sessions(rng, np.arange(c0, c1), pop.signup_s[c0:c1], pop.platform[c0:c1]),
        sessions.visitor_sessions(rng, run.cal, v, new.signup_op[v - c0], pop.platform[v]),
        sessions.order_sessions(
            rng,
            run.cal,
            cust,
            op,
            secs,
            platform,
            run.cal.to_operational(order_signup_s / 3600.0),
            order_signup_s,
            pop.platform[cust],
            run.browse_per_order,
        ),
    ]
    s = sessions.Sessions.concat(parts)
    order = np.lexsort((s.customer, s.seconds))
    return {
        "session_id": run.take_ids("sessions", order.size),
        "customer_id": s.customer[order] + 1,
        "started_at": timestamps(run.base_us, s.seconds[order]),
        "platform": labels(s.platform[order], sessions.PLATFORMS),
        "duration_s": s.duration[order],
    }


def _simulate(run: _Run, writer: PartWriter | None, progress=None) -> int:
    starts = run.chunk_days()
    share = run.cal.signup_cum[np.array(starts) * 24] / run.cal.signup_cum[-1]
    bounds = np.round(share * run.n_customers).astype(np.int64)
    pop = Population(run.n_customers)
    total, chunks = 0, len(starts) - 1
    for part in range(chunks):
        days = (starts[part], starts[part + 1])
        customers = (int(bounds[part]), int(bounds[part + 1]))
        total += _chunk(run, pop, part, days, customers, writer)
        if progress is not None:
            for table in TABLES:
                if table not in _WHOLE_TABLES:
                    progress(table, part + 1, chunks)
    return total


_WHOLE_TABLES = ("marketing_spend", "subscriptions")  # written once, not per chunk


def _subscriptions(run: _Run, cutoff: int | None) -> dict[str, object]:
    """The daily subscription snapshot of the customers written (none signed up after `cutoff`)."""
    signup_s, plan, channel, region = (np.concatenate(c) for c in zip(*run.paying, strict=True))
    if cutoff is not None:
        kept = run.base_us + signup_s.astype(np.int64) * 1_000_000 <= cutoff
        signup_s, plan, channel, region = signup_s[kept], plan[kept], channel[kept], region[kept]
    epoch_day = (run.cal.start - date(1970, 1, 1)).days
    return subscription_snapshots(
        run.seed, signup_s, plan, channel, region, run.cal.days, epoch_day
    )


def _marketing_spend(run: _Run) -> dict[str, object]:
    """Daily spend per paid channel: the channel's CAC times the sign-ups it truly brings (the
    expected number, so spend keeps flowing during the social tracking outage), with noise."""
    cal = run.cal
    rng = np.random.default_rng([run.seed, 2])
    daily = np.diff(cal.signup_cum[::24]) / cal.signup_cum[-1] * run.n_customers
    paid = [c for c in CHANNELS if c in _CAC]
    code = {c: i for i, c in enumerate(CHANNELS)}
    spend = np.stack(
        [daily * _CAC[c] * CHANNEL_SHARE[code[c]] for c in paid], axis=1
    ) * rng.lognormal(0.0, 0.12, (cal.days, len(paid)))
    days = np.repeat(np.arange(cal.days), len(paid))
    epoch_day = (cal.start - date(1970, 1, 1)).days
    return {
        "day": pa.array(days + epoch_day, pa.int32()).view(pa.date32()),
        "channel": labels(np.tile([code[c] for c in paid], cal.days), CHANNELS),
        "spend": np.round(spend.ravel(), 2),
    }


def _calibrate(cal: Calendar, incidents: dict[str, Incident], orders: int, seed: int):
    """How many customers make `orders` orders, and how much browsing makes ~3 sessions per order.

    A small pilot of the same simulation (own sub-seed) measures orders per customer for this
    calendar; the ramp-up after launch and the cut-off at `end` make it hard to get analytically.
    """
    pilot = _Run(cal, incidents, _PILOT_CUSTOMERS, seed, stream=1)
    per_customer = _simulate(pilot, None) / _PILOT_CUSTOMERS
    n_customers = max(100, round(orders / per_customer))
    # sessions = orders * (1 + browse) + customers * (1 sign-up + visitor share * ~0.62 visits)
    visitors = 1.0 - float(np.average(BUY_BY_CHANNEL, weights=CHANNEL_SHARE))
    other = n_customers * (1.0 + visitors * 0.62)
    browse = (TARGET_SESSIONS_PER_ORDER * orders - orders - other) / orders
    return n_customers, float(np.clip(browse, 0.3, 3.0))


ZONE = ZoneInfo("Asia/Shanghai")  # the demo shop's zone (metrics.yml `time_zone`)


def default_end() -> date:
    return datetime.now(ZONE).date()


def local_day(moment: datetime) -> date:
    """The shop's calendar day at `moment` (aware): the last day a build at that moment fills."""
    return moment.astimezone(ZONE).date()


def generate(
    out_dir: Path,
    *,
    orders: int = 1_000_000,
    end: date | None = None,
    seed: int = 7,
    progress: Callable[[str, int, int], None] | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Write the shop's raw tables as out_dir/<table>/part-NNNN.parquet; return rows per table.

    `until` (an aware moment, e.g. now) ends the data there: the history runs through its local
    day in the shop's zone and rows after it are left out, so a build at 19:37 UTC (03:37 the next
    day in Shanghai) has every order of the local day before and today's first hours — no local
    day reads as an empty, complete day. Without it the data runs through `end` 23:59:59 local.
    progress(table, done, total) is called as parts are written (done/total count chunks: months,
    or parts of months above 10M orders).
    """
    if orders < 1_000 or seed < 0:
        raise ValueError(f"need orders >= 1000 and seed >= 0, got orders={orders}, seed={seed}")
    if until is not None and until.tzinfo is None:
        raise ValueError("until must be an aware datetime (e.g. datetime.now(UTC))")
    out_dir = Path(out_dir)
    end = end or (local_day(until) if until else default_end())
    cal = build_calendar(end)
    incidents = planted_incidents(end, cal)
    by_name = {i.name: i for i in incidents}
    n_customers, browse = _calibrate(cal, by_name, orders, seed)
    split = max(1, math.ceil(orders / _ORDERS_PER_MONTHLY_SPLIT))
    run = _Run(cal, by_name, n_customers, seed, 0, browse, chunks_per_month=split)
    cutoff = None  # UTC µs since the epoch, like the naive-UTC timestamps written
    if until is not None:
        cutoff = (until - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    writer = PartWriter(out_dir, cutoff)
    try:
        writer.write(0, {"marketing_spend": _marketing_spend(run)})
        if progress is not None:
            progress("marketing_spend", 1, 1)
        _simulate(run, writer, progress)
        writer.write(0, {"subscriptions": _subscriptions(run, cutoff)})
        if progress is not None:
            progress("subscriptions", 1, 1)
    finally:
        writer.close()
    rows = dict(writer.rows)
    (out_dir / "incidents.json").write_text(
        json.dumps([i.as_json() for i in incidents], indent=2, ensure_ascii=False) + "\n"
    )
    manifest = {
        "orders": orders,
        "end": end.isoformat(),
        "seed": seed,
        "until": until.isoformat() if until else None,
        "generator_version": GENERATOR_VERSION,
        "rows": rows,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return rows
