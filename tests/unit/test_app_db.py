"""The app database on SQLite and PostgreSQL: migrations from empty to head, models and
migrations agreeing, concurrent starts, the audit log, and URLs that are not usable."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from appdb import AppDb, AppDbError, audit, audit_entries
from appdb.migrate import alembic_config, current, head, upgrade
from appdb.models import utc_now
from appdb.schema import metadata

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"users", "teams", "screens", "audit_log", "app_secrets", "alembic_version"}
TABLES |= {"alert_states", "alert_history", "alert_silences", "alert_deliveries"}
TABLES |= {"okr_check_ins", "okr_kr_values"}
TABLES |= {"reviews", "review_numbers", "review_notes", "review_decisions", "review_actions"}
# The newest migration file's revision: a new migration must become head.
NEWEST = max(p.name[:4] for p in (ROOT / "appdb/migrations/versions").glob("[0-9]*.py"))


def test_migration_from_empty_reaches_head_and_matches_the_models(app_db_url: str) -> None:
    db = AppDb(app_db_url)
    with db.engine.connect() as conn:
        assert current(conn) is None
        assert not set(sa.inspect(conn).get_table_names()) & TABLES
    db.upgrade()
    with db.engine.connect() as conn:
        assert current(conn) == head() == NEWEST
        assert set(sa.inspect(conn).get_table_names()) == TABLES
        # What the migrations built is what the models describe (columns, types, indexes,
        # constraints): a model change without a migration fails here.
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    db.upgrade()  # at head: nothing to do, no error
    db.close()


def test_role_outside_the_three_is_refused_by_the_database(app_db_url: str) -> None:
    db = AppDb(app_db_url)
    db.upgrade()
    with pytest.raises(sa.exc.IntegrityError), db.session() as session:
        session.execute(
            sa.text(
                "INSERT INTO users (name, role, disabled, session_epoch, created_at) "
                "VALUES ('x', 'owner', false, 0, CURRENT_TIMESTAMP)"
            )
        )
    db.close()


def _add_user(conn: sa.Connection, name: str, role: str = "viewer") -> None:
    conn.execute(
        sa.text(
            "INSERT INTO users (name, role, scope, disabled, session_epoch, created_at) "
            "VALUES (:name, :role, :scope, false, 0, CURRENT_TIMESTAMP)"
        ),
        {"name": name, "role": role, "scope": json.dumps({"region": ["South"]})},
    )


def test_teams_migration_keeps_users_and_their_role_check(app_db_url: str) -> None:
    """0002 → 0003 on a database with users (SQLite copies the users table to add the foreign
    key): the rows, the role check and the unique name survive; downgrading drops only teams."""
    db = AppDb(app_db_url)
    upgrade(db.url, db.engine, "0002")
    with db.engine.begin() as conn:
        _add_user(conn, "ana")
    upgrade(db.url, db.engine, "0003")  # later migrations are tested on their own
    with db.engine.connect() as conn:
        assert current(conn) == "0003"
        rows = conn.execute(sa.text("SELECT name, scope, team_id FROM users")).all()
        assert [(r[0], r[2]) for r in rows] == [("ana", None)]
        scope = rows[0][1]
        assert (scope if isinstance(scope, dict) else json.loads(scope)) == {"region": ["South"]}
    for name, role in (("bob", "owner"), ("ana", "viewer")):  # the role check, the unique name
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            _add_user(conn, name, role)
    # The foreign key holds: no team that does not exist, no removing a team with members.
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO teams (name, created_at) VALUES ('South', CURRENT_TIMESTAMP)")
        )
        conn.execute(sa.text("UPDATE users SET team_id = (SELECT id FROM teams)"))
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET team_id = 999"))
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM teams"))
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    with db.engine.connect() as conn:
        assert current(conn) == "0002"
        assert "teams" not in sa.inspect(conn).get_table_names()
        assert "team_id" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
        assert conn.execute(sa.text("SELECT name FROM users")).scalars().all() == ["ana"]
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        _add_user(conn, "bob", "owner")
    db.close()


STARTER = """
import sys, time
from pathlib import Path
from appdb import AppDb
db = AppDb(sys.argv[1])
go = Path(sys.argv[2])
while not go.exists():  # every process imported and ready: start together
    time.sleep(0.005)
db.upgrade()
"""


def test_processes_starting_together_migrate_once(app_db_url: str, tmp_path: Path) -> None:
    """Four processes (gunicorn workers, a CLI command) upgrading at once: none fails, the
    schema is made once. Alembic keeps its context in module globals, so processes, not threads."""
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, app_db_url, str(go)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    go.touch()
    failures = [p.communicate(timeout=120)[1] for p in procs if p.wait(timeout=120) != 0]
    assert failures == []
    db = AppDb(app_db_url)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [(head(),)]
    db.close()


def test_audit_entries_come_back_oldest_first_and_since_a_time(app_db_url: str) -> None:
    db = AppDb(app_db_url)
    db.upgrade()
    with db.session() as session:
        audit(session, "ana", "sign-in", "", "10.0.0.7")
        old = audit(session, "cli:root", "user added", "bob as viewer")
        old.at = utc_now() - timedelta(days=3)
    with db.session() as session:
        everything = [(e.who, e.action, e.address) for e in audit_entries(session)]
        recent = [(e.who, e.action) for e in audit_entries(session, utc_now() - timedelta(days=1))]
    assert everything == [
        ("cli:root", "user added", None),
        ("ana", "sign-in", "10.0.0.7"),
    ]
    assert recent == [("ana", "sign-in")]
    db.close()


def test_a_failed_write_leaves_no_audit_entry(app_db_url: str) -> None:
    db = AppDb(app_db_url)
    db.upgrade()
    with pytest.raises(RuntimeError), db.session() as session:
        audit(session, "ana", "role changed", "bob: viewer → admin")
        raise RuntimeError("the change failed after its audit entry was added")
    with db.session() as session:
        assert audit_entries(session) == []
    db.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "must be a database URL"),
        ("mysql://root@127.0.0.1/test", "SQLite or PostgreSQL, not mysql"),
    ],
)
def test_unusable_urls_say_what_is_expected(url: str, says: str) -> None:
    with pytest.raises(AppDbError, match=says):
        AppDb(url)


def test_postgresql_urls_use_the_installed_driver() -> None:
    db = AppDb("postgresql://someone:secret@127.0.0.1:1/test")
    assert db.url.drivername == "postgresql+psycopg"
    db.close()


def test_an_unreachable_server_is_an_app_db_error_without_the_password() -> None:
    db = AppDb("postgresql://someone:hunter2hunter2@127.0.0.1:1/test?connect_timeout=2")
    with pytest.raises(AppDbError) as caught:
        db.upgrade()
    assert "NORTHSTAR_APP_DB" in str(caught.value)
    assert "hunter2hunter2" not in str(caught.value)
    db.close()


def test_sqlite_folder_is_made_and_the_file_is_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = AppDb(f"sqlite:///{tmp_path / 'new' / 'folder' / 'app.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "new" / "folder" / "app.db").is_file()
    db.close()
