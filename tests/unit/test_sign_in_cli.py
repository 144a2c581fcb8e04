"""`northstar users|screens|audit` as an admin runs them, and `serve`'s refusal to listen beyond
this machine with sign-in off. Passwords go in by prompt or stdin only; no output shows a hash."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app import build_cli
from appdb import AppDb, User
from auth.accounts import check_password
from auth.exposure import bind_host, exposure_problem, is_local
from settings import Settings

runner = CliRunner()
ME = f"cli:{getpass.getuser()}"


@pytest.fixture
def env(app_db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"NORTHSTAR_APP_DB": app_db_url, "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml")}


def run(args: list[str], env: dict[str, str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(build_cli(), args, env=env, input=stdin, catch_exceptions=False)


def test_users_add_list_change_and_remove(env: dict[str, str]) -> None:
    added = run(
        [
            "users",
            "add",
            "ana",
            "--role",
            "editor",
            "--scope",
            "region=South,East",
            "--password-stdin",
        ],
        env,
        "a good long password\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "added ana as editor (scope: region=South,East)"
    assert run(["users", "add", "pat", "--proxy", "--email", "pat@example.com"], env).exit_code == 0
    listed = run(["users", "list"], env).output
    assert "ana" in listed and "editor" in listed and "region=South,East" in listed
    assert "pat@example.com" in listed and "proxy" in listed
    assert run(["users", "set-role", "ana", "admin"], env).output.strip() == "ana is now admin"
    assert run(["users", "set-scope", "ana"], env).output.strip() == "ana sees: all"
    assert run(["users", "disable", "pat"], env).exit_code == 0
    assert run(["users", "enable", "pat"], env).exit_code == 0
    changed = run(["users", "set-password", "ana", "--password-stdin"], env, "another long one\n")
    assert changed.exit_code == 0
    assert run(["users", "remove", "pat"], env).output.strip() == "removed pat"
    db = AppDb(env["NORTHSTAR_APP_DB"])
    with db.session() as session:
        assert check_password(session, "ana", "another long one") is not None
        assert check_password(session, "ana", "a good long password") is None
        assert session.scalars(select(User.name)).all() == ["ana"]
    db.close()
    audit = run(["audit"], env).output
    for action in (
        "user added",
        "role changed",
        "scope changed",
        "user disabled",
        "user enabled",
        "password changed",
        "user removed",
    ):
        assert action in audit
    assert ME in audit


def test_no_output_ever_shows_a_password_or_its_hash(env: dict[str, str]) -> None:
    outputs = [
        run(["users", "add", "ana", "--password-stdin"], env, "sekrit-password-1\n").output,
        run(
            ["users", "set-password", "ana", "--password-stdin"], env, "sekrit-password-2\n"
        ).output,
        run(["users", "list"], env).output,
        run(["audit"], env).output,
    ]
    text = "\n".join(outputs)
    assert "$argon2" not in text and "sekrit-password" not in text


def test_a_password_is_asked_for_twice_and_not_echoed(env: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("cli.user_commands.on_terminal", lambda: True)
    typed = run(["users", "add", "ana"], env, "sekrit-password-1\nsekrit-password-1\n")
    assert typed.exit_code == 0, typed.output
    assert "Password" in typed.output and "sekrit" not in typed.output


def test_a_password_is_never_an_argument(env: dict[str, str]) -> None:
    refused = run(["users", "add", "ana", "--password", "in-the-shell-history"], env)
    assert refused.exit_code == 2
    no_terminal = run(["users", "add", "ana"], env)
    assert no_terminal.exit_code == 2
    assert "--password-stdin" in no_terminal.output


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["users", "add", "ana", "--password-stdin"], "short\n", "8 to 1024 characters"),
        (["users", "add", "a b", "--proxy"], None, "a user name is"),
        (["users", "add", "ana", "--proxy", "--role", "owner"], None, "unknown role 'owner'"),
        (["users", "add", "ana", "--proxy", "--scope", "region"], None, "dimension=value"),
        (["users", "set-role", "nobody", "viewer"], None, "no user named 'nobody'"),
        (["screens", "revoke", "99"], None, "no screen #99"),
        (["audit", "--since", "yesterday"], None, "--since takes a day or time"),
    ],
)
def test_bad_requests_exit_2_with_what_to_do(env, args, stdin, says) -> None:  # type: ignore[no-untyped-def]
    answer = run(args, env, stdin)
    assert answer.exit_code == 2 and says in answer.output


def test_adding_a_taken_name_is_refused(env: dict[str, str]) -> None:
    assert run(["users", "add", "ana", "--proxy"], env).exit_code == 0
    again = run(["users", "add", "ana", "--proxy"], env)
    assert again.exit_code == 2 and "already a user named 'ana'" in again.output


def test_screens_add_list_revoke(env: dict[str, str]) -> None:
    added = run(["screens", "add", "Boardroom TV", "--base-url", "https://ns.example.com/"], env)
    assert added.exit_code == 0
    link = added.stdout.strip()
    assert link.startswith("screen #1 Boardroom TV: https://ns.example.com/screen/")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 40
    listed = run(["screens", "list"], env).output
    assert "Boardroom TV" in listed and "active" in listed and token not in listed
    assert (
        run(["screens", "revoke", "1"], env).output.strip() == "screen #1 Boardroom TV is revoked"
    )
    assert "revoked" in run(["screens", "list"], env).output
    audit = run(["audit"], env).output
    assert "screen added" in audit and "screen revoked" in audit and token not in audit


def test_audit_since_keeps_later_entries(env: dict[str, str]) -> None:
    run(["users", "add", "ana", "--proxy"], env)
    assert "user added" in run(["audit", "--since", "1h"], env).output
    assert "user added" not in run(["audit", "--since", "2999-01-01"], env).output
    assert "user added" in run(["audit", "--since", "2000-01-01T00:00+08:00"], env).output


def test_an_unusable_app_database_fails_with_exit_1(tmp_path: Path) -> None:
    env = {
        "NORTHSTAR_APP_DB": "mysql://root@127.0.0.1/test",
        "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"),
    }
    answer = run(["users", "list"], env)
    assert answer.exit_code == 1 and "SQLite or PostgreSQL" in answer.output


# -- listening beyond this machine ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bind", "local"),
    [
        ("127.0.0.1:8050", True),
        ("127.0.0.1", True),
        ("localhost:8050", True),
        ("[::1]:8050", True),
        ("::1", True),
        ("unix:/run/northstar.sock", True),
        ("0.0.0.0:8050", False),
        ("[::]:8050", False),
        ("10.0.0.5:80", False),
        ("dashboard.example.com:80", False),
        ("fd://3", False),
        ("", False),
    ],
)
def test_which_addresses_are_this_machine(bind: str, local: bool) -> None:
    assert is_local(bind_host(bind)) is local


def test_exposure_needs_sign_in_or_an_explicit_yes() -> None:
    off = Settings()
    assert "refusing to listen on 0.0.0.0:8050" in exposure_problem(["0.0.0.0:8050"], off)
    assert exposure_problem(["127.0.0.1:8050"], off) is None
    assert exposure_problem(["0.0.0.0:8050"], Settings(auth="password")) is None
    assert exposure_problem(["0.0.0.0:8050"], Settings(allow_public_without_auth=True)) is None
    loaded = Settings.load({"NORTHSTAR_ALLOW_PUBLIC_WITHOUT_AUTH": "0"})
    assert exposure_problem(["0.0.0.0:8050"], loaded) is not None  # "0" is no, not a string


def test_serve_refuses_a_public_address_with_sign_in_off(tmp_path: Path) -> None:
    env = {"NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"), "NORTHSTAR_AUTH": "off"}
    answer = run(["serve", "--host", "0.0.0.0"], env)
    assert answer.exit_code == 2
    assert "refusing to listen on 0.0.0.0 with sign-in off" in answer.output
    assert "--allow-public-without-auth" in answer.output
