"""Semantics.models_of_metric: every model a metric reads, through its inputs and its models'
joins (the lineage page lists them). Expected lists are read off small_spec.yml by hand."""

from __future__ import annotations

import pytest

from metric_layer.loader import load_spec
from metric_layer.semantics import Semantics
from tests.conftest import SPEC_PATH


@pytest.fixture(scope="module")
def sem() -> Semantics:
    return Semantics(load_spec(SPEC_PATH))


@pytest.mark.parametrize(
    ("metric", "models"),
    [
        ("orders", ["orders", "customers"]),  # orders joins customers (channel, region)
        ("visitors", ["sessions", "customers"]),
        ("aov", ["orders", "customers"]),  # a ratio: its inputs' models, once
        ("conversion", ["orders", "customers", "sessions"]),  # buyers / visitors
        ("revenue_growth", ["orders", "customers"]),  # a derived formula with previous()
        ("stickiness", ["sessions", "customers"]),  # active metrics dau / mau
        ("d1_retention", ["customers", "sessions"]),  # cohort model, then activity model
        ("w1_retention", ["sessions", "customers"]),  # no cohort model: activity only
    ],
)
def test_models_of_a_metric(sem, metric, models):
    assert sem.models_of_metric(metric) == models


def test_an_unknown_metric_reads_no_model(sem):
    assert sem.models_of_metric("nope") == []
