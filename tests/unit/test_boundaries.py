"""Package boundaries from ARCHITECTURE.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package → top-level modules it must not import
BANNED = {
    "metric_layer": {"dash", "plotly", "connectors", "dashboard", "duckdb", "flask"},
    "dashboard": {"duckdb", "sqlglot", "connectors"},
    "connectors": {"metric_layer", "dashboard", "dash", "plotly"},
    "warehouse": {"metric_layer", "dashboard", "connectors", "dash"},
    "demo": {"dashboard", "dash", "duckdb"},
    "cli": {"duckdb"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(BANNED))
def test_package_respects_boundaries(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & BANNED[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_warehouse_imports_duckdb() -> None:
    importers = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if ".venv" not in p.parts and "duckdb" in _imports(p)
    ]
    allowed = ("warehouse/", "benchmarks/", "tests/")
    assert [p for p in importers if not p.startswith(allowed)] == []


def test_dashboard_has_no_sql() -> None:
    suspicious = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "dashboard").rglob("*.py")
        if any(
            word in p.read_text(encoding="utf-8").upper()
            for word in ("SELECT ", " FROM RAW.", "GROUP BY")
        )
    ]
    assert suspicious == []
