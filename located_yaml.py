"""YAML loaded into plain values with the line of every key path (shared by metrics.yml and
sources.yml, whose errors must name file and line).

PyYAML's safe_load forgets marks, so we compose the node graph and walk it. Duplicate keys, which
safe_load silently overwrites, are recorded (the first value is kept) for the caller to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass
class LocatedYaml:
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int, int]] = field(default_factory=list)  # path, line, first

    def line_of(self, path: KeyPath) -> int | None:
        """Line of the deepest known prefix of path (a missing key reports its parent's line)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_located(text: str) -> LocatedYaml:
    """Parse one YAML document (None data when empty); raises yaml.YAMLError on bad syntax."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    doc = LocatedYaml(data=None)
    if node is not None:
        doc.data = _walk(node, (), doc)
    return doc


def _walk(node: yaml.Node, path: KeyPath, doc: LocatedYaml) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in out:
                doc.duplicates.append((child, line, doc.lines[child]))
                continue
            doc.lines[child] = line
            out[key] = _walk(value_node, child, doc)
            doc.lines[child] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), doc) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve the scalar the way safe_load would (ints, floats, bools, dates, null).
    return yaml.SafeLoader(stream="").construct_object(node, deep=True)


@dataclass(frozen=True)
class YamlProblem:
    """A YAML syntax error in one line's words: where, what, and what to do (PyYAML's own text
    spans several lines, with a caret drawing, which breaks `file:line: message` output)."""

    line: int | None
    message: str
    hint: str


def yaml_problem(exc: yaml.YAMLError) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
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
    return YamlProblem(line, f"YAML syntax error{where}: {problem}", hint)
