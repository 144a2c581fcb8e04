"""Typed errors of the metric layer; each message tells the user what to do next."""

from __future__ import annotations

from dataclasses import dataclass

# The meta key naming the metric a sqlglot node computes, so a dialect that cannot write the node
# (dialects.py, spark_sql.py) names the metric in its QueryError.
METRIC_META = "metric"


@dataclass(frozen=True)
class SpecIssue:
    """One problem in metrics.yml: where it is and what to do about it."""

    file: str
    line: int | None
    path: str  # key path, e.g. metrics[3].numerator
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class SpecError(Exception):
    """metrics.yml is invalid; carries every issue found, not just the first."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        lines = [f"metrics spec has {len(issues)} problem(s):"] + [f"  {i}" for i in issues]
        lines.append("Fix them and run `northstar validate` again.")
        super().__init__("\n".join(lines))


class QueryError(ValueError):
    """A metric query asks for something the spec does not allow (unknown metric, dimension…)."""
