"""docs/alerts.md documents every key the alerts YAML accepts, and every kind of condition."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from test_docs import documented_keys, yaml_keys

from alerts import spec_models as m
from alerts.condition_types import CONDITION_KINDS

DOC = Path(__file__).parents[2] / "docs" / "alerts.md"
MODELS: list[type[BaseModel]] = [
    m.AlertsSection,
    m.Defaults,
    m.RuleEntry,
    m.ReportEntry,
    m.ChangeEntry,
    m.AnomalyEntry,
    m.FreshnessEntry,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_alert_key_is_documented(model: type[BaseModel]) -> None:
    documented = documented_keys(DOC.read_text(encoding="utf-8"))
    missing = [key for key in yaml_keys(model) if key not in documented]
    assert not missing, f"{DOC.name} does not mention {missing} (keys of {model.__name__})"


def test_every_condition_kind_and_channel_key_is_documented() -> None:
    documented = documented_keys(DOC.read_text(encoding="utf-8"))
    wanted = [*CONDITION_KINDS, "include_partial", "type", "url", "format", "headers", "to"]
    assert [k for k in wanted if k not in documented] == []
