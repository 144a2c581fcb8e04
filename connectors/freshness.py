"""Freshness of each source, dbt style: ok / warn / error from the age of its last good load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.config import Freshness, Source


@dataclass(frozen=True)
class SourceState:
    source: str
    kind: str
    last_ok: datetime | None  # the stalest table's last successful load
    age: timedelta | None
    rows: int  # rows of the last attempt, summed over tables
    status: str  # "ok", "failed", "running" (or killed), "never"
    freshness: str  # "ok", "warn", "error"
    error: str | None


def freshness_of(last_ok: datetime | None, rule: Freshness, now: datetime) -> str:
    if last_ok is None:
        return "error" if (rule.error_after or rule.warn_after) else "warn"
    age = now - last_ok
    if rule.error_after is not None and age >= rule.error_after:
        return "error"
    if rule.warn_after is not None and age >= rule.warn_after:
        return "warn"
    return "ok"


def source_states(
    sources: tuple[Source, ...], table_status: list[dict[str, Any]], now: datetime | None = None
) -> list[SourceState]:
    """Combine the configured sources with meta.loads facts (see warehouse.ingest_meta.source_status)."""
    now = now or datetime.now(UTC)
    by_source: dict[str, dict[str, dict[str, Any]]] = {}
    for row in table_status:
        by_source.setdefault(row["source"], {})[row["table"]] = row
    states = []
    for source in sources:
        rows = by_source.get(source.name, {})
        tables = [rows.get(t.name) for t in source.tables]
        oks = [r["last_ok"] for r in tables if r and r["last_ok"]]
        last_ok = min(oks) if len(oks) == len(tables) and oks else None
        statuses = {r["last_status"] for r in tables if r}
        status = (
            "never"
            if not statuses
            else "failed"
            if "failed" in statuses
            else "running"
            if "running" in statuses
            else "ok"
        )
        errors = [f"{r['table']}: {r['last_error']}" for r in tables if r and r["last_error"]]
        states.append(
            SourceState(
                source=source.name,
                kind=source.kind,
                last_ok=last_ok,
                age=(now - last_ok) if last_ok else None,
                rows=sum(r["last_rows"] or 0 for r in tables if r),
                status=status,
                freshness=freshness_of(last_ok, source.freshness, now),
                error="; ".join(errors) or None,
            )
        )
    return states
