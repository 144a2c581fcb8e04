"""What the readers of the alerts YAML share: the document, the spec it refers to, the issues
found so far, and pydantic validation that keeps going past a wrong key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from alerts.spec_models import KEY_HINTS
from metric_layer.errors import SpecIssue
from metric_layer.loader import pydantic_issues
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from metric_layer.suggest import did_you_mean
from metric_layer.yaml_lines import LocatedDocument, format_path

SECTION = "alerts"


class Reader:
    """Reads the section entry by entry, collecting every issue with its line."""

    def __init__(self, doc: LocatedDocument, spec: Spec, sources: set[str] | None) -> None:
        self.doc, self.spec, self.sources = doc, spec, sources
        self.sem = Semantics(spec)
        self.issues: list[SpecIssue] = list(doc.issues)

    def add(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.issues.append(
            SpecIssue(self.doc.file, self.doc.line_of(path), format_path(path), message, hint)
        )

    def validate(self, model: type[BaseModel], raw: Any, path: tuple) -> Any:
        """`raw` as `model` (its wrong keys left out, see lenient), or None."""
        return self.lenient(model, raw, path)[0]

    def lenient(self, model: type[BaseModel], raw: Any, path: tuple) -> tuple[Any, set[str]]:
        """`raw` as `model` and the keys that were wrong. With wrong keys their problems are
        recorded and the entry is read again without them, so the keys that are right are still
        checked against the spec (a bad `repeat` must not hide an unknown channel); None when
        even that fails."""
        try:
            return model.model_validate(raw), set()
        except ValidationError as exc:
            self.issues.extend(pydantic_issues(exc, path, self.doc, model, KEY_HINTS))
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if not isinstance(raw, dict):
            return None, bad
        try:
            return model.model_validate({k: v for k, v in raw.items() if k not in bad}), bad
        except ValidationError:
            return None, bad

    def check_channel_names(
        self, names: Iterable[str], path: tuple, known: Mapping[str, object]
    ) -> None:
        for i, name in enumerate(names):
            if name not in known:
                hint = (
                    did_you_mean(name, known)
                    or f"define it under alerts.channels (known: {', '.join(known)})"
                )
                self.add((*path, i), f"unknown channel `{name}`", hint)
