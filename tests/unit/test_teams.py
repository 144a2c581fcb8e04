"""Teams in the app database and on the command line: what a member sees (their scope and their
team's together), the writes that would leave someone seeing nothing refused with what to do, a
team with members not removed, every write audited, and lists that say how to begin when empty.
On SQLite and PostgreSQL."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app import build_cli
from appdb import AppDb, AuditEntry, Team, User
from auth.accounts import add_user, list_users, set_scope, set_team
from auth.principal import Principal
from auth.roles import AccountError
from auth.scopes import NoRowsError, effective_scope
from auth.teams import add_team, list_teams, remove_team, set_team_scope
from metric_layer.scope import Scope, ScopeError

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
ME = f"cli:{getpass.getuser()}"


# -- what a member sees ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("own", "team", "sees"),
    [
        (None, None, None),
        ({"region": ["South"]}, None, {"region": ["South"]}),
        (None, {"region": ["South"]}, {"region": ["South"]}),
        # each limits its own dimension: both hold
        ({"channel": ["ads"]}, {"region": ["South"]}, {"region": ["South"], "channel": ["ads"]}),
        # both limit region: the values both allow
        (
            {"region": ["North", "South"]},
            {"region": ["South", "East"]},
            {"region": ["South"]},
        ),
        ({"region": ["South"]}, {"region": ["South"]}, {"region": ["South"]}),
    ],
)
def test_a_member_sees_what_both_scopes_allow(own, team, sees) -> None:  # type: ignore[no-untyped-def]
    assert effective_scope(own, team) == sees
    assert effective_scope(team, own) == sees  # the order of the two does not matter
    # The metric layer's own combination of two scopes agrees (auth may not import it).
    if own and team:
        assert Scope.of(sees) == Scope.of(own) & Scope.of(team)


def test_scopes_with_no_value_in_common_see_nothing_rather_than_everything() -> None:
    with pytest.raises(NoRowsError) as caught:
        effective_scope(
            {"region": ["North"], "channel": ["ads"]}, {"region": ["South"], "channel": ["ads"]}
        )
    assert caught.value.dimensions == ("region",)
    # Values are compared as text, as the metric service compares them: South is not south.
    with pytest.raises(NoRowsError):
        effective_scope({"region": ["South"]}, {"region": ["south"]})
    with pytest.raises(ScopeError, match="share no value of `region`"):
        Scope.of({"region": ["North"]}) & Scope.of({"region": ["South"]})


def test_a_principal_that_would_see_nothing_is_marked_never_unlimited() -> None:
    """The gate refuses a principal with `no_rows`; its scope must not read as "everything"
    to anything that asks before the gate does (current_scope raises then)."""
    south = Team(name="South", scope={"region": ["South"]})
    nora = User(
        name="nora", role="viewer", scope={"region": ["North"]}, session_epoch=0, team=south
    )
    who = Principal.of_user(nora)
    assert who.scope is None and who.team == "South"
    assert who.no_rows.startswith("nora would see no rows")
    empty = Principal.of_user(User(name="em", role="viewer", scope={"region": []}, session_epoch=0))
    assert empty.no_rows == (
        "em would see no rows: their scope allows no value of region; an admin sets it with "
        "`northstar users set-scope em …`"
    )
    fine = Principal.of_user(User(name="ana", role="viewer", session_epoch=0, team=south))
    assert (fine.scope, fine.no_rows) == ({"region": ["South"]}, "")


# -- teams in the app database ---------------------------------------------------------------
@pytest.fixture
def db(app_db_url: str):  # type: ignore[no-untyped-def]
    database = AppDb(app_db_url)
    database.upgrade()
    yield database
    database.close()


def audited(db: AppDb) -> list[tuple[str, str, str]]:
    with db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.who, e.action, e.detail) for e in entries]


def test_members_see_their_scope_and_their_teams_together(db: AppDb) -> None:
    add_team(db, "South", {"region": ["South"]}, by="admin")
    add_user(db, "ana", None, "viewer", by="admin", team="South")
    add_user(db, "bob", None, "viewer", by="admin", scope={"channel": ["ads"]}, team="South")
    add_user(db, "cy", None, "viewer", by="admin", scope={"region": ["North"]})
    seen = {a.name: (a.team, a.sees) for a in list_users(db)}
    assert seen == {
        "ana": ("South", {"region": ["South"]}),
        "bob": ("South", {"region": ["South"], "channel": ["ads"]}),
        "cy": (None, {"region": ["North"]}),
    }
    set_team_scope(db, "South", {"region": ["South", "East"]}, by="admin")
    assert [a.sees for a in list_users(db) if a.name == "ana"] == [{"region": ["South", "East"]}]
    set_team_scope(db, "South", None, by="admin")  # --all: only their own scopes remain
    assert {a.name: a.sees for a in list_users(db)} == {
        "ana": None,
        "bob": {"channel": ["ads"]},
        "cy": {"region": ["North"]},
    }
    teams = list_teams(db)
    assert [(t.name, t.scope, t.members) for t in teams] == [("South", None, ("ana", "bob"))]


def test_writes_that_would_leave_someone_seeing_nothing_are_refused(db: AppDb) -> None:
    add_team(db, "South", {"region": ["South"]}, by="admin")
    add_user(db, "nora", None, "viewer", by="admin", scope={"region": ["North"]})
    add_user(db, "ana", None, "viewer", by="admin", scope={"region": ["South"]}, team="South")
    before = audited(db)
    attempts = [
        lambda: add_user(
            db, "ned", None, "viewer", by="admin", scope={"region": ["North"]}, team="South"
        ),
        lambda: set_team(db, "nora", "South", by="admin"),
        lambda: set_scope(db, "ana", {"region": ["North"]}, by="admin"),
        lambda: set_team_scope(db, "South", {"region": ["North"]}, by="admin"),
    ]
    messages = []
    for attempt in attempts:
        with pytest.raises(NoRowsError) as caught:
            attempt()
        messages.append(str(caught.value))
    assert "nora would see no rows" in messages[1]
    assert (
        "(region=North) and team South's (region=South) share no value of region" in (messages[1])
    )
    assert "`northstar users set-team nora TEAM|--none`" in messages[1]
    assert "would leave ana (region=South) with no rows" in messages[3]
    # Nothing changed, nothing audited.
    assert audited(db) == before
    seen = {a.name: (a.team, a.sees) for a in list_users(db)}
    assert seen == {
        "ana": ("South", {"region": ["South"]}),
        "nora": (None, {"region": ["North"]}),
    }


def test_a_team_with_members_is_not_removed(db: AppDb) -> None:
    add_team(db, "South", {"region": ["South"]}, by="admin")
    add_team(db, "North", {"region": ["North"]}, by="admin")
    add_user(db, "ana", None, "viewer", by="admin", team="South")
    with pytest.raises(AccountError, match=r"team South still has 1 member\(s\): ana") as caught:
        remove_team(db, "South", by="admin")
    assert "`northstar users set-team ana --none`" in str(caught.value)
    assert [t.name for t in list_teams(db)] == ["North", "South"]
    set_team(db, "ana", "North", by="admin")
    remove_team(db, "South", by="admin")
    assert [(t.name, t.members) for t in list_teams(db)] == [("North", ("ana",))]


def test_unknown_and_misspelt_teams_name_the_closest(db: AppDb) -> None:
    add_team(db, "South", {"region": ["South"]}, by="admin")
    add_user(db, "ana", None, "viewer", by="admin")
    with pytest.raises(AccountError, match=r"no team named 'south' \(did you mean 'South'\?\)"):
        set_team(db, "ana", "south", by="admin")
    with pytest.raises(AccountError, match="there is already a team named 'South'"):
        add_team(db, "South", None, by="admin")
    with pytest.raises(AccountError, match="a team name is"):
        add_team(db, "the south", None, by="admin")


def test_every_team_write_is_audited(db: AppDb) -> None:
    add_team(db, "South", {"region": ["South"]}, by="admin")
    add_team(db, "North", None, by="admin")
    add_user(db, "ana", None, "viewer", by="admin", team="South")
    set_team_scope(db, "South", {"region": ["South", "East"]}, by="admin")
    set_team(db, "ana", "North", by="admin")
    set_team(db, "ana", None, by="admin")
    remove_team(db, "South", by="admin")
    assert audited(db) == [
        ("admin", "team added", "South (scope: region=South)"),
        ("admin", "team added", "North (scope: all)"),
        ("admin", "user added", "ana as viewer in team South (scope: all)"),
        ("admin", "team scope changed", "South: region=South → region=South,East"),
        ("admin", "team changed", "ana: South → North"),
        ("admin", "team changed", "ana: North → none"),
        ("admin", "team removed", "South"),
    ]


# -- the commands ------------------------------------------------------------------------------
@pytest.fixture
def env(app_db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"NORTHSTAR_APP_DB": app_db_url, "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml")}


def run(args: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    return runner.invoke(build_cli(), args, env=env, catch_exceptions=False)


def test_teams_commands_from_add_to_remove(env: dict[str, str]) -> None:
    added = run(["teams", "add", "South", "--scope", "region=South"], env)
    assert added.exit_code == 0, added.output
    assert added.output == "added team South (scope: region=South)\n"
    joined = run(
        ["users", "add", "ana", "--proxy", "--scope", "channel=ads", "--team", "South"], env
    )
    assert joined.output == (
        "added ana as viewer in team South (scope: channel=ads; sees: channel=ads; region=South)\n"
    )
    widened = run(["teams", "set-scope", "South", "--scope", "region=South,East"], env)
    assert widened.output == (
        "team South sees: region=South,East (1 member(s), from their next request)\n"
    )
    assert run(["users", "add", "bo", "--proxy"], env).exit_code == 0
    moved = run(["users", "set-team", "bo", "South"], env)
    assert moved.output == "bo is in team South; sees: region=South,East\n"
    listed = run(["teams", "list"], env).output
    assert "South" in listed and "region=South,East" in listed and "ana, bo" in listed
    users = run(["users", "list"], env).output
    ana = next(line for line in users.splitlines() if " ana " in line)
    assert "South" in ana and "channel=ads; region=South,East" in ana
    refused = run(["teams", "remove", "South"], env)
    assert refused.exit_code == 2
    assert "team South still has 2 member(s): ana, bo" in refused.output
    assert "northstar users set-team ana --none" in refused.output
    for name in ("ana", "bo"):
        assert run(["users", "set-team", name, "--none"], env).exit_code == 0
    assert run(["teams", "set-scope", "South", "--all"], env).exit_code == 0
    assert run(["teams", "remove", "South"], env).output == "removed team South\n"
    audit = run(["audit"], env).output
    for action in ("team added", "team scope changed", "team changed", "team removed"):
        assert action in audit
    assert ME in audit


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["teams", "add", "the south"], "a team name is"),
        (["teams", "add", "South", "--scope", "region"], "dimension=value"),
        (["teams", "set-scope", "South"], "give either --scope"),
        (["teams", "set-scope", "South", "--all", "--scope", "region=S"], "give either --scope"),
        (["teams", "set-scope", "Nowhere", "--all"], "no team named 'Nowhere'"),
        (["teams", "remove", "Nowhere"], "no team named 'Nowhere'"),
        (["users", "add", "al", "--proxy", "--team", "Nowhere"], "no team named 'Nowhere'"),
        (["users", "set-team", "ana"], "give a team"),
        (["users", "set-team", "ana", "South", "--none"], "give a team"),
        (["users", "set-team", "nobody", "--none"], "no user named 'nobody'"),
    ],
)
def test_bad_team_requests_exit_2_with_what_to_do(env, args, says) -> None:  # type: ignore[no-untyped-def]
    assert run(["users", "add", "ana", "--proxy"], env).exit_code == 0
    result = run(args, env)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output


def test_a_clash_is_refused_on_the_command_line_with_the_way_out(env: dict[str, str]) -> None:
    run(["teams", "add", "South", "--scope", "region=South"], env)
    result = run(
        ["users", "add", "nora", "--proxy", "--scope", "region=North", "--team", "South"], env
    )
    assert result.exit_code == 2
    assert result.output.startswith(
        "nora would see no rows: their scope (region=North) and team South's (region=South) "
        "share no value of region."
    )
    assert "no users yet" in run(["users", "list"], env).output  # nothing was added


def test_empty_lists_say_how_to_begin(env: dict[str, str]) -> None:
    assert run(["teams", "list"], env).output == (
        "no teams yet; add one with `northstar teams add NAME --scope dimension=value`\n"
    )
    assert run(["users", "list"], env).output == (
        "no users yet; add one with `northstar users add NAME --role admin`\n"
    )
    assert run(["screens", "list"], env).output == (
        "no screens yet; add one with `northstar screens add LABEL`\n"
    )
    assert run(["audit", "--since", "2026-03-01"], env).output == (
        "no audit entries since 2026-03-01 00:00 UTC\n"
    )
    assert run(["audit"], env).output == "no audit entries yet\n"


def test_lists_in_a_real_pipe_are_whole_and_unwrapped(tmp_path: Path) -> None:
    """`northstar teams list | …` through a real pipe, the way scripts and grep read it: every
    value whole on its row (no wrapping at 80 columns), brackets and colons left as typed. The
    engine is not the point here (the tests above run both): SQLite, and few processes."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    env = {**os.environ, "NORTHSTAR_APP_DB": url, "COLUMNS": "80"}
    env["NORTHSTAR_SETTINGS"] = str(tmp_path / "none.toml")

    def northstar(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    empty = northstar("teams", "list")
    assert (empty.returncode, empty.stdout, empty.stderr) == (
        0,
        "no teams yet; add one with `northstar teams add NAME --scope dimension=value`\n",
        "",
    )
    values = [f"[district-{i:02d}]:x:" for i in range(12)]  # ~150 characters
    db = AppDb(url)
    add_team(db, "Districts", {"district": values}, by="test")
    add_user(db, "ana", None, "viewer", by="test", team="Districts")
    db.close()
    listing = northstar("users", "list").stdout + northstar("teams", "list").stdout
    rows = [line for line in listing.splitlines() if "Districts" in line]
    assert len(rows) == 2
    assert all(f"district={','.join(values)}" in row for row in rows)
    assert "\x1b[" not in listing
