"""Every broken metrics.yml under tests/fixtures/broken is reported with the right line and words.

Each fixture is small_spec.yml trimmed down with exactly the problem(s) its name says. CASES lists
every issue each file must produce; a file producing anything else (a cascade, a wrong line) fails.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from metric_layer.errors import SpecError, SpecIssue
from metric_layer.loader import load_spec, parse_spec

FIXTURES = Path(__file__).parents[1] / "fixtures"
BROKEN = FIXTURES / "broken"

# What the warehouse holds; passed for every file so column checks run everywhere.
COLUMNS = {
    "raw.customers": {
        "customer_id": "BIGINT",
        "signed_up_at": "TIMESTAMP",
        "channel": "VARCHAR",
        "region": "VARCHAR",
    },
    "raw.orders": {
        "order_id": "BIGINT",
        "ordered_at": "TIMESTAMP WITH TIME ZONE",
        "customer_id": "BIGINT",
        "platform": "VARCHAR",
        "status": "VARCHAR",
        "amount": "DECIMAL(10,2)",
    },
    "raw.sessions": {
        "session_id": "BIGINT",
        "started_at": "TIMESTAMP",
        "customer_id": "BIGINT",
        "platform": "VARCHAR",
    },
}

# (file, line, substring of the message, key path or substring of the hint)
CASES: list[tuple[str, int, str, str]] = [
    # YAML syntax
    ("01_yaml_bad_indentation", 12, "mapping values are not allowed", "indent this key"),
    ("02_yaml_unclosed_quote", 19, "quoted string is never closed", "closing quote"),
    ("03_yaml_tab", 12, "tab character", "indent with spaces"),
    # unknown keys, with did-you-mean
    ("04_unknown_top_level_key", 3, "unknown key `timezone`", "did you mean `time_zone`?"),
    ("05_unknown_model_key", 13, "unknown key `descripton`", "did you mean `description`?"),
    ("06_unknown_metric_key", 20, "unknown key `filtr`", "did you mean `filter`?"),
    ("07_unknown_dimension_key", 17, "unknown key `colum`", "did you mean `column`?"),
    ("08_unknown_join_key", 17, "unknown key `foreign_keys`", "did you mean `foreign_key`?"),
    ("09_unknown_north_star_key", 24, "unknown key `target`", "did you mean `targets`?"),
    ("10_unknown_tree_node_key", 31, "unknown key `ownr`", "did you mean `owner`?"),
    # missing required keys
    ("11_missing_model_table", 10, "missing required key `table`", "models[1].table"),
    ("12_missing_primary_key", 5, "missing required key `primary_key`", "models[0].primary_key"),
    ("13_missing_metric_type", 20, "missing required key `type`", "simple, ratio, derived"),
    ("14_missing_simple_agg", 20, "missing required key `agg`", "metrics[1].agg"),
    ("15_missing_ratio_denominator", 21, "missing required key `denominator`", "metrics[2].denominator"),
    ("16_missing_retention_n", 21, "missing required key `n`", "metrics[2].n"),
    # invalid values
    ("17_invalid_metric_type", 20, "invalid metric type 'simpel'", "did you mean `simple`?"),
    ("18_invalid_agg", 20, "invalid value 'total'", "metrics[1].agg"),
    ("19_invalid_north_star_grain", 24, "invalid value 'weekly'", "did you mean `week`?"),
    ("20_invalid_format", 21, "invalid value 'percentage'", "did you mean `percent`?"),
    ("21_invalid_direction", 21, "invalid value 'up': input should be 'higher' or 'lower'", "metrics[2].direction"),
    ("22_invalid_name_uppercase", 21, "invalid name 'AOV'", "lower_snake_case"),
    ("23_invalid_table_no_schema", 11, "invalid table 'orders'", "schema.table"),
    # duplicates
    ("24_duplicate_metric_name", 21, "duplicate metric name `revenue`", "first defined on line 20"),
    ("25_duplicate_model_name", 10, "duplicate model name `customers`", "first defined on line 5"),
    ("26_duplicate_yaml_key", 13, "duplicate key `primary_key`", "first defined on line 12"),
    ("27_duplicate_dimension", 16, "duplicate dimension `platform`", "first defined on line 15"),
    # unknown references
    ("28_unknown_model_in_metric", 20, "unknown model `order`", "did you mean `orders`?"),
    ("29_unknown_model_in_join", 17, "unknown model `customer`", "did you mean `customers`?"),
    ("30_unknown_metric_in_ratio", 21, "unknown metric `revenu`", "did you mean `revenue`?"),
    ("31_unknown_metric_in_formula", 21, "unknown metric `order`", "did you mean `orders`?"),
    ("32_unknown_metric_in_north_star", 23, "unknown metric `oders`", "did you mean `orders`?"),
    ("33_unknown_metric_in_tree", 31, "unknown metric `buyer`", "did you mean `buyers`?"),
    # expressions
    ("34_unknown_function_in_formula", 21, "unknown function `prev`", "did you mean `previous`?"),
    ("35_formula_does_not_parse", 21, "cannot parse 'revenue / (orders': expecting )", "metrics[2].formula"),
    ("36_filter_does_not_parse", 19, "cannot parse \"status = = 'paid'\"", "metrics[0].filter"),
    # cycles and the driver tree
    ("37_derived_cycle", 21, "metric `a` depends on itself: a → b → a", "metrics[2]"),
    ("38_tree_cycle", 34, "driver tree cycle: `orders` is its own ancestor", "north_star.tree.children[0].children[0].metric"),
    ("39_tree_root_not_nsm", 28, "root must be the NSM `orders`, not `revenue`", "north_star.tree.metric"),
    ("40_tree_children_without_relation", 27, "node `orders` has children but no relation", "north_star.tree"),
    ("41_tree_ratio_three_children", 29, "ratio relation needs exactly two children", "`orders` has 3"),
    # time
    ("42_unknown_time_zone", 3, "unknown time zone `Asia/Shangai`", "did you mean `Asia/Shanghai`?"),
    ("43_model_without_time", 18, "model `orders` has no time column", "metrics[0].model"),
    ("43_model_without_time", 19, "model `orders` has no time column", "to model `orders` (line 10)"),
    ("44_window_zero", 21, "invalid value 0: input should be greater than or equal to 1", "1 to 366"),
    ("45_window_string", 21, "invalid value '30d'", "metrics[2].window"),
    # warehouse columns
    ("46_warehouse_unknown_table", 11, "unknown warehouse table `raw.order`", "did you mean `raw.orders`?"),
    ("47_warehouse_unknown_dimension_column", 15, "unknown column `platfrom` in raw.orders", "did you mean `platform`?"),
    ("48_warehouse_unknown_primary_key", 12, "unknown column `id` in raw.orders", "it has amount, customer_id"),
    ("49_warehouse_unknown_time_column", 13, "unknown column `order_at` in raw.orders", "did you mean `ordered_at`?"),
    ("50_warehouse_unknown_filter_column", 19, "unknown column or dimension `state`", "did you mean `status`?"),
    ("51_warehouse_sum_text_column", 20, "cannot sum `status`: it is VARCHAR, not a number", "count or count_distinct"),
    ("52_warehouse_time_column_text", 13, "time column `status` is VARCHAR", "models[1].time.column"),
    # several problems in one file: all reported, in line order (checked in test_exactly_...)
    ("53_several_problems", 3, "unknown time zone `Mars/Olympus`", "time_zone"),
    ("53_several_problems", 8, "unknown key `primary_kee`", "did you mean `primary_key`?"),
    ("53_several_problems", 21, "invalid value 'summ'", "did you mean `sum`?"),
    ("53_several_problems", 22, "unknown metric `order`", "did you mean `orders`?"),
    ("53_several_problems", 25, "invalid value 'fortnight'", "north_star.grain"),
    # a broken metric referenced by the NSM: its own error only
    ("54_no_cascade", 20, "invalid value 'total'", "metrics[1].agg"),
    ("55_model_name_as_metric", 21, "unknown metric `customers`", "is a model"),
    ("56_unknown_target_key", 25, "unknown key `form`", "did you mean `from`?"),
    ("57_unknown_metric_input_key", 21, "unknown key `filters`", "did you mean `filter`?"),
    ("58_unknown_dimension_in_ratio_filter", 21, "unknown dimension `chanel` in metric `revenue`", "did you mean `channel`?"),
    # aggregates in per-row SQL fail in DuckDB at query time (nested aggregate): refused here
    ("59_aggregate_in_expr", 20, "`sum(amount)` is an aggregate: expr is computed per row", "write `expr: amount / 100`"),
    ("60_aggregate_in_filter", 19, "`count(*)` is an aggregate: a filter keeps or drops one row", "metrics[0].filter"),
    ("60_aggregate_in_filter", 21, "`max(platform)` is an aggregate", "metrics[2].numerator.filter"),
    ("61_warehouse_unknown_column_names_listed_once", 20, "unknown column or dimension `xyz`", "platform, region"),
    ("62_unknown_cohort_model", 21, "unknown model `customer`", "did you mean `customers`?"),
    ("63_warehouse_unknown_entity_column", 21, "unknown column `custmer_id` in raw.orders", "did you mean `customer_id`?"),
]  # fmt: skip

WAREHOUSE_ONLY = sorted({c[0] for c in CASES if "_warehouse_" in c[0]})


@pytest.fixture(scope="module")
def issues_of():
    """Each fixture's issues, loaded once per run of this module. Not a module-level dict:
    mutmut runs each mutant's tests in a fork of the process that already ran them, which would
    inherit the issues the unmutated code found and never validate under the mutant."""
    cache: dict[str, list[SpecIssue]] = {}

    def issues(name: str) -> list[SpecIssue]:
        if name not in cache:
            with pytest.raises(SpecError) as info:
                load_spec(BROKEN / f"{name}.yml", columns=COLUMNS)
            cache[name] = info.value.issues
        return cache[name]

    return issues


def _matches(issue: SpecIssue, line: int, text: str, where: str) -> bool:
    return (
        issue.line == line
        and text in issue.message
        and (issue.path == where or where in (issue.hint or ""))
    )


@pytest.mark.parametrize(
    ("name", "line", "text", "where"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_broken_file_reports_issue(issues_of, name: str, line: int, text: str, where: str) -> None:
    issues = issues_of(name)
    assert any(_matches(i, line, text, where) for i in issues), "\n".join(map(str, issues))


@pytest.mark.parametrize("name", sorted(Counter(c[0] for c in CASES)))
def test_exactly_the_expected_issues_in_line_order(issues_of, name: str) -> None:
    expected = [c for c in CASES if c[0] == name]
    issues = issues_of(name)
    assert len(issues) == len(expected), "\n".join(map(str, issues))
    for issue, (_, line, text, where) in zip(issues, expected, strict=True):
        assert _matches(issue, line, text, where), str(issue)
    assert all(i.file.endswith(f"{name}.yml") for i in issues)


def test_every_broken_fixture_is_in_the_table() -> None:
    files = {p.stem for p in BROKEN.glob("*.yml")}
    assert files == {c[0] for c in CASES}
    assert len(files) >= 35


@pytest.mark.parametrize("name", WAREHOUSE_ONLY)
def test_warehouse_problems_need_the_columns(name: str) -> None:
    # Without the warehouse's columns these files are valid: the problem is only in the data.
    load_spec(BROKEN / f"{name}.yml")


def test_shipped_small_spec_is_valid() -> None:
    spec = load_spec(FIXTURES / "small_spec.yml")
    assert spec.north_star is not None and spec.north_star.metric == "orders"
    load_spec(FIXTURES / "small_spec.yml", columns=COLUMNS)


def test_reference_to_a_structurally_broken_metric_is_not_reported_again() -> None:
    text = (BROKEN / "54_no_cascade.yml").read_text()
    text += "  tree:\n    metric: revenue\n"
    text = text.replace(
        "  - {name: aov, type: ratio, numerator: revenue, denominator: orders}\n",
        "  - {name: aov, type: ratio, numerator: revenue, denominator: orders}\n"
        '  - {name: revenue_per_order, type: derived, formula: "revenue / orders"}\n',
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text, "metrics.yml", COLUMNS)
    issues = info.value.issues
    assert [(i.line, i.path) for i in issues] == [(20, "metrics[1].agg")], issues
    assert "revenue" not in " ".join(i.message for i in issues)


def test_names_in_a_hint_are_listed_once(issues_of) -> None:
    # `status` and `platform` are both columns and dimensions of the same name
    (issue,) = issues_of("61_warehouse_unknown_column_names_listed_once")
    names = (issue.hint or "").removeprefix("it has ").removesuffix(", …").split(", ")
    assert len(names) == len(set(names)), issue.hint


@pytest.mark.parametrize(
    ("expr", "agg", "hint"),
    [
        ("sum(total_cents) / 100", "sum", "the aggregation is `agg: sum` — write `expr: total_cents / 100`"),
        ("count(distinct customer_id)", "count_distinct", "write `expr: customer_id`"),
        ("avg(amount) * 2", "avg", "write `expr: amount * 2`"),
        ("count(*)", "count", "leave out expr to count rows"),
        ("sum(amount) over ()", "sum", "leave out expr"),
    ],
)  # fmt: skip
def test_aggregate_in_expr_hint_shows_the_per_row_expr(expr: str, agg: str, hint: str) -> None:
    text = (BROKEN / "59_aggregate_in_expr.yml").read_text()
    text = text.replace('agg: sum, expr: "sum(amount) / 100"', f'agg: {agg}, expr: "{expr}"')
    with pytest.raises(SpecError) as info:
        parse_spec(text, "metrics.yml")
    (issue,) = info.value.issues
    assert (issue.line, issue.path) == (20, "metrics[1].expr")
    assert hint in (issue.hint or ""), issue


def test_error_text_names_file_line_path_and_hint() -> None:
    with pytest.raises(SpecError) as info:
        load_spec(BROKEN / "30_unknown_metric_in_ratio.yml")
    text = str(info.value)
    assert (
        "30_unknown_metric_in_ratio.yml:21: metrics[2].numerator: unknown metric `revenu`" in text
    )
    assert "(did you mean `revenue`?)" in text
    assert "northstar validate" in text


def test_a_qualified_name_in_a_filter_must_be_a_dimension_of_a_joined_model() -> None:
    text = (BROKEN / "50_warehouse_unknown_filter_column.yml").read_text()
    text = text.replace("filter: \"state = 'paid'\"", "filter: \"customers.chanel = 'ads'\"")
    with pytest.raises(SpecError) as info:
        parse_spec(text, "metrics.yml", COLUMNS)
    (issue,) = info.value.issues
    assert (issue.line, issue.path) == (19, "metrics[0].filter")
    assert issue.message == "unknown dimension `customers.chanel`"
    assert issue.hint == "did you mean `customers.channel`?"
    # spelled right it is valid: customers.channel is a dimension of orders through its join
    parse_spec(text.replace("customers.chanel", "customers.channel"), "metrics.yml", COLUMNS)
