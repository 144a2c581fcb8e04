"""A load whose later chunk (file, page) brings a column the first did not have: the staged rows
take the new column, the earlier rows hold NULL in it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from warehouse import Warehouse
from warehouse.ingest_meta import ensure_meta
from warehouse.loading import FileScan, LoadRequest, load_table


@pytest.fixture
def wh(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        ensure_meta(warehouse)
        yield warehouse


def _load(wh: Warehouse, source: str, chunks: list, mode: str = "append") -> None:
    load_table(wh, LoadRequest(source=source, table="t", run_id="r", chunks=chunks, mode=mode))


def test_a_later_file_adds_its_column(wh, tmp_path: Path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("id,amount\n1,2.5\n")
    second.write_text("id,amount,coupon\n2,4.0,SPRING\n")
    _load(wh, "shop", [FileScan((first,), "csv"), FileScan((second,), "csv")])
    got = wh.rows("SELECT id, amount, coupon FROM raw.shop__t ORDER BY id")
    assert got == [(1, 2.5, None), (2, 4.0, "SPRING")]


def test_a_later_page_adds_its_column_to_a_quoted_table_name(wh):
    pages = [pa.table({"id": [1]}), pa.table({"id": [2], "note": ["late"]})]
    _load(wh, 'w.e"b', pages, mode="replace")  # a dot and a quote in the name
    got = wh.rows('SELECT id, note FROM raw."w.e""b__t" ORDER BY id')
    assert got == [(1, None), (2, "late")]
