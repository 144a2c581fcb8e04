"""Load YAML into plain Python values while remembering the line of every key path.

Validation messages must name file, line and key (like MetricFlow's file context), and PyYAML's
safe_load forgets marks, so we compose the node graph and walk it ourselves. Duplicate keys, which
safe_load silently overwrites, are reported as issues here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from metric_layer.errors import SpecIssue

Path = tuple[str | int, ...]


@dataclass
class LocatedDocument:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    issues: list[SpecIssue] = field(default_factory=list)
    file: str = "metrics.yml"

    def line_of(self, path: Path) -> int | None:
        """Line of the deepest known prefix of path (a missing key reports its parent's line)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_located(text: str, file: str = "metrics.yml") -> LocatedDocument:
    doc = LocatedDocument(data=None, file=file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        doc.issues.append(_syntax_issue(exc, file))
        return doc
    if node is None:
        doc.data = {}
        return doc
    doc.data = _walk(node, (), doc)
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


def _walk(node: yaml.Node, path: Path, doc: LocatedDocument) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            child = (*path, str(key))
            if str(key) in out:
                doc.issues.append(
                    SpecIssue(
                        doc.file,
                        key_node.start_mark.line + 1,
                        format_path(child),
                        f"duplicate key `{key}`",
                        f"first defined on line {doc.lines[child]}",
                    )
                )
                continue
            doc.lines[child] = key_node.start_mark.line + 1
            out[str(key)] = _walk(value_node, child, doc)
            doc.lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), doc) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve the scalar the way safe_load would (ints, floats, bools, dates, null).
    return yaml.SafeLoader(stream="").construct_object(node, deep=True)
