"""Passwords with URL delimiters reach the database intact; no piece of a secret is ever shown.

Against the local servers: PostgreSQL trusts every password, so a password that moved the URL's
host shows up as a failed connection; MariaDB gets a user whose password holds '@', '/' and ':'.
"""

from __future__ import annotations

import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import cli_env, query, write_sources
from typer.testing import CliRunner

from app import build_cli
from connectors import credentials, load_sources, run_ingest
from connectors.sql_query import dialect_of, parse_filter
from warehouse import SnapshotStore

PASSWORD = "Zq9@Xv7/Wk5:Yp3%"  # every piece of it is distinctive, to look for leaks
PIECES = ["Zq9", "Xv7", "Wk5", "Yp3"]


def _user_url(url: str, driver: str = "") -> str:
    """The fixture's URL with ${DB_PASSWORD} as the password (and an optional +driver)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}{driver}://{user}:${{DB_PASSWORD}}@{host}"


@pytest.mark.db
@pytest.mark.parametrize("driver", ["", "+psycopg"])
def test_postgres_password_with_delimiters_and_a_filter(pg, settings, driver):
    url, conn, schema = pg
    conn.execute(f'CREATE TABLE "{schema}".things (id int PRIMARY KEY, status text)')
    conn.execute(f"INSERT INTO \"{schema}\".things VALUES (1, 'paid'), (2, 'test'), (3, 'paid')")
    write_sources(
        settings,
        f"""\
sources:
  - name: app
    kind: sql
    url: {_user_url(url, driver)}
    tables:
      - name: things
        table: {schema}.things
        primary_key: [id]
        filter: "status <> 'test'"
        deletes: soft
""",
    )
    report = run_ingest(settings, environ={"DB_PASSWORD": PASSWORD})
    assert report.ok, report.outcomes
    assert query(settings, "SELECT id, status, _deleted FROM raw.app__things ORDER BY id") == [
        (1, "paid", False),
        (3, "paid", False),
    ]


@pytest.mark.db
def test_mysql_password_with_delimiters(mysql, settings):
    _, conn, db = mysql
    user = f"ns_{uuid.uuid4().hex[:8]}"
    cur = conn.cursor()
    cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", [user, PASSWORD])
    try:
        cur.execute(f"GRANT ALL ON `{db}`.* TO %s@'%%'", [user])
        cur.execute("CREATE TABLE things (id int PRIMARY KEY, status text)")
        cur.execute("INSERT INTO things VALUES (1, 'paid'), (2, 'test')")
        write_sources(
            settings,
            f"sources:\n  - name: shop\n    kind: sql\n"
            f"    url: mysql://{user}:${{DB_PASSWORD}}@127.0.0.1:3306/{db}\n"
            "    tables: [{name: things, table: things, filter: \"status <> 'test'\"}]\n",
        )
        report = run_ingest(settings, environ={"DB_PASSWORD": PASSWORD})
        assert report.ok, report.outcomes
        assert query(settings, "SELECT id, status FROM raw.shop__things") == [(1, "paid")]
    finally:
        cur.execute("DROP USER %s@'%%'", [user])


def _leaks(text: str) -> list[str]:
    return [piece for piece in [PASSWORD, *PIECES] if piece in text]


@pytest.mark.parametrize("driver", ["", "+psycopg"])
def test_no_piece_of_a_password_is_printed_stored_or_published(settings, tmp_path, driver):
    files = tmp_path / "files"
    files.mkdir()
    pq.write_table(pa.table({"x": [1]}), files / "a.parquet")
    write_sources(
        settings,
        f"""\
sources:
  - name: app
    kind: sql
    url: postgresql{driver}://nobody:${{DB_PASSWORD}}@127.0.0.1:1/none
    tables: [{{name: things, table: things}}]
  - name: local
    kind: files
    path: files
    tables: [{{name: a, glob: "*.parquet"}}]
""",
    )
    env = {**cli_env(settings), "DB_PASSWORD": PASSWORD, "COLUMNS": "200"}
    ingest = CliRunner().invoke(build_cli(), ["ingest"], env=env)
    assert ingest.exit_code == 1 and "app.things failed" in ingest.output
    assert "127.0.0.1" in ingest.output  # the real host: the password did not move it
    sources = CliRunner().invoke(build_cli(), ["sources"], env=env)
    assert "failed" in sources.output
    stored = query(settings, "SELECT error FROM meta.loads WHERE source = 'app'")[0][0]
    store = SnapshotStore(settings.serving_dir)
    with store.open_snapshot(store.current()[0]) as snapshot:
        published = snapshot.rows("SELECT string_agg(coalesce(error, ''), ' ') FROM meta.loads")
    assert _leaks(ingest.output) == []
    assert _leaks(sources.output) == []
    assert _leaks(stored) == []
    assert _leaks(published[0][0]) == []


def test_every_secret_and_every_piece_of_it_is_redacted(tmp_path):
    sources = tmp_path / "sources.yml"
    sources.write_text(
        """\
sources:
  - name: app
    kind: sql
    url: postgresql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:${DB_PORT}/shop?sslpassword=${KEY}
    tables: [{name: t, table: t}]
  - name: api
    kind: http
    base_url: https://api.example.com/bot${BOT}/
    auth: {type: bearer, token: "${TOKEN}"}
    endpoints: [{name: e, path: /e}]
"""
    )
    environ = {
        "DB_USER": "ann",
        "DB_PASSWORD": "q@/",
        "DB_HOST": "db.internal",
        "DB_PORT": "5432",
        "KEY": "k&y",
        "BOT": "b0t",
        "TOKEN": "t",
    }
    config = load_sources(sources, environ=environ)
    app = config.get("app")
    assert app.url == "postgresql://ann:q%40%2F@db.internal:5432/shop?sslpassword=k&y"
    redact = config.redact
    # Short secrets too; a piece is hidden where it stands alone, not inside other words.
    assert redact('user "ann" password q@/ at db.internal:5432') == (
        'user "***" password *** at db.internal:5432'
    )
    assert redact("host q@x, encoded q%40%2F, key k&y, k, bot b0t, t: tt") == (
        "host ***@x, encoded ***, key ***, ***, bot ***, ***: tt"
    )
    assert redact("annotation of the shop") == "annotation of the shop"


def test_a_whole_url_reference_keeps_its_password_secret(tmp_path):
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - name: app\n    kind: sql\n    url: ${DATABASE_URL}\n"
        "    tables: [{name: t, table: t}]\n"
    )
    url = "postgresql://ann:pa%40ss@db:5432/shop"
    config = load_sources(sources, environ={"DATABASE_URL": url})
    assert config.get("app").url == url  # a whole URL is taken as written (already encoded)
    assert (
        config.redact(f"failed: {url} / pa@ss") == "failed: postgresql://ann:***@db:5432/shop / ***"
    )


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("postgresql://h/db", "postgres"),
        ("postgresql+psycopg://h/db", "postgres"),
        ("mysql+pymysql://h/db", "mysql"),
        ("mariadb://h/db", "mysql"),
        ("sqlite:///x.db", "sqlite"),
        ("mssql+pyodbc://h/db", "tsql"),
        ("snowflake://h/db", "snowflake"),
        ("ibm_db_sa://h/db", ""),  # unknown to sqlglot: its generic SQL
    ],
)
def test_sqlalchemy_schemes_map_to_sqlglot_dialects(url, dialect):
    assert dialect_of(url) == dialect
    assert parse_filter("status <> 'test'", url).sql(dialect) == "status <> 'test'"


@pytest.mark.parametrize(
    ("key", "template", "ref", "part"),
    [
        ("url", "postgresql://${U}:${P}@h:5432/db", "${U}", "userinfo"),
        ("url", "postgresql://${U}:${P}@h:5432/db", "${P}", "userinfo"),
        ("url", "postgresql://u:${P:-a/b?c#d}@h/db@x", "${P:-a/b?c#d}", "userinfo"),
        ("url", "postgresql://u@${H}:5432/db", "${H}", "plain"),
        ("url", "postgresql://u:p@h:${PORT}/db", "${PORT}", "plain"),
        ("url", "postgresql://u:p@h/${DB}", "${DB}", "plain"),
        ("url", "postgresql://u:p@h/${DB}?sslmode=require", "${DB}", "plain"),
        ("url", "postgresql://u:p@h/db?sslpassword=${K}", "${K}", "secret"),
        ("url", "postgresql://u:p@h/db#${F}", "${F}", "secret"),
        ("url", "https://api.example.com/bot${T}/send", "${T}", "plain"),
        ("base_url", "https://api.example.com/bot${T}/send", "${T}", "secret"),
        ("base_url", "https://${H}/v1", "${H}", "plain"),
        ("url", "sqlite:///${FILE}", "${FILE}", "plain"),
        ("url", "${DATABASE_URL}", "${DATABASE_URL}", "whole"),
        ("url", "${SCHEME}://u@h/db", "${SCHEME}", "plain"),
        ("url", "h/${X}", "${X}", "plain"),
    ],
)
def test_where_a_reference_stands_in_a_url(key, template, ref, part):
    start = template.index(ref)
    assert credentials.url_part(template, start, start + len(ref), key) == part


@pytest.mark.parametrize(
    ("key_path", "secret"),
    [
        (("sources", 0, "auth", "token"), True),
        (("sources", 0, "auth", "username"), True),
        (("sources", 0, "headers", "Authorization"), True),
        (("sources", 0, "endpoints", 1, "params", "api_key"), True),
        (("sources", 0, "endpoints", 1, "path"), True),
        (("sources", 0, "password", "x"), False),
        (("sources", 0, "x", "password"), True),
        (("sources", 0, "path"), False),  # a files source's directory
        (("sources", 0, "tables", 0, "table"), False),
        (("sources", 0, "name"), False),
        ((), False),
    ],
)
def test_which_fields_hold_secrets(key_path, secret):
    assert credentials.secret_field(key_path) is secret


def test_values_outside_credentials_stay_visible(tmp_path):
    (tmp_path / "sources.yml").write_text(
        "sources:\n  - name: app\n    kind: files\n    path: ${DATA_DIR}\n"
        "    tables: [{name: t, glob: '*.csv'}]\n"
    )
    config = load_sources(tmp_path / "sources.yml", environ={"DATA_DIR": "data/in"})
    assert config.redact("data/in/a.csv: bad header") == "data/in/a.csv: bad header"
