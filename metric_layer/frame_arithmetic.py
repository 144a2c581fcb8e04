"""A derived formula evaluated over arrays as DuckDB evaluates it (frame_shifted.py computes
growth-like metrics with it): integers and DECIMALs exact until a division, a division in doubles
(each side cast: Python's float() of a Decimal and DuckDB's cast both round correctly), x / 0 no
value, a double on either side of + - * makes the operation double. Formulas of + - * /, unary
minus, plain numbers (an integer literal is an integer, `0.1` a DECIMAL, as DuckDB reads them),
metric names and their shifts only: `arithmetic` says whether a formula is one.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from functools import lru_cache

import numpy as np
from sqlglot import exp

from metric_layer.expressions import parse_formula, shift_of

_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def arithmetic(tree: exp.Expression) -> bool:
    """Whether the formula is arithmetic over metrics, evaluated here, with at least one division
    (so its value is a double whatever its inputs' types)."""
    return _arithmetic(tree) and _divides(tree)


def evaluate(text: str, inputs: dict, n: int) -> np.ndarray:
    """The formula's values (float64, NaN for no value) over `inputs`: (metric, shift or None) →
    an array of n values, float64 for doubles, int64 or object (Decimal) for exact ones."""
    with localcontext() as exact, np.errstate(divide="ignore", invalid="ignore"):
        exact.prec = 80  # DuckDB's DECIMAL holds 38 digits; products of two stay exact here
        return _doubles(_evaluate(_formula(text), inputs), n)


@lru_cache(maxsize=256)
def _formula(text: str) -> exp.Expression:
    """A formula's tree, parsed once (sqlglot's parse costs more than the arithmetic); read only."""
    return parse_formula(text)


def _evaluate(node: exp.Expression, inputs):
    found = shift_of(node)
    if found is not None:
        return inputs[found]
    if isinstance(node, exp.Column):
        return inputs[(node.name, None)]
    if isinstance(node, exp.Literal):
        return int(node.name) if node.name.isdigit() else Decimal(node.name)
    if isinstance(node, exp.Paren):
        return _evaluate(node.this, inputs)
    if isinstance(node, exp.Neg):
        return -_evaluate(node.this, inputs)
    a, b = _evaluate(node.this, inputs), _evaluate(node.expression, inputs)
    if isinstance(node, exp.Div):  # x / 0 is no value; both sides as doubles
        num, den = _doubles(a), _doubles(b)
        return num / np.where(den != 0, den, np.nan)
    if _floating(a) or _floating(b):  # a double on either side: DuckDB computes in doubles
        a, b = _doubles(a), _doubles(b)
    elif _decimal(a) or _decimal(b):  # NumPy's integers do not mix with Decimal: Python's do
        a, b = _objects(a), _objects(b)
    if isinstance(node, exp.Add):
        return a + b
    if isinstance(node, exp.Sub):
        return a - b
    assert isinstance(node, exp.Mul), "in_frame admits + - * / only"
    return a * b


def _floating(x) -> bool:
    return isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype == np.float64)


def _decimal(x) -> bool:
    return isinstance(x, Decimal) or (isinstance(x, np.ndarray) and x.dtype == object)


def _objects(x):
    """Integers as Python's (exact, and Decimal-compatible); anything else as it is."""
    return x.astype(object) if isinstance(x, np.ndarray) and x.dtype.kind == "i" else x


def _doubles(x, n: int | None = None):
    """As float64 (a Decimal through float(): correctly rounded, as DuckDB's cast)."""
    if isinstance(x, np.ndarray):
        if x.dtype == np.float64:
            return x
        if x.dtype.kind == "i":
            return x.astype(np.float64)
        return np.array([float(v) for v in x], dtype=np.float64)
    value = float(x)
    return value if n is None else np.full(n, value)


def _arithmetic(node: exp.Expression) -> bool:
    if shift_of(node) is not None or isinstance(node, exp.Column):
        return True
    if isinstance(node, exp.Literal):
        return node.is_number and bool(_PLAIN_NUMBER.match(node.name))
    if isinstance(node, exp.Paren | exp.Neg):
        return _arithmetic(node.this)
    if type(node) in (exp.Add, exp.Sub, exp.Mul, exp.Div):
        return _arithmetic(node.this) and _arithmetic(node.expression)
    return False


def _divides(node: exp.Expression) -> bool:
    if isinstance(node, exp.Div):
        return True
    if isinstance(node, exp.Paren | exp.Neg):
        return _divides(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _divides(node.this) or _divides(node.expression)
    return False
