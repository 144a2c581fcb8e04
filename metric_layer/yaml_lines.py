"""metrics.yml as located YAML, with syntax errors and duplicate keys turned into SpecIssues."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from located_yaml import LocatedYaml, format_path, yaml_problem
from located_yaml import load_located as parse_yaml
from metric_layer.errors import SpecIssue


@dataclass
class LocatedDocument(LocatedYaml):
    issues: list[SpecIssue] = field(default_factory=list)
    file: str = "metrics.yml"


def load_located(text: str, file: str = "metrics.yml") -> LocatedDocument:
    try:
        parsed = parse_yaml(text)
    except yaml.YAMLError as exc:
        return LocatedDocument(data=None, file=file, issues=[_syntax_issue(exc, file)])
    doc = LocatedDocument(
        data={} if parsed.data is None else parsed.data, lines=parsed.lines, file=file
    )
    doc.issues = [
        SpecIssue(
            file,
            line,
            format_path(path),
            f"duplicate key `{path[-1]}`",
            f"first defined on line {first}",
        )
        for path, line, first in parsed.duplicates
    ]
    return doc


def _syntax_issue(exc: yaml.YAMLError, file: str) -> SpecIssue:
    found = yaml_problem(exc)
    return SpecIssue(file, found.line, "", found.message, found.hint)
