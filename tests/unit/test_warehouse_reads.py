"""Warehouse.arrow's row cap: the metric service asks every statement with max_rows so an oversized
answer is refused without being held in memory; the cap must cut exactly one row past it, keep the
statement's order and types, and leave answers under it whole."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from warehouse import Warehouse


@pytest.fixture
def wh(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def test_an_answer_over_the_cap_is_cut_one_row_past_it_in_its_order(wh):
    # 100,000 rows span many of DuckDB's 2,048-row vectors: the cut falls inside a later batch
    table = wh.arrow("SELECT range AS x FROM range(100000) ORDER BY x DESC", max_rows=5000)
    assert table.num_rows == 5001
    assert table.column("x").to_pylist() == list(range(99999, 99999 - 5001, -1))


def test_an_answer_under_or_at_the_cap_is_whole(wh):
    assert wh.arrow("SELECT range AS x FROM range(10)", max_rows=10).num_rows == 10
    assert wh.arrow("SELECT range AS x FROM range(3)", max_rows=10).column("x").to_pylist() == [
        0,
        1,
        2,
    ]


def test_a_capped_answer_keeps_exact_decimals_and_an_empty_one_its_columns(wh):
    table = wh.arrow("SELECT CAST(1.10 AS DECIMAL(12, 2)) AS amount, 'a' AS label", max_rows=10)
    assert table.schema.field("amount").type == pa.decimal128(12, 2)
    assert table.column("amount").to_pylist() == [Decimal("1.10")]
    empty = wh.arrow("SELECT 1::BIGINT AS a, 'x' AS b WHERE false", max_rows=10)
    assert empty.num_rows == 0 and empty.column_names == ["a", "b"]
    assert empty.schema.field("a").type == pa.int64()


def test_bound_values_reach_a_capped_statement(wh):
    table = wh.arrow("SELECT ? || 's' AS word", ["it'"], max_rows=1)
    assert table.column("word").to_pylist() == ["it's"]
