"""Hostile input to every command: one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest
from test_cli import cli_env, run

# (argv, exit code, words the message must contain); 2 = the user asked wrongly, 1 = it failed.
HOSTILE = [
    (
        [
            "query",
            "orders",
            "--from",
            "0001-01-01",
            "--to",
            "0001-01-10",
            "--grain",
            "day",
            "--compare",
            "previous",
        ],
        2,
        "outside 1900-01-01..2999-12-31",
    ),
    (["query", "orders", "--from", "9999-12-01", "--to", "9999-12-31"], 2, "outside"),
    (
        ["query", "orders", "--from", "1900-01-01", "--to", "2999-12-31", "--grain", "day"],
        2,
        "at most",
    ),
    (["query", "orders", "--from", "2026-02-30"], 2, "--from must be a date"),
    (["query", "orders", "--to", "2026-13-01"], 2, "--to must be a date"),
    (["query", "orders", "--from", "2026-03-01", "--to", "2026-01-01"], 2, "before it starts"),
    (["query", "orders", "--grain", "fortnight"], 2, "--grain must be one of"),
    (["query", "orders", "--grain", ""], 2, "--grain must be one of"),
    (["query", ""], 2, "unknown metric ``"),
    (["query", "orders", "--format", "xml"], 2, "--format must be table, csv or json"),
    (["query", "orders", "--compare", "yesterday"], 2, "offset 'yesterday' is not a step back"),
    (["query", "orders", "--as-of", "soon"], 2, "--as-of must be a date"),
    (["query", "orders", "--as-of", "0001-01-01"], 2, "outside"),
    (["query", "orders", "--where", "platform==ios"], 2, "dimension=value"),
    (["query", "orders", "--where", "platform="], 2, "dimension=value"),
    (["query", "orders", "--where", "=ios"], 2, "dimension=value"),
    (["query", "orders", "--where", "platform"], 2, "dimension=value"),
    (["query", "orders", "--by", "platform", "--by", "platform"], 2, "twice"),
    (["query", "orders", "--by", ""], 2, "cannot be broken down"),
    (["query", "orderz"], 2, "did you mean `orders`?"),
    (["demo", "build", "--end", "yesterday"], 2, "--end must be a date"),
    (["demo", "build", "--scale", "lots"], 2, "--scale must be"),
    (["demo", "build", "--scale", "-5"], 2, "--scale must be"),
    (["validate", "/nonexistent/metrics.yml"], 2, "/nonexistent/metrics.yml"),
    (["ingest", "nosuchsource"], 2, "nosuchsource"),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return cli_env(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("columns", [None, "80"], ids=["no-COLUMNS", "COLUMNS=80"])
@pytest.mark.parametrize(("args", "code", "words"), HOSTILE, ids=[" ".join(h[0]) for h in HOSTILE])
def test_hostile_arguments_get_one_clear_line(env, args, code, words, columns):
    result = run(args, {**env, "COLUMNS": columns})
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "Error:" not in result.output.split("\n")[0]
    assert words in result.output, result.output
    message = result.stderr.strip()
    assert message and len(message.splitlines()) == 1, result.output  # one line, not wrapped


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    folder = tmp_path / "a-folder.yml"
    folder.mkdir()
    binary = tmp_path / "garbage.bin"
    binary.write_bytes(b"\x00\xff\xfe garbage \x81" * 50)
    empty = tmp_path / "empty-serving"
    empty.mkdir()
    return {"folder": str(folder), "binary": str(binary), "empty": str(empty)}


@pytest.mark.parametrize(
    ("overrides", "args", "code", "words"),
    [
        ({"NORTHSTAR_METRICS": "folder"}, ["validate"], 1, "cannot read: Is a directory"),
        ({"NORTHSTAR_METRICS": "folder"}, ["metrics"], 1, "cannot read: Is a directory"),
        ({"NORTHSTAR_METRICS": "folder"}, ["query", "orders"], 1, "cannot read: Is a directory"),
        ({"NORTHSTAR_METRICS": "binary"}, ["validate"], 1, "cannot read: not UTF-8 text"),
        ({"NORTHSTAR_METRICS": "folder"}, ["serve"], 1, "Is a directory"),
        ({"NORTHSTAR_METRICS": "binary"}, ["serve"], 1, "cannot read: not UTF-8 text"),
        ({"NORTHSTAR_SOURCES": "folder"}, ["worker"], 1, "cannot read: Is a directory"),
        ({"NORTHSTAR_SOURCES": "folder"}, ["sources"], 1, "cannot read: Is a directory"),
        ({"NORTHSTAR_SOURCES": "folder"}, ["ingest"], 1, "cannot read: Is a directory"),
        ({"NORTHSTAR_SOURCES": "binary"}, ["ingest"], 1, "cannot read: not UTF-8 text"),
        ({"NORTHSTAR_AS_OF": "tomorrow"}, ["query", "orders"], 2, "must be a date"),
        (
            {"NORTHSTAR_WAREHOUSE": "binary", "NORTHSTAR_SERVING_DIR": "empty"},
            ["query", "orders"],
            1,
            "garbage.bin",
        ),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else None,
)
def test_unreadable_files_and_settings(env, files, overrides, args, code, words):
    result = run(args, {**env, **{k: files.get(v, v) for k, v in overrides.items()}})
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert words in result.output, result.output
    assert result.stderr.strip(), "the error is on stderr"


def test_every_command_is_guarded():
    """Commands added later (any module registered in app.py) get the same error handling."""
    import typer

    from app import build_cli

    def callbacks(app: typer.Typer):
        for info in app.registered_commands:
            yield info.name or info.callback.__name__, info.callback
        for group in app.registered_groups:
            yield from callbacks(group.typer_instance)

    found = dict(callbacks(build_cli()))
    assert {"validate", "metrics", "query", "ingest", "sources", "worker", "serve", "build"} <= set(
        found
    )
    assert [name for name, callback in found.items() if not hasattr(callback, "__guarded__")] == []
