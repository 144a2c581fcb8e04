"""Warehouse.transaction's append_table: rows are added by column name, and a failed transaction
leaves the table as it was."""

from __future__ import annotations

import contextlib

import pandas as pd
import pyarrow as pa
import pytest

from warehouse import Warehouse, WarehouseError


def test_append_adds_rows_by_name_to_what_is_there():
    with Warehouse() as wh:
        wh.replace_table("raw.orders", pd.DataFrame({"id": [1], "amount": [2.5]}))
        with wh.transaction() as tx:
            # columns in another order, as a later page may bring them
            tx.append_table("raw.orders", pd.DataFrame({"amount": [4.0, 1.25], "id": [2, 3]}))
            tx.append_table("raw.orders", pa.table({"id": [4], "amount": [0.5]}))
        got = wh.frame("SELECT id, amount FROM raw.orders ORDER BY id")
        assert got["id"].tolist() == [1, 2, 3, 4]
        assert got["amount"].tolist() == [2.5, 4.0, 1.25, 0.5]


def test_a_failed_transaction_appends_nothing():
    with Warehouse() as wh:
        wh.replace_table("raw.orders", pd.DataFrame({"id": [1], "amount": [2.5]}))
        with pytest.raises(WarehouseError), wh.transaction() as tx:
            tx.append_table("raw.orders", pd.DataFrame({"id": [2], "amount": [4.0]}))
            # fails: the incoming data is not left behind as a view once appended
            tx.execute("SELECT count(*) FROM _northstar_incoming")
        assert wh.rows("SELECT id FROM raw.orders") == [(1,)]


def test_append_refuses_a_name_that_is_not_schema_dot_table():
    with (
        Warehouse() as wh,
        wh.transaction() as tx,
        pytest.raises(WarehouseError, match=r"schema\.table"),
    ):
        tx.append_table("orders; DROP TABLE x", pd.DataFrame({"id": [1]}))


def test_an_error_caught_inside_a_transaction_still_fails_it():
    """DuckDB aborts the transaction at its first error; its COMMIT then silently rolls back.
    Catching the error inside must not make the statements before it look written."""
    with Warehouse() as wh:
        wh.replace_table("raw.orders", pd.DataFrame({"id": [1], "amount": [2.5]}))
        with (
            pytest.raises(WarehouseError, match="none of it was written"),
            wh.transaction() as tx,
        ):
            tx.append_table("raw.orders", pd.DataFrame({"id": [2], "amount": [4.0]}))
            with contextlib.suppress(WarehouseError):  # a caller deciding the query was optional
                tx.rows("SELECT no_such_column FROM raw.orders")
        assert wh.rows("SELECT id FROM raw.orders") == [(1,)]
        with wh.transaction() as tx:  # the next transaction is unaffected
            tx.append_table("raw.orders", pd.DataFrame({"id": [3], "amount": [1.0]}))
        assert wh.rows("SELECT id FROM raw.orders ORDER BY id") == [(1,), (3,)]
