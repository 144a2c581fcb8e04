"""`northstar sources`' per-source state from meta.loads rows, and the URL parts a ${VAR}
reference may stand in: pinned by hand for the cases mutation testing showed unpinned (issue 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.credentials import url_part
from connectors.freshness import source_states
from connectors.sources_file import _password_is_reference, load_sources

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SOURCES = """\
sources:
  - name: shop
    kind: files
    path: data
    freshness: {warn_after: 1h, error_after: 1d}
    tables:
      - {name: orders, glob: "orders/*.parquet"}
      - {name: customers, glob: "customers/*.parquet"}
"""


def row(table: str, status: str, ok_hours_ago: float | None, rows: int, error=None) -> dict:  # type: ignore[no-untyped-def]
    ok = NOW - timedelta(hours=ok_hours_ago) if ok_hours_ago is not None else None
    return {
        "source": "shop",
        "table": table,
        "last_ok": ok,
        "last_status": status,
        "last_rows": rows,
        "last_error": error,
    }


def states(tmp_path, rows):  # type: ignore[no-untyped-def]
    (tmp_path / "sources.yml").write_text(SOURCES)
    return source_states(load_sources(tmp_path / "sources.yml", {}).sources, rows, NOW)


def test_a_source_is_as_fresh_as_its_stalest_table_and_lists_only_real_errors(tmp_path):
    (state,) = states(
        tmp_path,
        [row("orders", "ok", 0.5, 10), row("customers", "failed", 3, 5, "disk full")],
    )
    assert (state.status, state.rows) == ("failed", 15)
    assert state.last_ok == NOW - timedelta(hours=3) and state.age == timedelta(hours=3)
    assert state.freshness == "warn"  # 3 h: past warn_after 1h, before error_after 1d
    assert state.error == "customers: disk full"  # the table without an error adds nothing


def test_a_load_under_way_and_a_table_never_loaded(tmp_path):
    (running,) = states(
        tmp_path, [row("orders", "running", 0.5, 1), row("customers", "ok", 0.25, 2)]
    )
    assert (running.status, running.freshness, running.error) == ("running", "ok", None)
    (partial,) = states(tmp_path, [row("orders", "ok", 0.5, 1)])
    assert partial.last_ok is None and partial.freshness == "error"  # customers never loaded
    (never,) = states(tmp_path, [])
    assert (never.status, never.rows, never.error) == ("never", 0, None)


def test_a_reference_before_an_at_sign_in_the_query_is_the_host_not_a_password():
    template = "postgresql://${HOST}/db?application_name=ns@etl"
    start = template.index("${HOST}")
    assert url_part(template, start, start + len("${HOST}"), "url") == "plain"
    template = "postgresql://u:${PW}@h/db?application_name=ns@etl"
    start = template.index("${PW}")
    assert url_part(template, start, start + len("${PW}"), "url") == "userinfo"


def test_only_a_whole_password_reference_is_a_reference():
    assert _password_is_reference("postgresql://u:${PW}@h/db")
    assert not _password_is_reference("postgresql://u:${PW}:literal@h/db")
    assert not _password_is_reference("postgresql://u:hunter2@h/db")
