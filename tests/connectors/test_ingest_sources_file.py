"""sources.yml validation: every issue reported at once, with file and line; secrets via env only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors import SourceConfigError, load_sources


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text)
    return path


def test_valid_file_loads_typed_models(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: shop
    kind: files
    path: data
    schedule: {every: 15m}
    freshness: {warn_after: 1h, error_after: 1d}
    tables:
      - {name: orders, glob: "orders/*.parquet", primary_key: [order_id]}
""",
    )
    config = load_sources(path)
    shop = config.get("shop")
    assert shop.schedule.every == timedelta(minutes=15)
    assert shop.freshness.error_after == timedelta(days=1)
    assert shop.tables[0].primary_key == ["order_id"]


def test_all_issues_are_collected_with_lines(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: Shop
    kind: files
    path: data
    tables:
      - {name: orders, glob: "*.csv"}
  - name: app
    kind: sql
    url: postgresql://u@h/db
    tables:
      - name: orders
        table: public.orders
        cursor: "updated at"
      - {name: items, table: items, cursor: id, lookback: 10}
  - name: api
    kind: ftp
""",
    )
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    text = str(info.value)
    assert f"{path}:2: sources[0].name" in text  # invalid name, on its own line
    assert "sources[1].tables[0].cursor" in text and ":13:" in text
    assert "sources[1].tables[1]: lookback re-reads rows" in text and ":14:" in text
    assert ":16: sources[2].kind" in text  # unknown kind
    assert len(info.value.issues) >= 4


def test_missing_environment_variable_is_named(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: app
    kind: sql
    url: postgresql://u:${APP_DB_PASSWORD}@h/db
    tables: [{name: orders, table: orders}]
""",
    )
    with pytest.raises(SourceConfigError) as info:
        load_sources(path, environ={})
    assert "APP_DB_PASSWORD is not set" in str(info.value)
    assert ":4:" in str(info.value)


def test_secret_is_resolved_and_redacted(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: app
    kind: sql
    url: postgresql://u:${APP_DB_PASSWORD}@h/db
    tables: [{name: orders, table: orders}]
""",
    )
    config = load_sources(path, environ={"APP_DB_PASSWORD": "s3cr3t-pw"})
    assert config.get("app").url == "postgresql://u:s3cr3t-pw@h/db"
    assert "s3cr3t-pw" not in config.redact("connection to postgresql://u:s3cr3t-pw@h failed")
    assert "s3cr3t-pw" not in repr(config)


def test_literal_secrets_are_rejected(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: app
    kind: sql
    url: postgresql://u:hunter2@h/db
    tables: [{name: orders, table: orders}]
  - name: crm
    kind: http
    base_url: http://x
    auth: {type: bearer, token: abc123}
    endpoints: [{name: contacts, path: /c}]
""",
    )
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    text = str(info.value)
    assert "literal password" in text and ":4:" in text
    assert "sources[1].auth.token" in text
    assert "hunter2" not in text and "abc123" not in text


def test_filter_must_be_one_condition(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: app
    kind: sql
    url: postgresql://u@h/db
    tables:
      - {name: orders, table: orders, filter: "1=1; DROP TABLE orders"}
""",
    )
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    assert "filter" in str(info.value) and ":6:" in str(info.value)


def test_duplicate_keys_and_names(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: shop
    kind: files
    path: data
    path: other
    tables:
      - {name: a, glob: "*.csv"}
      - {name: a, glob: "*.json"}
""",
    )
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    text = str(info.value)
    assert ":5:" in text and "duplicate key" in text
    assert "table 'a' is used twice" in text


def test_a_name_used_twice_is_reported_at_its_second_use(tmp_path):
    path = _write(
        tmp_path,
        """\
sources:
  - name: shop
    kind: files
    path: data
    tables:
      - {name: a, glob: "*.csv"}
      - {name: a, glob: "*.json"}
  - name: shop
    kind: files
    path: other
    tables:
      - {name: b, glob: "*.csv"}
""",
    )
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    lines = str(info.value).splitlines()[1:]
    assert lines == [
        f"  {path}:7: sources[0].tables[1].name: table 'a' is used twice",
        f"  {path}:8: sources[1].name: source name 'shop' is used twice",
    ]


def test_shipped_sources_file_is_valid():
    config = load_sources(Path(__file__).parents[2] / "sources.yml", environ={})
    shop = config.get("shop")
    assert [t.name for t in shop.tables] == [
        "customers",
        "sessions",
        "orders",
        "order_items",
        "refunds",
        "marketing_spend",
        "subscriptions",
        "nps_responses",
    ]
