"""The warehouse engine setting (settings.py, docs/scale-out.md): what it accepts, what it says
when it is wrong, and that the URL's password never appears in anything printed."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from env_refs import expand_url, mask_url, url_password
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def load(tmp_path: Path, toml: str = "", **env: str) -> Settings:
    file = tmp_path / "northstar.toml"
    file.write_text(toml)
    return Settings.load({"NORTHSTAR_SETTINGS": str(file), **env})


def test_duckdb_is_the_default_and_needs_no_url(tmp_path):
    choice = load(tmp_path).warehouse_engine({})
    assert (choice.name, choice.url, choice.shown) == ("duckdb", "", "data/warehouse.duckdb")
    # a URL left exported while switching back to the file is not an error
    choice = load(tmp_path, NORTHSTAR_ENGINE_URL="postgresql://h/db").warehouse_engine({})
    assert choice.name == "duckdb"


def test_postgres_from_the_environment_with_a_referenced_password(tmp_path):
    settings = load(
        tmp_path,
        NORTHSTAR_ENGINE="postgres",
        NORTHSTAR_ENGINE_URL="postgresql://ns:${PG_PASS}@db.internal:5432/analytics",
    )
    choice = settings.warehouse_engine({"PG_PASS": "p@ss/w:rd"})
    # the value is percent-encoded where it stands, so libpq still reads host db.internal
    assert choice.url == "postgresql://ns:p%40ss%2Fw%3Ard@db.internal:5432/analytics"
    assert choice.shown == "postgresql://ns:***@db.internal:5432/analytics"
    assert "p@ss/w:rd" in choice.secrets and "p%40ss%2Fw%3Ard" in choice.secrets
    assert "p@ss" not in repr(choice) and "p@ss" not in repr(settings)


def test_postgres_from_the_settings_file(tmp_path):
    toml = 'engine = "postgres"\nengine_url = "postgresql://ns:${PG_PASS}@db/analytics"\n'
    choice = load(tmp_path, toml).warehouse_engine({"PG_PASS": "hunter22"})
    assert choice.url == "postgresql://ns:hunter22@db/analytics"
    assert choice.shown == "postgresql://ns:***@db/analytics"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ns:hunter22@db/analytics",
        "postgresql://ns@db/analytics?password=hunter22",
    ],
)
def test_a_literal_password_in_the_settings_file_is_refused(tmp_path, url):
    with pytest.raises(ValueError, match=r"literal password.*\$\{PGPASSWORD\}") as caught:
        load(tmp_path, f'engine = "postgres"\nengine_url = "{url}"\n')
    assert "hunter22" not in str(caught.value)


@pytest.mark.parametrize(
    ("engine", "url", "message"),
    [
        (
            "mysql",
            "",
            r"engine must be one of duckdb, postgres, spark, not 'mysql' \(NORTHSTAR_ENGINE",
        ),
        ("spark", "yarn", r"engine = spark needs engine_url local\[N\].*sc://host:15002.*'yarn'"),
        ("spark", "sc://h/;token=${NOPE}", r"environment variable NOPE is not set"),
        ("postgres", "", r"engine = postgres needs engine_url \(NORTHSTAR_ENGINE_URL"),
        ("postgres", "  ", r"write postgresql://user@host:5432/db"),
        ("postgres", "mysql://u:hunter22@h/db", r"must be a URL like postgresql://.*u:\*\*\*@h"),
        ("postgres", "postgresql://u:${NOPE}@h/db", r"environment variable NOPE is not set"),
        ("postgres", "postgresql://u:hun/ter22@h/db", r"u:\*\*\*@h/db.*percent-encode them"),
    ],
)
def test_a_wrong_setting_names_itself_and_what_to_write(tmp_path, engine, url, message):
    settings = load(tmp_path, NORTHSTAR_ENGINE=engine, NORTHSTAR_ENGINE_URL=url)
    with pytest.raises(ValueError, match=message) as caught:
        settings.warehouse_engine({})
    assert "hunter22" not in str(caught.value) and "ter22" not in str(caught.value)


def test_the_engine_name_is_read_as_written_loosely(tmp_path):
    settings = load(tmp_path, NORTHSTAR_ENGINE=" Postgres ", NORTHSTAR_ENGINE_URL="postgres://h/db")
    assert settings.warehouse_engine({}).name == "postgres"


def test_building_rollups_refuses_another_engine(tmp_path):
    settings = load(
        tmp_path,
        NORTHSTAR_ENGINE="postgres",
        NORTHSTAR_ENGINE_URL="postgresql://u:${PW}@h/db",
    )
    with pytest.raises(
        ValueError, match=r"`northstar rollups build` works on the DuckDB warehouse only"
    ):
        settings.duckdb_only("`northstar rollups build`")
    load(tmp_path).duckdb_only("`northstar rollups build`")  # the default: nothing to refuse


# -- URL helpers (env_refs) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgresql://u:pw@h/db", "pw"),
        ("postgresql://u@h/db", None),
        ("postgresql://h/db?user=a@b", None),  # an '@' in the query is no user part
        ("postgresql://u:a/b:c@d@h:5432/db", "a/b:c@d"),  # the last '@' before the query
        ("postgresql://u:@h/db", ""),
    ],
)
def test_the_password_is_read_from_the_text(url, password):
    assert url_password(url) == password


def test_masking_hides_the_password_and_credential_parameters():
    assert mask_url("postgresql://u:a/b@h/db?sslmode=require&password=x") == (
        "postgresql://u:***@h/db?sslmode=require&password=***"
    )
    assert mask_url("postgresql://h/db") == "postgresql://h/db"


def test_only_references_in_the_user_part_are_encoded():
    url, values = expand_url(
        "postgresql://${U}:${P}@${H}:5432/${D}?application_name=${A}",
        {"U": "me@corp", "P": "a:b", "H": "db.local", "D": "analytics", "A": "north star"},
    )
    assert url == "postgresql://me%40corp:a%3Ab@db.local:5432/analytics?application_name=north star"
    assert values == ["me@corp", "a:b", "db.local", "analytics", "north star"]


def test_spark_runs_in_this_process_by_default_over_its_parquet_folder(tmp_path):
    choice = load(tmp_path, NORTHSTAR_ENGINE="spark").warehouse_engine({})
    assert (choice.name, choice.url, choice.shown) == ("spark", "local[2]", "local[2]")
    assert choice.directory == "data/spark"
    choice = load(
        tmp_path,
        NORTHSTAR_ENGINE="spark",
        NORTHSTAR_ENGINE_URL="local[*]",
        NORTHSTAR_SPARK_DIR=str(tmp_path / "lake"),
    ).warehouse_engine({})
    assert (choice.url, choice.directory) == ("local[*]", str(tmp_path / "lake"))


def test_a_spark_connect_token_is_a_secret(tmp_path):
    settings = load(
        tmp_path,
        NORTHSTAR_ENGINE="spark",
        NORTHSTAR_ENGINE_URL="sc://spark.internal:15002/;token=${SPARK_TOKEN};user_id=ns",
    )
    choice = settings.warehouse_engine({"SPARK_TOKEN": "hunter22"})
    assert choice.url == "sc://spark.internal:15002/;token=hunter22;user_id=ns"
    assert choice.shown == "sc://spark.internal:15002/;token=***;user_id=ns"
    assert "hunter22" in choice.secrets and "hunter22" not in repr(choice)
    literal = 'engine = "spark"\nengine_url = "sc://h:15002/;token=hunter22"\n'
    with pytest.raises(ValueError, match=r"literal password") as caught:
        load(tmp_path, literal)
    assert "hunter22" not in str(caught.value)


def test_ingest_publishes_to_the_spark_directory_of_the_setting(tmp_path):
    from connectors.publish_targets import SparkTarget
    from connectors.run import publish_target

    settings = load(tmp_path, NORTHSTAR_ENGINE="spark", NORTHSTAR_SPARK_DIR=str(tmp_path / "lake"))
    target = publish_target(settings)
    assert isinstance(target, SparkTarget)
    assert target.publisher.directory == (tmp_path / "lake").resolve()
    assert target.publisher.url == "local[2]"


def test_the_engine_settings_are_documented():
    docs = (ROOT / "docs" / "scale-out.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = (ROOT / "settings.py").read_text(encoding="utf-8")
    for field in fields(Settings):
        if field.name.startswith(("engine", "spark")):
            variable = f"NORTHSTAR_{field.name.upper()}"
            assert f"`{variable}`" in docs and f"`{variable}`" in readme, variable
            assert variable in source
