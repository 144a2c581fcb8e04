"""Which metrics.yml the web app serves on a snapshot, and what is wrong with the live one.

The live metrics.yml is served when it is valid against the snapshot's tables. When it is not, the
spec published with the snapshot (validated when its rollups were built) is served instead and the
live file's problems go to the banner: an edit that breaks metrics.yml never takes the site down,
not even when a worker restarts. Issues name the file relative to the project (see paths.shown).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dashboard.paths import shown
from metric_layer.errors import SpecError, SpecIssue
from metric_layer.loader import parse_spec
from metric_layer.spec import Spec

Columns = dict[str, dict[str, str]]
LIVE = "live"  # ServedSpec.origin: the metrics.yml on disk
PUBLISHED = "published"  # ServedSpec.origin: the copy published with the snapshot


@dataclass(frozen=True)
class ServedSpec:
    spec: Spec
    origin: str  # LIVE or PUBLISHED


def live_spec(metrics: Path, columns: Columns | None) -> Spec:
    """The metrics.yml on disk validated against `columns`; SpecError (paths shown) otherwise."""
    try:
        text = metrics.read_text(encoding="utf-8")
    except OSError as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise SpecError(
            [SpecIssue(shown(metrics), None, "", reason, "set NORTHSTAR_METRICS or create it")]
        ) from None
    return parse_spec(text, shown(metrics), columns)


class SpecTexts(Protocol):
    """Where the spec published with a version is kept (SnapshotStore, PostgresPublished)."""

    def spec_text(self, version: str) -> str | None: ...


def resolve_spec(metrics: Path, store: SpecTexts, version: str, columns: Columns) -> ServedSpec:
    """The live spec if valid, else the one published with `version`; raises the live SpecError
    when neither validates against the snapshot's `columns`."""
    try:
        return ServedSpec(live_spec(metrics, columns), LIVE)
    except SpecError as live_error:
        published = store.spec_text(version)
        if published is None:
            raise
        try:
            spec = parse_spec(published, f"{shown(metrics)} (published with {version})", columns)
        except SpecError:
            raise live_error from None
        return ServedSpec(spec, PUBLISHED)


def signature(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the file is saved (or replaced); None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
