"""The statements' frames of one query made into its answer's columns: side by side on their keys
(period and breakdown), and ratios divided from their inputs' columns where the plan composed them
(query_plan._composable). Pure pandas; the service (service.py) runs the statements."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd


def divided(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """A ratio's values from its inputs' typed columns, as its SQL computes them: both as doubles
    (a DECIMAL through its exact value), no value where the denominator is 0 or has none."""
    num, den = _doubles(numerator), _doubles(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / np.where(den != 0, den, np.nan)
    return pd.Series(out, index=numerator.index)


def _doubles(values: pd.Series) -> np.ndarray:
    """As float64, NaN where missing; a Decimal through float() (correctly rounded, as DuckDB
    casts a DECIMAL to DOUBLE)."""
    return values.to_numpy(dtype="float64", na_value=np.nan)


def outer_join(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The statements' frames side by side on (period, dims), every key of any of them kept:
    one aligned concat rather than a merge per statement (each merge copies and re-indexes all
    columns so far). Keys are unique within a statement's frame (it is grouped by them)."""
    if len(frames) == 1:
        return frames[0]
    if _same_keys(frames, keys):  # the same keys in the same order (each statement orders by
        # them; usually every one has every period): their columns side by side, no index built
        columns = {k: frames[0][k] for k in keys}
        columns.update({c: f[c] for f in frames for c in f.columns if c not in keys})
        return pd.DataFrame(columns, copy=False)
    indexed = [f.set_index(keys) for f in frames]
    return pd.concat(indexed, axis=1, join="outer", sort=False).reset_index()


def _same_keys(frames: list[pd.DataFrame], keys: list[str]) -> bool:
    """Whether every frame has the first one's key values, row for row (a missing value, NaN or
    <NA>, never counts as the same: such frames take the aligned path)."""
    try:
        return all(
            np.array_equal(f[k].to_numpy(), frames[0][k].to_numpy())
            for f in frames[1:]
            for k in keys
        )
    except TypeError:  # <NA> has no truth value
        return False


def value_columns(columns: Collection[str], metrics: tuple[str, ...]) -> list[str]:
    """Each metric's column (and its comparison), in the order asked, of `columns` (a frame's
    or a dict's names)."""
    return [c for m in metrics for c in (m, f"{m}__compare") if c in columns]
