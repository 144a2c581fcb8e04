"""docs/metrics-yml.md documents every key metrics.yml accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from metric_layer import spec as s

DOC = Path(__file__).parents[2] / "docs" / "metrics-yml.md"

SPEC_MODELS: list[type[BaseModel]] = [
    s.Spec,
    s.Model,
    s.Dimension,
    s.TimeColumn,
    s.Join,
    s.MetricBase,
    s.SimpleMetric,
    s.RatioMetric,
    s.DerivedMetric,
    s.ActiveMetric,
    s.RetentionMetric,
    s.ConversionMetric,
    s.ConversionStep,
    s.CumulativeMetric,
    s.SnapshotMetric,
    s.MetricInput,
    s.Cohort,
    s.Target,
    s.TreeNode,
    s.NorthStar,
]


def yaml_keys(model: type[BaseModel]) -> list[str]:
    """Keys as written in YAML: the alias where there is one (Target.from_ is `from`)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def documented_keys(text: str) -> set[str]:
    """Keys in backticks: `key` on its own, or an item of a mapping span like `{from: …, value: 1}`."""
    keys = set()
    for span in re.findall(r"`([^`]+)`", text):
        if re.fullmatch(r"[a-z_]+", span):
            keys.add(span)
        elif span.startswith("{"):
            keys.update(re.findall(r"[{,]\s*([a-z_]+)\s*(?=[:,}])", span))
    return keys


def test_documented_keys_reads_mapping_spans() -> None:
    text = "`time` `{column: ordered_at, time_zone: UTC}` `{name, label}` `raw.shop__orders`"
    assert documented_keys(text) == {"time", "column", "time_zone", "name", "label"}


@pytest.mark.parametrize("model", SPEC_MODELS, ids=lambda m: m.__name__)
def test_every_spec_key_is_documented(model: type[BaseModel]) -> None:
    documented = documented_keys(DOC.read_text(encoding="utf-8"))
    missing = [key for key in yaml_keys(model) if key not in documented]
    assert not missing, f"{DOC.name} does not mention {missing} (keys of {model.__name__})"


def test_alias_is_used_for_target_from() -> None:
    assert "from" in yaml_keys(s.Target) and "from_" not in yaml_keys(s.Target)


def test_all_metric_classes_are_covered() -> None:
    # A new metric type added to the Metric union must be added to SPEC_MODELS (and the doc).
    union = s.Metric.__origin__  # Annotated[Union[...], ...]
    assert set(union.__args__) <= set(SPEC_MODELS)


ROOT = Path(__file__).parents[2]


def test_fresh_clone_has_the_data_folder_and_make_install_is_documented() -> None:
    import subprocess

    assert (ROOT / "data" / "README.md").is_file()

    # tracked, not ignored: a fresh clone has data/ (git exits 1 when the path is not ignored)
    def ignored(path: str) -> bool:
        return (
            subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode
            == 0
        )

    # (`make mutation` runs the tests in mutants/, an ignored copy: everything there is ignored)
    if not ignored("."):
        assert not ignored("data/README.md")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make install" in readme and "data/README.md" in readme
    assert re.search(r"^install:", (ROOT / "Makefile").read_text(), re.MULTILINE)


@pytest.mark.parametrize(
    "phrase",
    [
        "read as UTC unless",  # naive timestamps
        "`entity` is the column of `activity_model`",  # what a retention cohort member is
        "**Empty periods.**",  # when empty periods are 0, with and without --by
        "with or without `--by`",
    ],
)
def test_metrics_doc_explains(phrase: str) -> None:
    assert phrase in DOC.read_text(encoding="utf-8")
