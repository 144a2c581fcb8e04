"""Alert states, history, silences and deliveries written straight into an app database, as the
evaluator and the outbox sender would leave them, for the page's tests (unit and browser); and
the rules a metrics.yml would declare for the fixture shop (tests/fixtures/small_spec.yml)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from alerts.model import Rule, SeriesState
from alerts.store import record_event, save_state
from appdb import AppDb
from appdb.models import Delivery
from metric_layer.query import DimensionFilter

# 12:00 on the fixture shop's as-of day in its zone (Asia/Shanghai), as naive UTC.
NOW = datetime(2026, 3, 18, 4, 0)

RULES = (
    Rule(
        name="orders_below_target",
        metric="orders",
        condition=None,
        grain="week",
        severity="critical",
        owners=("CEO", "growth"),
        channels=("in-app", "growth-slack"),
        summary="Paid orders are below this quarter's weekly target",
        labels=(("team", "growth"),),
        file="metrics.yml",
        line=61,
    ),
    Rule(
        name="revenue_drop",
        metric="revenue",
        condition=None,
        grain="day",
        split_by="platform",
        filters=(DimensionFilter("channel", "=", ("ads",)),),
        for_periods=2,
        severity="warning",
        owners=("growth",),
        file="metrics.yml",
        line=70,
    ),
    Rule(name="shop_fresh", metric=None, condition=None, severity="info", file="metrics.yml"),
)


# What alerts.channels.payload.notification_payload gives for the firing NSM rule (every
# channel's row of one notification holds the same payload).
PAYLOAD = {
    "rule": "orders_below_target", "metric": "orders", "series": "", "kind": "firing",
    "state": "firing", "severity": "critical", "value": 7.0, "period": "2026-03-09",
    "expected": "above 10", "owners": ["CEO", "growth"],
    "segments": [
        {"label": "platform=android × region=south", "change": -2.0, "share": 0.667, "effect": ""},
        {"label": "channel=email", "change": -1.0, "share": 0.333, "effect": ""},
    ],
    "drivers_link": "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=last_year",
}  # fmt: skip


def seed_board(db: AppDb, now: datetime = NOW) -> None:
    """A firing NSM rule (with its notification's segments), a pending split series, a normal
    one, history for both rules, a failed and a retrying delivery."""
    with db.session() as s:
        save_state(
            s,
            SeriesState(
                "orders_below_target", "", "firing", now - timedelta(hours=3),
                breaches=1, fired_at=now - timedelta(hours=3), last_evaluated_at=now,
                value=7.0, period=date(2026, 3, 9), expected="above 10",
                detail="7 paid orders against a target of 10 (−30%)",
            ),
        )  # fmt: skip
        save_state(
            s,
            SeriesState(
                "revenue_drop", "platform=ios", "pending", now - timedelta(hours=20),
                breaches=1, value=1234.5, period=date(2026, 3, 16),
                expected="no more than 10% below the day before",
                detail="down 18.2% vs the day before (¥1,509.40 → ¥1,234.50)",
            ),
        )  # fmt: skip
        save_state(
            s, SeriesState("revenue_drop", "platform=web", "normal", now - timedelta(days=2))
        )
        record_event(
            s, rule="orders_below_target", series="", event="pending", at=now - timedelta(days=8),
            from_state="normal", to_state="pending", value=9.0, period=date(2026, 3, 2),
        )  # fmt: skip
        record_event(
            s, rule="orders_below_target", series="", event="firing", at=now - timedelta(hours=3),
            from_state="pending", to_state="firing", value=7.0, period=date(2026, 3, 9),
            detail="7 paid orders against a target of 10 (−30%)",
        )  # fmt: skip
        record_event(
            s, rule="revenue_drop", series="platform=ios", event="pending",
            at=now - timedelta(hours=20), from_state="normal", to_state="pending",
            value=1234.5, period=date(2026, 3, 16),
        )  # fmt: skip
        s.add(
            Delivery(
                created_at=now - timedelta(hours=3), channel="in-app", kind="firing",
                rule="orders_below_target", series="", status="sent", attempts=1,
                next_attempt_at=now, sent_at=now - timedelta(hours=3),
                payload=PAYLOAD,
            )
        )  # fmt: skip
        s.add(
            Delivery(
                created_at=now - timedelta(hours=3), channel="growth-slack", kind="firing",
                rule="orders_below_target", series="", status="failed", attempts=6,
                next_attempt_at=now, payload=PAYLOAD,
                last_error="HTTP 500 from hooks.slack.com: internal_error",
            )
        )  # fmt: skip
        s.add(
            Delivery(
                created_at=now - timedelta(hours=1), channel="team-mail", kind="firing",
                rule="orders_below_target", series="", status="pending", attempts=2,
                next_attempt_at=now + timedelta(minutes=25), payload=PAYLOAD,
                last_error="SMTP 451 4.7.1 try again later",
            )
        )  # fmt: skip
