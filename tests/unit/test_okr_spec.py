"""OKRs in YAML are validated like metrics.yml: every problem at once, each as
`file:line: key: message (hint)` with did-you-mean; the seeds' 2-4 key results are a warning that
`northstar validate` prints without failing; `okrs:` in metrics.yml and okrs.yml both is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import build_cli
from metric_layer.errors import SpecError
from metric_layer.loader import parse_spec
from okrs.quarters import Quarter
from okrs.spec import load_okrs, parse_okrs_text

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests/fixtures/small_spec.yml"
# The small shop plus a metric that states it should fall, and one that states nothing.
SPEC_TEXT = SMALL.read_text().replace(
    "metrics:\n",
    "metrics:\n"
    "  - {name: refunds, type: simple, model: orders, agg: count, "
    "filter: \"status = 'refunded'\", direction: lower}\n"
    "  - {name: all_orders, type: simple, model: orders, agg: count}\n",
    1,
)
SPEC = parse_spec(SPEC_TEXT, "metrics.yml")


def issues_of(text: str) -> list[tuple[int | None, str, str, str | None]]:
    with pytest.raises(SpecError) as raised:
        parse_okrs_text(text, SPEC)
    return [(i.line, i.path, i.message, i.hint) for i in raised.value.issues]


BROKEN = """\
okrs:
  - id: grow
    title: Grow
    owner: CEO
    quarter: 2026-Q4
    type: committed
    key_results:
      - {id: a, title: A, metric: ordrs, baseline: 1, target: 2}
      - {id: b, title: B, metric: orders, filters: {platfrom: ios}, baseline: 1, target: 2}
      - {id: c, title: C, metric: refunds, direction: higher, baseline: 1, target: 2}
      - {id: d, title: D, metric: refunds, baseline: 5, target: 8}
  - id: team
    title: Team
    owner: Mia
    quarter: 2026-Q3
    parent: grow
    key_results:
      - {id: e, title: E, manual: true, baseline: 0, target: 4}
      - {id: f, title: F, manual: true, unit: x, metric: orders, baseline: 0, target: 4}
      - {id: g, title: G, metric: revenue, read: to_date, grain: week, baseline: 0, target: 9}
      - {id: h, title: H, metric: orders, read: lastest, baseline: 3, target: 3}
  - id: person
    title: Person
    owner: Ana
    quarter: 2026-q4
    type: aspirationl
    parent: gorw
    descripton: typo
    key_results:
      - {id: i, title: I, metric: customers, baseline: 1, target: 2}
      - {id: i, title: I again, metric: orders, baseline: 1, target: 2}
  - id: grow
    title: Twice
    owner: x
    quarter: 2026-Q4
"""


def test_every_problem_with_its_line_key_and_hint() -> None:
    found = issues_of(BROKEN)
    expected = [
        (8, "okrs[0].key_results[0].metric", "unknown metric `ordrs`", "did you mean `orders`?"),
        (
            9,
            "okrs[0].key_results[1].filters.platfrom",
            "`platfrom` is not a dimension of metric `orders`",
            "did you mean `platform`?",
        ),
        (
            10,
            "okrs[0].key_results[2].direction",
            "metric `refunds` says direction: lower; a key result cannot override it",
            "remove `direction` here (it comes from metrics.yml)",
        ),
        (
            11,
            "okrs[0].key_results[3].target",
            "target 8 is above baseline 5, but metric `refunds` should fall",
            None,
        ),
        (
            15,
            "okrs[1].quarter",
            "`team` is for 2026-Q3 but its parent `grow` is for 2026-Q4",
            "align to an objective of the same quarter (or leave `quarter` out: an objective "
            "with a parent takes its quarter)",
        ),
        (18, "okrs[1].key_results[0].unit", "a manual key result needs `unit`", None),
        (
            19,
            "okrs[1].key_results[1].metric",
            "a manual key result has no metric to read: remove `metric`",
            "or remove `manual: true` to read it from a metric",
        ),
        (
            20,
            "okrs[1].key_results[2].grain",
            "`read: to_date` reads the quarter so far as one number; it takes no grain",
            None,
        ),
        (21, "okrs[1].key_results[3].read", "invalid value 'lastest'", "did you mean `latest`?"),
        (25, "okrs[2].quarter", "invalid value '2026-q4'", None),
        (26, "okrs[2].type", "invalid value 'aspirationl'", "did you mean `aspirational`?"),
        (28, "okrs[2].descripton", "unknown key `descripton`", "did you mean `description`?"),
        (
            30,
            "okrs[2].key_results[0].metric",
            "unknown metric `customers`",
            "`customers` is a model; name a metric defined under `metrics`",
        ),
        (
            31,
            "okrs[2].key_results[1].id",
            "duplicate key result id `i`",
            "first defined on line 30",
        ),
        (32, "okrs[3].id", "duplicate objective id `grow`", "first defined on line 2"),
    ]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for (line, path, message, hint), want in zip(found, expected, strict=True):
        assert (line, path) == want[:2], (line, path, message)
        assert message.startswith(want[2]), (message, want[2])
        if want[3] is not None:
            assert hint == want[3], (hint, want[3])
    # The wrong quarter says how to write one. `person`'s unknown parent is not reported: its
    # entry is already invalid. Key result `h` (baseline = target) stops at its bad `read`.
    assert "write a quarter as YYYY-Qn" in found[9][2]


def test_parents_levels_and_cycles() -> None:
    text = """\
okrs:
  - {id: c, title: C, owner: x, quarter: 2026-Q4, parent: mdi, key_results: []}
  - {id: a, title: A, owner: x, quarter: 2026-Q4, parent: b, key_results: []}
  - {id: b, title: B, owner: x, quarter: 2026-Q4, parent: a, key_results: []}
  - {id: top, title: T, owner: x, quarter: 2026-Q4, key_results: []}
  - {id: mid, title: M, owner: x, quarter: 2026-Q4, parent: top, level: company, key_results: []}
  - {id: p, title: P, owner: x, quarter: 2026-Q4, parent: top, level: person, key_results: []}
  - {id: below, title: B, owner: x, quarter: 2026-Q4, parent: p, key_results: []}
  - {id: tops, title: T, owner: x, quarter: 2026-Q4, key_results: []}
  - {id: when, title: W, owner: x, key_results: []}
"""
    found = issues_of(text)
    assert [(line, path) for line, path, _, _ in found] == [
        (2, "okrs[0].parent"),
        (4, "okrs[2].parent"),  # a → b → a, reported once, where it closes
        (6, "okrs[4].level"),
        (8, "okrs[6].parent"),
        (10, "okrs[8].quarter"),
    ]
    assert found[0][2:] == ("unknown parent objective `mdi`", "did you mean `mid`?")
    assert found[1][2].startswith("objectives align in a circle: a → b → a")
    assert "a company objective, so it must sit below it" in found[2][2]
    assert "a person objective" in found[3][2]
    assert found[4][2:] == (
        "missing required key `quarter`",
        "the quarter it is for, e.g. quarter: 2026-Q4 (objectives with a parent take their "
        "parent's)",
    )


def test_levels_follow_the_parents_and_directions_the_metrics() -> None:
    text = """\
okrs:
  - id: company
    title: C
    owner: CEO
    quarter: 2026-Q4
    key_results:
      - {id: refunds_down, title: R, metric: refunds, baseline: 40, target: 20}
      - {id: orders_up, title: O, metric: all_orders, baseline: 40, target: 60}
  - id: team
    title: T
    owner: lead
    quarter: 2026-Q4
    parent: company
    key_results:
      - {id: fewer, title: F, metric: all_orders, direction: lower, baseline: 40, target: 30}
      - {id: inferred, title: I, manual: true, unit: bugs, baseline: 12, target: 3}
  - id: person
    title: P
    owner: ana
    parent: team
    key_results:
      - {id: same, title: S, metric: refunds, direction: lower, baseline: 4, target: 2}
      - {id: ios, title: I, metric: orders, filters: {platform: [ios, web]}, read: average, grain: month, baseline: 4, target: 9}
"""
    config = parse_okrs_text(text, SPEC)
    assert [(o.id, o.level) for o in config.objectives] == [
        ("company", "company"),
        ("team", "team"),
        ("person", "person"),
    ]
    directions = {kr.id: kr.direction for o in config.objectives for kr in o.key_results}
    assert directions == {
        "refunds_down": "lower",  # stated by the metric
        "orders_up": "higher",  # the metric states none: baseline → target rises
        "fewer": "lower",  # the metric states none: the key result may say
        "inferred": "lower",  # manual: 12 → 3 falls
        "same": "lower",  # the same as the metric's: not an override
        "ios": "higher",
    }
    ios = config.objective("person").key_result("ios")
    assert (ios.read, ios.grain, [(f.dimension, f.op, f.values) for f in ios.filters]) == (
        "average",
        "month",
        [("platform", "in", ("ios", "web"))],
    )
    assert config.objective("company").key_result("orders_up").grain == "week"  # the NSM's
    # `person` leaves its quarter out: its parent's
    assert [o.quarter for o in config.objectives] == [Quarter(2026, 4)] * 3
    assert config.warnings == ()


def test_two_to_four_key_results_is_advice_not_an_error() -> None:
    krs = "\n".join(
        f"      - {{id: k{i}, title: K, metric: orders, baseline: 1, target: 2}}" for i in range(5)
    )
    text = f"""\
okrs:
  - id: one
    title: One
    owner: x
    quarter: 2026-Q4
    key_results:
      - {{id: k, title: K, metric: orders, baseline: 1, target: 2}}
  - id: five
    title: Five
    owner: x
    quarter: 2026-Q4
    key_results:
{krs}
"""
    config = parse_okrs_text(text, SPEC)
    assert len(config.objectives) == 2
    assert [(w.line, w.path) for w in config.warnings] == [
        (6, "okrs[0].key_results"),
        (12, "okrs[1].key_results"),
    ]
    assert str(config.warnings[0]) == (
        "okrs.yml:6: okrs[0].key_results: warning: 1 key result(s); the seeds advise 2-4 per "
        "objective (fewer than 2 rarely show the objective is met; more than 4 split the focus)"
    )


def test_the_section_and_the_file_cannot_both_define_okrs(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.yml"
    metrics.write_text(SPEC_TEXT + "\nokrs: []\n")
    assert load_okrs(metrics, SPEC).defined
    (tmp_path / "okrs.yml").write_text("okrs: []\n")
    with pytest.raises(SpecError) as raised:
        load_okrs(metrics, SPEC)
    [issue] = raised.value.issues
    assert issue.file == str(tmp_path / "okrs.yml")
    assert f"OKRs are defined twice: here and in {metrics}" in issue.message
    assert "keep one" in (issue.hint or "")
    metrics.write_text(SPEC_TEXT)  # only okrs.yml now
    assert load_okrs(metrics, SPEC).defined
    (tmp_path / "okrs.yml").unlink()
    assert not load_okrs(metrics, SPEC).defined  # neither: no OKRs, no error


def test_okrs_yml_holds_only_okrs_and_a_list() -> None:
    assert [i[1:3] for i in issues_of("okr: []\n")] == [("okr", "unknown key `okr`")]
    assert issues_of("okrs: {grow: 1}\n")[0][2] == "`okrs` must be a list of objectives"
    assert issues_of("okrs:\n  - just text\n")[0][2] == "an objective must be a mapping"
    assert issues_of("okrs: [\n")[0][2].startswith("YAML syntax error")


def test_the_metric_layer_passes_the_section_through() -> None:
    spec = parse_spec(SPEC_TEXT + "\nokrs:\n  - {id: x}\n", "metrics.yml")
    assert spec.metric_names  # the metric layer neither reads nor refuses `okrs:`


runner = CliRunner()


def test_validate_prints_warnings_and_passes_and_fails_on_problems(tmp_path: Path) -> None:
    shutil.copyfile(SMALL, tmp_path / "metrics.yml")
    okrs = tmp_path / "okrs.yml"
    okrs.write_text(
        "okrs:\n  - id: one\n    title: One\n    owner: x\n    quarter: 2026-Q1\n"
        "    key_results:\n      - {id: k, title: K, metric: orders, baseline: 1, target: 2}\n"
    )
    env = {"NORTHSTAR_SETTINGS": str(tmp_path / "none.toml")}
    ok = runner.invoke(build_cli(), ["validate", str(tmp_path), "--no-warehouse"], env=env)
    assert ok.exit_code == 0, ok.output
    lines = ok.stdout.splitlines()
    assert f"{okrs}:6: okrs[0].key_results: warning: 1 key result(s)" in lines[1]
    assert lines[2] == f"{okrs}: 1 objectives, 1 key results OK, 1 warning(s)"
    okrs.write_text(okrs.read_text().replace("metric: orders", "metric: order"))
    bad = runner.invoke(build_cli(), ["validate", str(tmp_path), "--no-warehouse"], env=env)
    assert bad.exit_code == 1
    assert (
        f"{okrs}:7: okrs[0].key_results[0].metric: unknown metric `order` "
        "(did you mean `orders`?)" in bad.stdout.splitlines()
    )
    assert "1 problem(s) in the OKRs" in bad.stderr


def test_a_key_result_needs_a_change_and_a_title() -> None:
    found = issues_of(
        "okrs:\n  - id: o\n    title: O\n    owner: x\n    quarter: 2026-Q4\n    key_results:\n"
        "      - {id: same, title: S, metric: orders, baseline: 3, target: 3}\n"
        "      - {id: untitled, metric: orders, baseline: 1, target: 2}\n"
        "      - {id: text, title: T, metric: orders, baseline: '9,000', target: 2}\n"
    )
    assert [(line, path, message) for line, path, message, _ in found] == [
        (
            7,
            "okrs[0].key_results[0].target",
            "target equals baseline (3): there is no progress to measure",
        ),
        (8, "okrs[0].key_results[1].title", "missing required key `title`"),
        (
            9,
            "okrs[0].key_results[2].baseline",
            "invalid value '9,000': input should be a valid number, unable to parse string as a number",
        ),
    ]


def test_every_okrs_key_is_documented() -> None:
    import re

    from okrs.spec_models import KeyResultEntry, ObjectiveEntry
    from tests.unit.test_docs import documented_keys, yaml_keys

    text = (ROOT / "docs/okrs.md").read_text(encoding="utf-8")
    documented = documented_keys(re.sub(r"```.*?```", "", text, flags=re.S))  # prose, not examples
    for model in (ObjectiveEntry, KeyResultEntry):
        missing = [key for key in yaml_keys(model) if key not in documented]
        assert not missing, f"docs/okrs.md does not mention {missing} (keys of {model.__name__})"


def test_the_shipped_okrs_are_valid() -> None:
    from metric_layer.loader import load_spec

    metrics = ROOT / "metrics.yml"
    config = load_okrs(metrics, load_spec(metrics))
    assert len(config.objectives) == 4 and config.warnings == ()
    assert {o.level for o in config.objectives} == {"company", "team", "person"}
    assert {str(o.quarter) for o in config.objectives} == {"2026-Q4"}
