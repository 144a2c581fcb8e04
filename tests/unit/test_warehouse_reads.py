"""Warehouse.arrow's row cap: the metric service asks every statement with max_rows so an oversized
answer is refused without being held in memory; the cap must cut exactly one row past it, keep the
statement's order and types, and leave answers under it whole. A read-only warehouse keeps each
statement bound between runs (warehouse/bound_statements.py): its answers must be the same as a
fresh statement's, after a cut, a failure, between threads and after many statements."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pyarrow as pa
import pytest

from warehouse import Warehouse
from warehouse.bound_statements import RELATIONS_PER_SESSION
from warehouse.connection import WarehouseError


@pytest.fixture(params=["read-write", "read-only"])
def wh(tmp_path, request):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    with Warehouse(path, read_only=request.param == "read-only") as warehouse:
        yield warehouse


@pytest.fixture
def frozen(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as writable:
        writable.execute("CREATE TABLE t AS SELECT range AS x FROM range(100000)")
    with Warehouse(path, read_only=True) as warehouse:
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


def test_a_statement_cut_short_leaves_its_cursor_free_for_the_next_run(frozen):
    sql = "SELECT x FROM t ORDER BY x"
    assert frozen.arrow(sql, max_rows=10).num_rows == 11  # its reader is left mid-answer
    assert frozen.arrow(sql, max_rows=10).column("x").to_pylist() == list(range(11))
    assert frozen.arrow(sql).num_rows == 100000
    assert frozen.arrow("SELECT sum(x) AS s FROM t", max_rows=10).column("s").to_pylist() == [
        sum(range(100000))
    ]


def test_a_failed_statement_is_a_warehouse_error_and_the_next_one_runs(frozen):
    with pytest.raises(WarehouseError, match="nope"):
        frozen.arrow("SELECT nope FROM t", max_rows=10)
    with pytest.raises(WarehouseError, match=r"(?i)division by zero"):
        frozen.arrow("SELECT CAST(1 AS DECIMAL) // (x - x) AS y FROM t", max_rows=10)
    assert frozen.arrow("SELECT count(*) AS n FROM t", max_rows=10).column("n").to_pylist() == [
        100000
    ]


def test_threads_reading_at_once_each_get_their_own_answer(frozen):
    def answer(k: int) -> list[int]:
        sql = f"SELECT count(*) AS n FROM t WHERE x % 97 = {k}"
        return [frozen.arrow(sql, max_rows=5).column("n").to_pylist() for _ in range(20)]

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(answer, range(24)))
    expected = [sum(1 for x in range(100000) if x % 97 == k) for k in range(24)]
    assert got == [[[n]] * 20 for n in expected]


def test_many_distinct_statements_keep_a_bounded_number_bound(frozen):
    for k in range(RELATIONS_PER_SESSION * 3):
        got = frozen.arrow(f"SELECT {k} AS k, count(*) AS n FROM t", max_rows=1)
        assert got.to_pylist() == [{"k": k, "n": 100000}]
    sessions = frozen._bound._idle
    assert sessions and all(len(s.relations) <= RELATIONS_PER_SESSION for s in sessions)
    # the most recent statement is still bound (it runs again from its relation)
    assert f"SELECT {RELATIONS_PER_SESSION * 3 - 1} AS k, count(*) AS n FROM t" in (
        sessions[-1].relations
    )


def test_a_closed_warehouse_refuses_with_an_error_not_a_crash(frozen):
    frozen.arrow("SELECT 1 AS one", max_rows=1)
    frozen.close()
    with pytest.raises(WarehouseError):
        frozen.arrow("SELECT 1 AS one", max_rows=1)
