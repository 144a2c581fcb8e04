"""The type of each metric's values in a MetricFrame, the same on the rollup and the raw path.

Counts (count, count_distinct, active entities on a day) are integers: a nullable Int64 column,
<NA> where there is no value. Sums, mins and maxes of DECIMAL columns are exact: Python Decimal
objects (None where there is no value), so CSV and JSON print what the warehouse summed, not a
float's neighbour. Sums of integer columns are Int64. A derived formula without a division keeps
its inputs' type (returning = active − new buyers is a count; revenue − cogs of DECIMAL columns is
exact), and so do cumulative metrics (a running count is a count, a running DECIMAL sum exact) and
snapshot metrics (their `agg` on one day), unless averaged over days. Everything else (averages,
ratios, quotients, retention, sums of DOUBLE) is float64 with NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    CumulativeMetric,
    DerivedMetric,
    SimpleMetric,
    SnapshotMetric,
)

Kind = Literal["integer", "decimal", "double"]


@dataclass(frozen=True)
class ValueType:
    kind: Kind
    scale: int = 0  # digits after the point of a decimal

    def zero(self) -> object:
        """0 in this type: what a period without rows holds for a zero-when-empty metric."""
        if self.kind == "decimal":
            return Decimal(0).scaleb(-self.scale)
        return 0 if self.kind == "integer" else 0.0

    def column(self, values: pd.Series) -> pd.Series:
        """`values` (as fetched, merged and filled: NaN/None where missing) in this type."""
        if self.kind == "double":
            if values.dtype == "float64":
                return values
            return pd.to_numeric(values, errors="coerce").astype("float64")
        if self.kind == "integer":
            if isinstance(values.dtype, np.dtype) and values.dtype.kind == "i":
                # BIGINT with no missing value: a copy (the fetched array may be Arrow's,
                # read-only) under an empty mask; a quarter of astype("Int64")'s cost
                ints = np.array(values.to_numpy(), dtype=np.int64)
                mask = np.zeros(len(ints), dtype=bool)
                return pd.Series(pd.arrays.IntegerArray(ints, mask), index=values.index)
            if values.dtype.kind == "i":  # already Int64
                return values
            ints = [None if _missing(v) else int(v) for v in values]
            return pd.Series(pd.array(ints, dtype="Int64"), index=values.index)
        exact = [None if _missing(v) else _decimal(v, self.scale) for v in values]
        return pd.Series(exact, index=values.index, dtype=object)


def value_type(metric: object, grain: str, result: pa.DataType | None) -> ValueType:
    """The type of `metric`'s values at `grain`, given the SQL result's type of its value."""
    if isinstance(metric, SimpleMetric):
        if metric.agg in ("count", "count_distinct"):
            return ValueType("integer")
        if metric.agg in ("sum", "min", "max") and result is not None:
            return _from_result(result)
        return ValueType("double")
    if isinstance(metric, ActiveMetric) and (metric.period_value == "last" or grain == "day"):
        return ValueType("integer")  # the count on one day (a daily average is not a count)
    if isinstance(metric, ConversionMetric) and metric.calculation == "conversions":
        return ValueType("integer")
    if isinstance(metric, SnapshotMetric) and metric.agg in ("count", "count_distinct"):
        return ValueType("integer")
    if isinstance(metric, DerivedMetric | CumulativeMetric | SnapshotMetric) and result is not None:
        # counts minus counts are counts; a running count is a count (SUM of BIGINT: HUGEINT);
        # DECIMAL money stays exact; averages over days are doubles (AVG returns DOUBLE)
        return _from_result(result)
    return ValueType("double")


def _from_result(result: pa.DataType) -> ValueType:
    if pa.types.is_integer(result):
        return ValueType("integer")
    if pa.types.is_decimal(result):
        # DuckDB hands HUGEINT (a sum of integers) over as a decimal of scale 0
        return ValueType("integer") if result.scale == 0 else ValueType("decimal", result.scale)
    return ValueType("double")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _decimal(value: object, scale: int) -> Decimal:
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return exact.quantize(Decimal(1).scaleb(-scale))
