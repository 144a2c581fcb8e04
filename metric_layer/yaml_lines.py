"""metrics.yml as located YAML, with syntax errors and duplicate keys turned into SpecIssues."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from located_yaml import LocatedYaml, format_path
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
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    hint = "check indentation and quotes"
    if "'\\t'" in problem:  # PyYAML writes the tab as '\\t'
        problem = "a tab character where YAML expects spaces"
        hint = "indent with spaces; YAML does not allow tabs"
    elif "quoted scalar" in context:
        # The end of the file is where PyYAML gives up; the unclosed quote is where to look.
        mark = getattr(exc, "context_mark", None) or mark
        problem = "a quoted string is never closed"
        hint = "add the closing quote"
    elif "mapping values are not allowed" in problem:
        hint = "indent this key like its siblings, or quote a value that contains ': '"
    line = mark.line + 1 if mark else None
    where = f" (column {mark.column + 1})" if mark else ""
    return SpecIssue(file, line, "", f"YAML syntax error{where}: {problem}", hint)
