"""Load YAML into plain values while remembering the line of every key path.

PyYAML's safe_load forgets marks, so we compose the node graph and walk it: sources.yml errors must
name file and line. Duplicate keys, which safe_load silently overwrites, are reported too.
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
    duplicates: list[tuple[KeyPath, int]] = field(default_factory=list)

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
    """Parse one YAML document; raises yaml.YAMLError (which carries a mark) on bad syntax."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    doc = LocatedYaml(data=None)
    if node is None:
        return doc
    doc.data = _walk(node, (), doc)
    return doc


def _walk(node: yaml.Node, path: KeyPath, doc: LocatedYaml) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                doc.duplicates.append((child, key_node.start_mark.line + 1))
            doc.lines[child] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, child, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), doc) for i, item in enumerate(node.value)]
    # Scalars: let the safe constructor resolve ints, bools, nulls exactly as safe_load would.
    return yaml.SafeLoader("").construct_object(node, deep=True)
