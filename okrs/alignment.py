"""Alignment of objectives: parents known and in the same quarter (an objective with a parent
may leave `quarter` out and take its parent's), no circles, and levels settled top-down
(company → department → team → person; without `level`, a company objective when it has no
parent, else one level below its parent). Problems go to `add` with their key path."""

from __future__ import annotations

from collections.abc import Callable

from metric_layer.suggest import did_you_mean
from okrs.model import LEVELS, KeyResult, Objective
from okrs.quarters import Quarter
from okrs.spec_models import ObjectiveEntry

Add = Callable[[tuple, str, str | None], None]
LineOf = Callable[[tuple], int | None]


def align(
    entries: list[tuple[ObjectiveEntry, tuple, list[KeyResult]]],
    ids: set[str],
    add: Add,
    line_of: LineOf,
) -> list[Objective]:
    """Parents checked (known, same quarter, no cycle) and levels settled top-down."""
    by_id = {e.id: (e, path) for e, path, _ in entries}
    levels: dict[str, str | None] = {}

    def level_of(oid: str, trail: tuple[str, ...] = ()) -> str | None:
        if oid in levels:
            return levels[oid]
        entry, path = by_id[oid]
        levels[oid] = None  # in progress: a cycle finds None
        if entry.parent is None:
            level = entry.level or "company"
        elif entry.parent in trail or entry.parent == oid:
            add(
                (*path, "parent"),
                f"objectives align in a circle: {' → '.join((*trail, oid, entry.parent))}",
                "a parent is a level above; one of them must not name the other",
            )
            return None
        elif entry.parent not in by_id:
            return None  # reported below
        else:
            above = level_of(entry.parent, (*trail, oid))
            if above is None:
                return None
            level = entry.level or _below(above)
            if level is None or LEVELS.index(level) <= LEVELS.index(above):
                add(
                    (*path, "level" if entry.level else "parent"),
                    f"`{oid}` aligns to `{entry.parent}`, a {above} objective, so it must "
                    f"sit below it; levels run {' → '.join(LEVELS)}",
                    "pick a parent one level up, or a lower `level`",
                )
                return None
        levels[oid] = level
        return level

    def quarter_of(oid: str, seen: frozenset[str] = frozenset()) -> str | None:
        """Its own quarter, else its parent's (None in a circle or without one)."""
        entry = by_id[oid][0]
        if entry.quarter is not None:
            return entry.quarter
        if entry.parent in by_id and entry.parent not in seen:
            return quarter_of(entry.parent, seen | {oid})
        return None

    out = []
    for entry, path, krs in entries:
        parent = entry.parent
        if parent is not None:
            if parent not in by_id:
                if parent in ids:
                    continue  # its own entry is invalid, reported there
                hint = did_you_mean(parent, [e.id for e, _, _ in entries if e.id != entry.id])
                add(
                    (*path, "parent"),
                    f"unknown parent objective `{parent}`",
                    hint or "name the id of an objective defined in this section",
                )
                continue
            above = quarter_of(parent)
            if entry.quarter is not None and above is not None and above != entry.quarter:
                add(
                    (*path, "quarter"),
                    f"`{entry.id}` is for {entry.quarter} but its parent `{parent}` is for {above}",
                    "align to an objective of the same quarter (or leave `quarter` out: an "
                    "objective with a parent takes its quarter)",
                )
                continue
        quarter = quarter_of(entry.id)
        if quarter is None:
            if parent is None:
                add(
                    (*path, "quarter"),
                    "missing required key `quarter`",
                    "the quarter it is for, e.g. quarter: 2026-Q4 (objectives with a parent "
                    "take their parent's)",
                )
            continue
        level = level_of(entry.id)
        if level is None:
            continue
        out.append(
            Objective(
                id=entry.id,
                title=entry.title,
                owner=entry.owner,
                quarter=Quarter.parse(quarter),
                type=entry.type,
                level=level,  # type: ignore[arg-type]
                team=entry.team,
                parent=parent,
                description=entry.description,
                key_results=tuple(krs),
                line=line_of(path),
            )
        )
    return out


def _below(level: str) -> str | None:
    # company's children are teams (department only when written); a person's have no level.
    return {"company": "team", "department": "team", "team": "person"}.get(level)
