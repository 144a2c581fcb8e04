"""Why an alert fired (alerts.why) on the fixture shop: which ranges are compared, the Drivers
link, and segment contributions checked against pandas differences worked out here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from test_alert_conditions import LAST_WEEK, NOW, paid_orders, service  # noqa: F401 - fixture

from alerts.condition_types import Anomaly, Change, Freshness, Threshold
from alerts.conditions import observe
from alerts.model import Observation, Rule
from alerts.why import drivers_link, explain_observation
from analysis.ranges import DayRange
from metric_layer.query import DimensionFilter

WEEK_BEFORE = LAST_WEEK - timedelta(weeks=1)


def params(link: str) -> dict[str, str]:
    parts = urlsplit(link)
    assert parts.path == "/drivers"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def breach(service, rule: Rule) -> Observation:  # noqa: F811
    [seen] = [o for o in observe(service, rule, NOW) if o.outcome == "breach"][:1]
    return seen


def test_a_week_is_explained_against_the_week_before(service) -> None:  # noqa: F811
    rule = Rule("r", "orders", Threshold("above", high=0), grain="week")
    segments, link = explain_observation(service, rule, breach(service, rule))
    assert params(link) == {
        "metric": "orders",
        "from": "2026-03-09",
        "to": "2026-03-15",
        "compare": "custom",
        "vs_from": "2026-03-02",
        "vs_to": "2026-03-08",
    }
    # Each segment's contribution to a count's change is its own difference, by hand:
    orders = paid_orders()
    orders["size"] = ["large" if a >= 100 else "small" for a in orders["amount"]]  # the spec's expr
    now, then = orders[orders["week"] == LAST_WEEK], orders[orders["week"] == WEEK_BEFORE]
    total = len(now) - len(then)
    assert segments, "the fixture's weeks differ: something should stand out"
    for note in segments:
        mask_now, mask_then = now.index == now.index, then.index == then.index
        for part in note.label.split(" × "):
            dim, value = part.split("=")
            mask_now &= (now[dim] == value).to_numpy()
            mask_then &= (then[dim] == value).to_numpy()
        diff = int(mask_now.sum()) - int(mask_then.sum())
        assert note.change == pytest.approx(diff)
        assert note.share == pytest.approx(diff / total)
        assert note.effect == ""  # a count: no rate or mix effect


def test_a_split_series_is_explained_within_itself(service) -> None:  # noqa: F811
    rule = Rule("r", "orders", Threshold("above", high=0), grain="week", split_by="platform")
    seen = next(o for o in observe(service, rule, NOW) if o.series == "platform=ios")
    segments, link = explain_observation(service, rule, seen)
    assert params(link)["filters"] == "platform=ios"
    assert all("platform=" not in s.label for s in segments)


def test_comparisons_follow_the_condition(service) -> None:  # noqa: F811
    yoy = Rule("r", "orders", Change("last_year", absolute=0.001), grain="week")
    seen = observe(service, yoy, NOW)[0]
    _, link = explain_observation(service, yoy, seen)
    assert params(link)["vs_from"] == str(LAST_WEEK - timedelta(weeks=52))
    daily = Rule("r", "orders", Anomaly(), grain="day")
    seen = observe(service, daily, NOW)[0]
    assert seen.period == date(2026, 3, 17)
    _, link = explain_observation(service, daily, seen)
    assert (params(link)["from"], params(link)["vs_from"]) == ("2026-03-17", "2026-03-10")


def test_no_explanation_without_a_period_of_a_metric(service) -> None:  # noqa: F811
    fresh = Rule("f", None, Freshness("shop", timedelta(hours=1)))
    [seen] = observe(service, fresh, NOW, last_loads={})
    assert explain_observation(service, fresh, seen) == ((), "")


def test_a_failing_explanation_still_gives_the_link(service) -> None:  # noqa: F811
    class Broken:
        def __getattr__(self, name):
            return getattr(service, name)

        def remember(self, *args, **kwargs):  # every read of the explanation goes through it
            raise RuntimeError("warehouse went away")

    rule = Rule("r", "revenue", Threshold("above", high=0), grain="week")
    seen = Observation("r", "", "breach", NOW, 1.0, LAST_WEEK)
    segments, link = explain_observation(Broken(), rule, seen)
    assert segments == () and params(link)["metric"] == "revenue"


def test_filter_values_are_escaped_as_the_pages_write_them() -> None:
    link = drivers_link(
        "orders",
        DayRange(date(2026, 3, 9), date(2026, 3, 15)),
        DayRange(date(2026, 3, 2), date(2026, 3, 8)),
        (DimensionFilter("channel", "in", ("a,b", "c")),),
    )
    assert params(link)["filters"] == "channel=a%2Cb,c"


def test_the_partial_period_is_explained_by_its_complete_days(service) -> None:  # noqa: F811
    rule = Rule("r", "orders", Threshold("above", high=0, include_partial=True), grain="week")
    seen = Observation("r", "", "breach", datetime(2026, 3, 18, 2), 3.0, date(2026, 3, 16))
    _, link = explain_observation(service, rule, seen)
    assert (params(link)["from"], params(link)["to"]) == ("2026-03-16", "2026-03-17")
    assert (params(link)["vs_from"], params(link)["vs_to"]) == ("2026-03-09", "2026-03-10")
