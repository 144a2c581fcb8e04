"""Alert rules from YAML: every problem reported at once with file, line, key path and a hint.

The rules refer to tests/fixtures/small_spec.yml (NSM `orders`, weekly target 10 from 2026-01-01;
orders have platform and size, and through customers channel and region). Expected lines are found
in the text by a marker, never computed by the code under test.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from test_cli import cli_env, run

from alerts.condition_types import Anomaly, Change, Freshness, TargetCondition, Threshold
from alerts.spec import AlertsConfig, load_alerts, parse_alerts_text
from metric_layer.errors import SpecError, SpecIssue
from metric_layer.loader import load_spec, parse_spec
from metric_layer.query import DimensionFilter

FIXTURES = Path(__file__).parents[1] / "fixtures"
SMALL_SPEC = FIXTURES / "small_spec.yml"
SPEC = load_spec(SMALL_SPEC)
SOURCES = {"shop", "crm"}

CONTRACT_EXAMPLE = """\
alerts:
  defaults: {channels: [in-app], repeat: 1 day, no_data: nodata}
  channels:
    growth-slack: {type: webhook, url: "${SLACK_WEBHOOK_URL}", format: slack}
    team-mail: {type: email, to: [growth@example.com]}
  rules:
    - name: nsm_below_target
      metric: orders
      grain: week
      condition: {target: below}
      severity: critical
      owners: [CEO]
      channels: [growth-slack, team-mail]
      summary: "Orders are below this quarter's weekly target"
    - name: conversion_anomaly
      metric: conversion
      grain: day
      split_by: region
      filters: {platform: [android, ios]}
      condition: {anomaly: {sensitivity: 3}}
      for: 2
      repeat: 12 hours
      no_data: ok
      labels: {team: growth}
    - name: aov_drop
      metric: aov
      grain: week
      condition: {change: {vs: last_year, absolute: 5, direction: bad}}
    - name: revenue_band
      metric: revenue
      condition: {outside: [100, 900], include_partial: true}
    - name: shop_data_fresh
      condition: {freshness: {source: shop, max_age: 6h}}
  report:
    schedule: "0 8 * * MON"
    channels: [team-mail, growth-slack]
"""


def problems(text: str, sources: set[str] | None = SOURCES) -> list[SpecIssue]:
    with pytest.raises(SpecError) as caught:
        parse_alerts_text(text, SPEC, "alerts.yml", sources)
    assert str(caught.value).startswith(f"alert rules have {len(caught.value.issues)} problem(s):")
    return caught.value.issues


def line_of(text: str, marker: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if marker in row)


def test_the_contract_example_reads_into_rules() -> None:
    config = parse_alerts_text(CONTRACT_EXAMPLE, SPEC, "alerts.yml", SOURCES)
    rules = {r.name: r for r in config.rules}
    assert list(rules) == [
        "nsm_below_target",
        "conversion_anomaly",
        "aov_drop",
        "revenue_band",
        "shop_data_fresh",
    ]
    nsm = rules["nsm_below_target"]
    assert (nsm.metric, nsm.grain, nsm.severity) == ("orders", "week", "critical")
    assert nsm.condition == TargetCondition("below")
    assert nsm.channels == ("growth-slack", "team-mail") and nsm.owners == ("CEO",)
    assert nsm.line == line_of(CONTRACT_EXAMPLE, "name: nsm_below_target")
    conv = rules["conversion_anomaly"]
    assert conv.split_by == "region" and conv.for_periods == 2 and conv.no_data == "ok"
    assert conv.filters == (DimensionFilter("platform", "in", ("android", "ios")),)
    assert conv.condition == Anomaly(sensitivity=3.0, direction="any", lookback=8)
    assert conv.repeat == timedelta(hours=12) and conv.labels == (("team", "growth"),)
    assert conv.channels == ("in-app",)  # from defaults
    aov = rules["aov_drop"]
    assert aov.condition == Change(vs="last_year", absolute=5.0, direction="bad")
    assert aov.repeat == timedelta(days=1)
    band = rules["revenue_band"]
    assert band.grain == "day"
    assert band.condition == Threshold("outside", 100.0, 900.0, include_partial=True)
    fresh = rules["shop_data_fresh"]
    assert fresh.metric is None
    assert fresh.condition == Freshness("shop", timedelta(hours=6))
    assert set(config.channels) == {"in-app", "growth-slack", "team-mail"}
    assert config.channels["growth-slack"].url == "${SLACK_WEBHOOK_URL}"  # never expanded here
    assert config.report is not None and config.report.channels == ("team-mail", "growth-slack")
    assert config.report.time_zone == "Asia/Shanghai"


# Every key of a rule wrong at once: each problem is reported, on its line, with its hint, and
# nothing else (no cascade: a misspelt key is not also "missing").
EVERY_KEY_WRONG = """\
alerts:
  defaults: {channels: [team-mial], repeat: 1 dya}
  channels:
    team-mail: {type: email, to: [growth@example.com]}
    ops-hook: {type: webhok, url: "${OPS_URL}"}
  rule: []
  rules:
    - name: one
      metrc: orders
      condition: {above: 5}
    - name: two
      metric: order
      condition: {above: 5}
    - name: three
      metric: orders
      grain: weekly
      condition: {above: 5}
    - name: four
      metric: orders
      split_by: regoin
      filters: {platfrom: ios}
      condition: {above: 5}
    - name: five
      metric: orders
      condition: {abov: 5}
    - name: six
      metric: orders
      condition: {above: 5, below: 1}
    - name: seven
      metric: orders
      condition: {change: {vs: previos, percent: 10}}
    - name: eight
      metric: orders
      condition: {change: {percent: 10, absolute: 5}}
    - name: nine
      metric: aov
      condition: {target: below}
    - name: ten
      metric: orders
      grain: day
      condition: {target: below}
    - name: eleven
      metric: orders
      condition: {anomaly: {sensitivity: 0}}
    - name: twelve
      condition: {freshness: {source: shoop, max_age: 6 hrs}}
    - name: thirteen
      metric: orders
      condition: {above: 5}
      channels: [team-mial]
      severity: critcal
      no_data: nodta
      repeat: 12 hourz
      for: 0
    - name: one
      metric: orders
      condition: {target: pace, include_partial: true}
    - name: fourteen
      metric: orders
      condition: {below: ten}
  report: {schedule: "0 8 * * MOON", channels: [in-app]}
"""

# (marker on the line, key path, words of the message, words of the hint)
# fmt: off
EXPECTED = [
    ("defaults: {channels", "alerts.defaults.repeat", "not a duration", "`6 hours`"),
    ("defaults: {channels", "alerts.defaults.channels[0]", "unknown channel `team-mial`", "did you mean `team-mail`?"),
    ("ops-hook", "alerts.channels.ops-hook.type", "unknown channel type 'webhok'", "webhook"),
    ("rule: []", "alerts.rule", "unknown key `rule`", "did you mean `rules`?"),
    ("metrc: orders", "alerts.rules[0].metrc", "unknown key `metrc`", "did you mean `metric`?"),
    ("metric: order\n", "alerts.rules[1].metric", "unknown metric `order`", "did you mean `orders`?"),
    ("grain: weekly", "alerts.rules[2].grain", "invalid value 'weekly'", "did you mean `week`?"),
    ("split_by: regoin", "alerts.rules[3].split_by", "`regoin` is not a dimension of metric `orders`", "did you mean `region`?"),
    ("filters: {platfrom", "alerts.rules[3].filters.platfrom", "`platfrom` is not a dimension", "did you mean `platform`?"),
    ("{abov: 5}", "alerts.rules[4].condition.abov", "unknown condition `abov`", "did you mean `above`?"),
    ("{above: 5, below: 1}", "alerts.rules[5].condition.below", "one condition per rule, found above and below", "outside: [low, high]"),
    ("vs: previos", "alerts.rules[6].condition.change.vs", "invalid value 'previos'", "did you mean `previous`?"),
    ("absolute: 5}}", "alerts.rules[7].condition.change", "exactly one of `percent` or `absolute`", "percent: 10"),
    ("condition: {target: below}", "alerts.rules[8].condition.target", "metric `aov` has no targets", "north_star"),
    ("grain: day", "alerts.rules[9].grain", "`orders` has no target per day", "set grain: week"),
    ("sensitivity: 0", "alerts.rules[10].condition.anomaly.sensitivity", "greater than 0", "robust standard deviations"),
    ("source: shoop", "alerts.rules[11].condition.freshness.max_age", "not a duration", "`30 minutes`"),
    ("source: shoop", "alerts.rules[11].condition.freshness.source", "unknown source `shoop`", "did you mean `shop`?"),
    ("      channels: [team-mial]", "alerts.rules[12].channels[0]", "unknown channel `team-mial`", "did you mean `team-mail`?"),
    ("severity: critcal", "alerts.rules[12].severity", "invalid value 'critcal'", "did you mean `critical`?"),
    ("no_data: nodta", "alerts.rules[12].no_data", "invalid value 'nodta'", "did you mean `nodata`?"),
    ("repeat: 12 hourz", "alerts.rules[12].repeat", "not a duration", "`6 hours`"),
    ("for: 0", "alerts.rules[12].for", "greater than or equal to 1", "in a row"),
    ("- name: one\n      metric: orders\n      condition: {target: pace", "alerts.rules[13].name", "duplicate rule name `one`", "first defined on line 8"),
    ("{target: pace, include_partial", "alerts.rules[13].condition.include_partial", "a target condition has no partial period", "pace"),
    ("{below: ten}", "alerts.rules[14].condition.below", "a number is needed", "below: 0.08"),
    ("MOON", "alerts.report.schedule", "cron '0 8 * * MOON' is invalid", "weekday 0 and 7 are Sunday"),
]
# fmt: on


def _line(text: str, marker: str) -> int:
    if "\n" in marker:  # a marker spanning lines: the line where it starts
        return text[: text.index(marker)].count("\n") + 1
    return line_of(text, marker)


def test_every_key_wrong_is_reported_once_with_line_and_hint() -> None:
    found = problems(EVERY_KEY_WRONG)
    unmatched = list(found)
    for marker, path, message, hint in EXPECTED:
        line = _line(EVERY_KEY_WRONG, marker)
        match = [
            i
            for i in unmatched
            if i.path == path and i.line == line and message in i.message and hint in (i.hint or "")
        ]
        assert match, (
            f"no issue {path} at line {line} with {message!r} / {hint!r}; got:\n"
            + "\n".join(str(i) for i in found)
        )
        unmatched.remove(match[0])
    assert unmatched == [], "unexpected issues:\n" + "\n".join(str(i) for i in unmatched)
    assert all(i.file == "alerts.yml" for i in found)
    assert [i.line for i in found] == sorted(i.line or 0 for i in found)  # in file order


def test_an_issue_reads_as_file_line_key_message_hint() -> None:
    text = "alerts:\n  rules:\n    - {name: x, metric: revenu, condition: {above: 1}}\n"
    [issue] = problems(text)
    assert str(issue) == (
        "alerts.yml:3: alerts.rules[0].metric: unknown metric `revenu` (did you mean `revenue`?)"
    )


def test_a_model_name_is_not_a_metric() -> None:
    text = "alerts:\n  rules:\n    - {name: x, metric: customers, condition: {above: 1}}\n"
    [issue] = problems(text)
    assert issue.hint == "`customers` is a model; name a metric defined under `metrics`"


def test_freshness_rules_take_no_metric_and_sources_are_checked_only_when_known() -> None:
    text = (
        "alerts:\n  rules:\n"
        "    - {name: f, metric: orders, split_by: region,"
        " condition: {freshness: {source: nowhere, max_age: 1 day}}}\n"
    )
    messages = {(i.path, i.message) for i in problems(text)}
    assert messages == {
        (
            "alerts.rules[0].metric",
            "a freshness rule watches a source, not a metric: remove `metric`",
        ),
        (
            "alerts.rules[0].split_by",
            "a freshness rule watches a source, not a metric: remove `split_by`",
        ),
        ("alerts.rules[0].condition.freshness.source", "unknown source `nowhere`"),
    }
    # Without a sources.yml the source cannot be checked; the rest still is.
    assert {i.path for i in problems(text, sources=None)} == {
        "alerts.rules[0].metric",
        "alerts.rules[0].split_by",
    }


def test_a_target_is_for_the_whole_metric() -> None:
    text = (
        "alerts:\n  rules:\n"
        "    - {name: t, metric: orders, split_by: region, condition: {target: below}}\n"
    )
    [issue] = problems(text)
    assert (issue.path, issue.message) == (
        "alerts.rules[0].split_by",
        "a target is set for the whole metric: remove `split_by`",
    )


def test_a_target_rule_defaults_to_the_targets_grain() -> None:
    text = "alerts:\n  rules:\n    - {name: t, metric: orders, condition: {target: pace}}\n"
    [rule] = parse_alerts_text(text, SPEC).rules
    assert rule.grain == "week" and rule.condition == TargetCondition("pace")


def test_a_condition_that_is_not_a_mapping_or_is_empty() -> None:
    text = (
        "alerts:\n  rules:\n"
        "    - {name: a, metric: orders, condition: {}}\n"
        "    - {name: b, metric: orders, condition: {change: 10}}\n"
        "    - {name: c, metric: orders, condition: above 5}\n"
    )
    issues = {(i.line, i.path): i for i in problems(text)}
    assert issues[(3, "alerts.rules[0].condition")].message.startswith("a condition needs one of")
    assert issues[(4, "alerts.rules[1].condition.change")].message == "`change` takes a mapping"
    assert "invalid value 'above 5'" in issues[(5, "alerts.rules[2].condition")].message


def test_yaml_syntax_error_names_the_line() -> None:
    text = "alerts:\n  rules:\n    - name: x\n     metric: orders\n"
    [issue] = problems(text)
    assert issue.line == 4 and "YAML syntax error" in issue.message


def test_alerts_section_of_metrics_yml_or_alerts_yml_but_not_both(tmp_path) -> None:
    shutil.copy(SMALL_SPEC, tmp_path / "metrics.yml")
    assert load_alerts(tmp_path / "metrics.yml", SPEC) == AlertsConfig()  # neither: no rules
    rule = "alerts:\n  rules:\n    - {name: r, metric: orders, condition: {above: 5}}\n"
    (tmp_path / "alerts.yml").write_text(rule)
    config = load_alerts(tmp_path / "metrics.yml", SPEC)
    assert [r.name for r in config.rules] == ["r"] and config.file == str(tmp_path / "alerts.yml")
    # The same section in metrics.yml too: one error naming both files.
    with_section = SMALL_SPEC.read_text() + rule
    (tmp_path / "metrics.yml").write_text(with_section)
    with pytest.raises(SpecError) as caught:
        load_alerts(tmp_path / "metrics.yml", SPEC)
    [issue] = caught.value.issues
    assert issue.file == str(tmp_path / "alerts.yml")
    assert str(tmp_path / "metrics.yml") in issue.message
    assert f"line {line_of(with_section, 'alerts:')}" in issue.message
    (tmp_path / "alerts.yml").unlink()
    config = load_alerts(tmp_path / "metrics.yml", SPEC)
    assert config.file == str(tmp_path / "metrics.yml")
    assert config.rules[0].line == line_of(with_section, "{name: r, metric: orders")


def test_alerts_yml_holds_only_alerts(tmp_path) -> None:
    text = "alert:\n  rules: []\n"
    [issue] = problems(text)
    assert (issue.line, issue.message, issue.hint) == (
        1,
        "unknown key `alert`",
        "did you mean `alerts`?",
    )


def test_sources_beside_metrics_yml_are_the_ones_freshness_may_watch(tmp_path) -> None:
    shutil.copy(SMALL_SPEC, tmp_path / "metrics.yml")
    (tmp_path / "sources.yml").write_text("sources:\n  - {name: shop, kind: files, path: x}\n")
    (tmp_path / "alerts.yml").write_text(
        "alerts:\n  rules:\n    - {name: f, condition: {freshness: {source: shoop, max_age: 1h}}}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_alerts(tmp_path / "metrics.yml", SPEC)
    assert [i.hint for i in caught.value.issues] == ["did you mean `shop`?"]


# -- metrics.yml keeps loading with the sections other packages own ---------------------------
def test_metrics_yml_accepts_alerts_and_okrs_sections() -> None:
    text = SMALL_SPEC.read_text() + "alerts:\n  rules: []\nokrs:\n  - {objective: grow}\n"
    spec = parse_spec(text)
    assert spec.metric_names == SPEC.metric_names
    assert spec.model_dump() == SPEC.model_dump()  # nothing of them enters the spec (or its hashes)


def test_a_misspelt_section_still_gets_a_hint() -> None:
    text = SMALL_SPEC.read_text() + "alert:\n  rules: []\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    [issue] = caught.value.issues
    assert (issue.message, issue.hint) == ("unknown key `alert`", "did you mean `alerts`?")


# -- northstar validate ------------------------------------------------------------------------
def test_validate_reports_alert_problems_and_exits_1(tmp_path) -> None:
    env = {**cli_env(tmp_path), "NORTHSTAR_METRICS": str(tmp_path / "not-here.yml")}
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(SMALL_SPEC, project / "metrics.yml")
    text = "alerts:\n  rules:\n    - {name: x, metric: ordres, condition: {above: 1}}\n"
    (project / "alerts.yml").write_text(text)
    result = run(["validate", str(project), "--no-warehouse"], env)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{project / 'alerts.yml'}:3: alerts.rules[0].metric: unknown metric `ordres` "
        "(did you mean `orders`?)"
    ]
    assert "1 problem(s) in the alert rules" in result.stderr
    (project / "alerts.yml").write_text(text.replace("ordres", "orders"))
    result = run(["validate", str(project), "--no-warehouse"], env)
    assert result.exit_code == 0, result.output
    assert f"{project / 'alerts.yml'}: 1 alert rules, 0 channels OK" in result.stdout


def test_the_shipped_alert_rules_are_valid() -> None:
    root = Path(__file__).parents[2]
    spec = load_spec(root / "metrics.yml")
    config = load_alerts(root / "metrics.yml", spec)
    assert config.file.endswith("alerts.yml") and len(config.rules) >= 5
