"""Typed connector errors; every message tells the user what to do next."""

from __future__ import annotations

from dataclasses import dataclass


class ConnectorError(RuntimeError):
    """A source could not be read or loaded; the message names the source, the table and a fix."""


class SchemaDriftError(ConnectorError):
    """The source's columns changed in a way that cannot be applied without losing data."""


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SourceConfigError(ValueError):
    """sources.yml is invalid; carries every issue found, each with file and line."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{len(issues)} problem(s) in the sources file:\n{lines}")
