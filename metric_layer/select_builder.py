"""What the SQL parts split from compiler.py (retention_sql, compare_sql) need of the compiler.

A Protocol rather than an import of Compiler, so the parts and the compiler do not import each
other.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlglot import exp

from metric_layer.periods import Window
from metric_layer.relation import ModelRelation
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec


class SelectBuilder(Protocol):
    spec: Spec
    sem: Semantics
    types: dict[str, dict[str, str]] | None

    def metric_select(
        self, name: str, w: Window, dims: list[str], filters: list, extra: str | None = None
    ) -> exp.Select: ...

    def conditions(
        self, rel: ModelRelation, lo: date, hi: date, own: str | None, filters, extra
    ) -> list[exp.Expression]: ...

    def name(self, hint: str) -> str: ...
