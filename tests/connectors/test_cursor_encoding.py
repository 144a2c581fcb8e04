"""warehouse.ingest_meta's cursor text: the next run reads back the value it stored, of the same
type, so an incremental load compares a date with a date and a decimal with a decimal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from warehouse.ingest_meta import decode_cursor, encode_cursor


@pytest.mark.parametrize(
    "value",
    [
        date(2026, 1, 8),
        datetime(2026, 1, 8, 12, 30, 5),
        Decimal("1234.50"),
        42,
        2.5,
        "order-17",
    ],
    ids=["date", "datetime", "decimal", "int", "float", "str"],
)
def test_a_cursor_reads_back_as_the_value_and_type_it_was(value):
    back = decode_cursor(encode_cursor(value))
    assert back == value and type(back) is type(value)


def test_a_decimal_keeps_its_digits_and_a_date_stays_a_day():
    assert str(decode_cursor(encode_cursor(Decimal("0.10")))) == "0.10"  # not 0.1 as a float
    assert decode_cursor('{"type": "date", "value": "2026-01-08"}') == date(2026, 1, 8)
    assert decode_cursor('{"type": "decimal", "value": "7.25"}') == Decimal("7.25")
    assert decode_cursor('{"type": "datetime", "value": "2026-01-08T12:30:00"}') == datetime(
        2026, 1, 8, 12, 30
    )


def test_other_values_are_kept_as_text_and_no_cursor_is_none():
    assert decode_cursor(encode_cursor(True)) == "True"  # a bool is not an int cursor
    assert decode_cursor(None) is None
