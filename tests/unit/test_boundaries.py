"""Package boundaries from ARCHITECTURE.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package → top-level modules it must not import; engines' drivers (duckdb, psycopg for the
# PostgreSQL warehouse) only in warehouse/ (docs/scale-out.md)
BANNED = {
    "metric_layer": {"dash", "plotly", "connectors", "dashboard", "duckdb", "psycopg", "flask"},
    "dashboard": {"duckdb", "psycopg", "sqlglot", "connectors"},
    "connectors": {"metric_layer", "dashboard", "dash", "plotly"},
    "warehouse": {"metric_layer", "dashboard", "connectors", "dash"},
    "demo": {"dashboard", "dash", "duckdb"},
    "cli": {"duckdb", "psycopg"},
    # The app database holds people and their actions: no numbers, no pages, no web framework.
    "appdb": {"duckdb", "metric_layer", "dashboard", "connectors", "dash", "flask", "auth"},
    "auth": {"duckdb", "metric_layer", "dashboard", "connectors", "dash", "plotly"},
    # Alerts read numbers through the metric service and send messages; pages show them.
    "alerts": {"duckdb", "dashboard", "connectors", "dash", "flask"},
    # OKRs read numbers through the metric service and keep check-ins in the app database;
    # the CLI and the OKR page call them (no page, no web framework, no warehouse handle).
    "okrs": {"duckdb", "dash", "dashboard", "flask", "connectors", "auth", "plotly"},
    # The weekly report reads numbers as the pages do (the service, analysis/, the pages' pure
    # helpers) and draws with plotly/kaleido; no warehouse handle, no page, no connector.
    "report": {"duckdb", "dash", "dash_mantine_components", "dash_ag_grid", "connectors"},
    # The review record freezes numbers from the metric service into the app database.
    "reviews": {"duckdb", "dashboard", "connectors", "dash", "flask", "plotly", "auth"},
}

# dashboard modules the report must not import: pages and components are Dash layouts.
REPORT_BANNED_MODULES = ("dashboard.pages", "dashboard.components", "dashboard.server")


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


def test_report_imports_no_page() -> None:
    offenders = {}
    for path in (ROOT / "report").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {
            f"{n.module}.{a.name}"
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module
            for a in n.names
        }
        bad = sorted(m for m in names if m.startswith(REPORT_BANNED_MODULES))
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_only_warehouse_imports_duckdb() -> None:
    importers = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        # mutants/ is `make mutation`'s copy of the project (gitignored)
        if not {".venv", "mutants"} & set(p.parts) and "duckdb" in _imports(p)
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


# -- import cycles ----------------------------------------------------------------------------
PROJECT_PACKAGES = (
    "metric_layer",
    "connectors",
    "dashboard",
    "cli",
    "warehouse",
    "demo",
    "analysis",
    "appdb",
    "auth",
    "okrs",
    "report",
    "alerts",
    "reviews",
)
PROJECT_MODULES = ("app", "settings", "located_yaml", "env_refs", "cron_schedule", "png_render")


def _project_modules() -> dict[str, Path]:
    modules = {name: ROOT / f"{name}.py" for name in PROJECT_MODULES}
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _module_edges(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules this file imports, at any depth (an import inside a function counts too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"  # `from pkg import module`
                if child in modules:
                    out.add(child)
                elif node.module in modules:
                    out.add(node.module)
    return out


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_cycle_finder_sees_a_circle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_project_modules() -> None:
    modules = _project_modules()
    graph = {name: _module_edges(path, modules) for name, path in modules.items()}
    assert import_cycles(graph) == []


LONGEST_MODULE = 400  # lines: small modules, one idea each (STYLE.md; issue 11 for metric_layer)
NOT_SOURCE = {"tests", "data", "node_modules", "build", "dist"}  # and hidden folders (.venv)


def _source_files() -> list[Path]:
    found = list(ROOT.glob("*.py"))
    for folder in ROOT.iterdir():
        if folder.is_dir() and folder.name not in NOT_SOURCE and not folder.name.startswith("."):
            found += folder.rglob("*.py")
    return found


def test_every_module_is_at_most_400_lines() -> None:
    files = _source_files()
    assert ROOT / "metric_layer" / "compiler.py" in files and ROOT / "app.py" in files
    lines = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in files
    }
    assert {p: n for p, n in lines.items() if n > LONGEST_MODULE} == {}
