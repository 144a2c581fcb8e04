"""A MetricFrame's rows as JSON, numbers exactly as computed.

pandas' to_json writes Decimal values as strings and floats its integers when a column has a gap;
here integers stay integers, DECIMAL values are JSON numbers with every digit ("0.30", not
0.30000000000000004 nor "0.30"), missing values are null and dates ISO text.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd


def frame_json(frame: pd.DataFrame, indent: int | None = 2) -> str:
    """`frame` as a JSON array of row objects."""
    token = uuid.uuid4().hex  # marks decimal text to unquote; no data can contain it

    def plain(value: object) -> object:
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, Decimal):
            return None if value.is_nan() else f"{token}{value}{token}"
        if isinstance(value, np.integer | np.bool_):
            return value.item()
        if isinstance(value, float | np.floating):
            return None if math.isnan(value) or math.isinf(value) else float(value)
        if isinstance(value, date | pd.Timestamp):
            return value.isoformat()
        return value

    rows = [
        {str(k): plain(v) for k, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
    text = json.dumps(rows, indent=indent, ensure_ascii=False)
    return re.sub(f'"{token}([^"]*){token}"', r"\1", text)
