"""Segment root cause: rate/mix by hand, parts add up, the specific segment wins, noise does not."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.segments import Totals, describe, root_cause, root_cause_from_rows, segment_effects


def test_rate_and_mix_by_hand():
    # A: 10/100 → 5/100 (rate .1 → .05), B: 40/100 → 60/150 (.4 → .4); R .25 → .26, R̄ = .255
    # A: rate (.05−.1)(.5+.4)/2 = −.0225, mix (.4−.5)(.075−.255) = .018 → −.0045
    # B: rate 0, mix (.6−.5)(.4−.255) = .0145 → .0145; together .01 = R₁ − R₀
    before = pd.DataFrame({"seg": ["A", "B"], "numerator": [10, 40], "denominator": [100, 100]})
    after = pd.DataFrame({"seg": ["A", "B"], "numerator": [5, 60], "denominator": [100, 150]})
    totals = Totals(0.25, 0.26, 50, 200, 65, 250)
    effects, overlapping = segment_effects(before, after, ("seg",), "ratio", totals)
    got = {e.segment[0][1]: (e.rate, e.mix, e.contribution) for e in effects}
    assert not overlapping
    assert got["A"] == pytest.approx((-0.0225, 0.018, -0.0045))
    assert got["B"] == pytest.approx((0.0, 0.0145, 0.0145))


def test_overlapping_segments_are_flagged():
    # 10 distinct buyers overall, but 6 + 7 by platform: one entity holds several values
    before = pd.DataFrame({"platform": ["ios", "web"], "value": [6, 7]})
    after = pd.DataFrame({"platform": ["ios", "web"], "value": [3, 7]})
    cause = root_cause({("platform",): (before, after)}, "additive", Totals(10, 8))
    assert cause.overlapping == (("platform",),)
    assert cause.findings[0].overlapping and cause.findings[0].contribution == -3
    assert "overlap" in describe(cause.findings[0], cause.change, str, str)


def _grid(rate_of) -> pd.DataFrame:
    rows = []
    for platform, region in itertools.product(
        ["ios", "android", "web"], ["North", "South", "East"]
    ):
        visitors = 1000
        rows.append((platform, region, rate_of(platform, region) * visitors, visitors))
    return pd.DataFrame(rows, columns=["platform", "region", "numerator", "denominator"])


def test_the_pair_is_the_answer_when_the_drop_lies_inside_it():
    before = _grid(lambda p, r: 0.031)
    after = _grid(lambda p, r: 0.012 if (p, r) == ("android", "South") else 0.031)
    cause = root_cause_from_rows(before, after, ["platform", "region"], "ratio")
    top = cause.findings[0]
    assert top.label == "platform=android × region=South"
    assert top.effect == "rate effect"
    assert top.contribution == pytest.approx(cause.change)  # all of it
    assert len(cause.findings) == 1  # android and South alone merely contain it
    text = describe(top, cause.change, lambda v: f"{v:.1%}", lambda v: f"{v * 100:+.2f} pts")
    assert text.startswith("platform=android × region=South: -0.21 pts of -0.21 pts, rate effect")
    assert text.endswith("its rate fell from 3.1% to 1.2%")


def test_a_broad_drop_stays_broad():
    before = _grid(lambda p, r: 0.03)
    after = _grid(lambda p, r: 0.01 if p == "android" else 0.03)
    cause = root_cause_from_rows(before, after, ["platform", "region"], "ratio")
    assert [f.label for f in cause.findings] == ["platform=android"]


def test_nothing_stands_out_when_everything_moved_alike():
    before = _grid(lambda p, r: 0.03)
    after = _grid(lambda p, r: 0.025)
    cause = root_cause_from_rows(before, after, ["platform", "region"], "ratio")
    assert cause.nothing_stands_out


def test_a_tiny_segment_does_not_top_the_list():
    before = pd.DataFrame({"ch": ["big", "tiny"], "value": [1000.0, 5.0]})
    after = pd.DataFrame({"ch": ["big", "tiny"], "value": [1000.0, 0.0]})  # tiny fell 100 %
    assert root_cause_from_rows(before, after, ["ch"], "additive").nothing_stands_out
    loud = root_cause_from_rows(before, after, ["ch"], "additive", min_size=0.0)
    assert loud.findings[0].label == "ch=tiny"


def test_additive_with_null_and_new_segments():
    before = pd.DataFrame({"ch": ["ads", None], "value": [10.0, 5.0]})
    after = pd.DataFrame({"ch": ["ads", "email"], "value": [4.0, 8.0]})
    cause = root_cause_from_rows(before, after, ["ch"], "additive")
    got = {e.label: e.contribution for e in cause.effects}
    assert got == {"ch=ads": -6.0, "ch=(none)": -5.0, "ch=email": 8.0}


cells = st.lists(
    st.tuples(
        st.sampled_from("abc"), st.sampled_from("xy"), st.integers(0, 50), st.integers(0, 50)
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(cells, cells)
def test_ratio_parts_add_up_to_the_change_in_every_dimension(rows0, rows1):
    def frame(rows):
        f = pd.DataFrame(rows, columns=["d1", "d2", "numerator", "denominator"])
        f["numerator"] = f[["numerator", "denominator"]].min(axis=1)  # a rate ≤ 1
        return f

    before, after = frame(rows0), frame(rows1)
    if before["denominator"].sum() == 0 or after["denominator"].sum() == 0:
        return
    cause = root_cause_from_rows(before, after, ["d1", "d2"], "ratio")
    for dims in (("d1",), ("d2",), ("d1", "d2")):
        parts = [e.contribution for e in cause.effects if tuple(d for d, _ in e.segment) == dims]
        assert sum(parts) == pytest.approx(cause.change, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(cells, cells)
def test_additive_parts_add_up(rows0, rows1):
    before = pd.DataFrame([(a, b, v) for a, b, v, _ in rows0], columns=["d1", "d2", "value"])
    after = pd.DataFrame([(a, b, v) for a, b, v, _ in rows1], columns=["d1", "d2", "value"])
    cause = root_cause_from_rows(before, after, ["d1", "d2"], "additive")
    for dims in (("d1",), ("d2",), ("d1", "d2")):
        parts = [e.contribution for e in cause.effects if tuple(d for d, _ in e.segment) == dims]
        assert sum(parts) == pytest.approx(cause.change)


def test_a_cause_seen_through_a_correlated_dimension_is_listed_once():
    # signup_platform follows platform; android × South fell: South × signup android is the same cause
    rows = []
    for platform, region in itertools.product(["ios", "android"], ["North", "South"]):
        rows.append((platform, region, platform, 1000))
    before = pd.DataFrame(rows, columns=["platform", "region", "signup", "denominator"])
    before["numerator"] = 30.0
    after = before.copy()
    hit = (after["platform"] == "android") & (after["region"] == "South")
    after.loc[hit, "numerator"] = 12.0
    cause = root_cause_from_rows(before, after, ["platform", "region", "signup"], "ratio")
    assert [f.label for f in cause.findings] == ["platform=android × region=South"]
