"""`northstar review …` through a real pipe: a long note stays on one line (nothing wraps or is
cropped when stdout is not a terminal), bad input is one line on stderr with exit code 2, and the
commands write what `review show` then prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop
from typer.testing import CliRunner

from app import build_cli

ROOT = Path(__file__).resolve().parents[2]
LONG_NOTE = "Web orders carried the week: " + "the promo banner on the home page " * 8


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("review-cli")
    return {
        **os.environ,
        "NORTHSTAR_SETTINGS": str(folder / "none.toml"),
        "NORTHSTAR_METRICS": str(SPEC),
        "NORTHSTAR_SERVING_DIR": str(build_shop(folder / "shop")),
        "NORTHSTAR_WAREHOUSE": str(folder / "none.duckdb"),
        "NORTHSTAR_APP_DB": f"sqlite:///{folder / 'app.db'}",
        "NORTHSTAR_AS_OF": AS_OF.isoformat(),
        "COLUMNS": "60",
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import app; app.main()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli(env: dict[str, str], *args: str) -> str:
    """A command in-process (a subprocess costs seconds); its output, after a zero exit."""
    done = CliRunner().invoke(build_cli(), list(args), env=env)
    assert done.exit_code == 0, done.output
    return done.stdout


def test_the_review_from_the_command_line_through_a_pipe(env) -> None:  # type: ignore[no-untyped-def]
    nothing = run(env, "review", "show")
    assert (nothing.returncode, nothing.stderr.strip()) == (
        2, "no review yet: start one with `northstar review start`"
    )  # fmt: skip
    started = cli(env, "review", "start", "--as", "ana")
    assert started.startswith("started the review of 2026-W11 (9–15 Mar 2026)")
    cli(env, "review", "note", "add", LONG_NOTE, "--slide", "nsm")
    cli(env, "review", "decide", "add", "Keep the promo")
    added = cli(env, "review", "action", "add", "Check the funnel", "--owner", "bob",
                "--due", "2026-03-25")  # fmt: skip
    assert added.strip() == "action #1 added to 2026-W11 for bob, due 2026-03-25"
    done = cli(env, "review", "action", "done", "1", "--as", "bob")
    assert done.strip() == "action #1 (2026-W11) is done"
    shown = run(env, "review", "show", "--week", "2026-W11")  # through a real pipe
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("review 2026-W11 (9–15 Mar 2026) · open · started ")
    note = [line for line in lines if "Web orders carried the week" in line]
    assert len(note) == 1 and LONG_NOTE.strip() in note[0]  # one line, nothing cropped
    assert any("Keep the promo" in line for line in lines)
    assert any("Check the funnel" in line and "done" in line and "by bob" in line for line in lines)
    assert "every number is as today's data gives it" in shown.stderr
    listed = cli(env, "review", "list")
    assert "2026-W11" in listed and "0 of 1" in listed


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("review", "start", "--week", "2026-W12"), "2026-W12 is not over yet"),
        (
            ("review", "start", "--week", "W12"),
            "write a week as YYYY-Www, e.g. 2026-W48, not 'W12'",
        ),
        (("review", "show", "--week", "2019-W02"), "there is no review of 2019-W02 yet"),
        (("review", "action", "done", "999"), "there is no action #999"),
        (("review", "action", "add", "x", "--owner", "a", "--due", "soon"), "YYYY-MM-DD"),
        (("review", "note", "add", "x", "--slide", "nsn"), "did you mean `nsm`?"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(env, args, says) -> None:  # type: ignore[no-untyped-def]
    """In-process (each subprocess costs seconds): the same guard turns errors into lines."""
    cli = build_cli()
    if "note" in args or "--due" in args:
        CliRunner().invoke(cli, ["review", "start", "--week", "2026-W10"], env=env)
    done = CliRunner().invoke(cli, list(args), env=env)
    assert done.exit_code == 2, done.output
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
