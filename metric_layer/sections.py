"""Sections other packages own (`alerts:`, `okrs:`): written in metrics.yml, or in a file of
their own beside it (alerts.yml, okrs.yml) — never both, which would leave it unclear which one
counts. Read here once for every such section; each package validates its section's content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metric_layer.errors import SpecError, SpecIssue
from metric_layer.yaml_lines import LocatedDocument, load_located


@dataclass(frozen=True)
class SectionSource:
    doc: LocatedDocument  # the document holding the section
    own_file: bool  # True: the section's own file (alerts.yml), False: metrics.yml


def find_section(
    metrics_path: str | Path,
    section: str,
    file_name: str,
    what: str,
    error: type[SpecError] = SpecError,
) -> SectionSource | None:
    """Where `section` is written for the project of `metrics_path`; None: nowhere. `error`
    (a SpecError) names both places when both hold it, or a file that cannot be read or parsed."""
    metrics_path = Path(metrics_path)
    metrics_doc = read_document(metrics_path, error)
    beside = metrics_path.parent / file_name
    in_metrics = isinstance(metrics_doc.data, dict) and section in metrics_doc.data
    if in_metrics and beside.exists():
        raise error(
            [
                SpecIssue(
                    str(beside),
                    1,
                    "",
                    f"{what} are defined twice: here and in {metrics_path} "
                    f"(line {metrics_doc.line_of((section,))})",
                    f"keep one: the `{section}:` section of {metrics_path.name} or {file_name}",
                )
            ]
        )
    if in_metrics:
        return SectionSource(metrics_doc, own_file=False)
    if not beside.exists():
        return None
    doc = read_document(beside, error)
    if doc.issues:
        raise error(doc.issues)
    return SectionSource(doc, own_file=True)


def read_document(path: Path, error: type[SpecError] = SpecError) -> LocatedDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error([SpecIssue(str(path), None, "", f"cannot read the file: {exc}")]) from None
    return load_located(text, str(path))
