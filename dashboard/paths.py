"""Paths as a visitor may see them: relative to the project, never the server's directory layout."""

from __future__ import annotations

from pathlib import Path


def shown(path: str | Path) -> str:
    """`path` relative to the project (the working directory) when inside it, else its name only."""
    path = Path(path)
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.absolute().relative_to(Path.cwd().absolute())) or "."
    except ValueError:
        return path.name
