"""A broken sources.yml is one problem per line, `file:line: key: message (hint)`, as editors and
grep read it (issue 8, item 1): a YAML syntax error too, which PyYAML words over several lines."""

from __future__ import annotations

import pytest

from connectors.errors import SourceConfigError
from connectors.sources_file import load_sources


def problems(path) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceConfigError) as caught:
        load_sources(path, {})
    text = str(caught.value)
    head, *lines = text.splitlines()
    assert head == f"{len(lines)} problem(s) in the sources file:"
    return [line.strip() for line in lines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sources: [\n  - bad\n",
            "{f}:2: YAML syntax error (column 3): expected the node content, but found '-' "
            "(check indentation and quotes)",
        ),
        (
            "sources:\n\t- name: a\n",
            "{f}:2: YAML syntax error (column 1): a tab character where YAML expects spaces "
            "(indent with spaces; YAML does not allow tabs)",
        ),
        (
            'sources:\n  - name: "a\n    kind: files\n',
            "{f}:2: YAML syntax error (column 11): a quoted string is never closed "
            "(add the closing quote)",
        ),
        (
            "sources:\n  - name: a\n    kind: files\n    tables: [{name: t, glob: '*.csv'}]\n",
            "{f}:2: sources[0].path: Field required",
        ),
    ],
)
def test_each_problem_is_one_line_with_file_and_line(tmp_path, text, expected):
    path = tmp_path / "sources.yml"
    path.write_text(text)
    assert problems(path) == [expected.format(f=path)]


def test_a_missing_file_says_how_to_point_at_one(tmp_path):
    missing = tmp_path / "nowhere.yml"
    assert problems(missing) == [f"{missing}: file not found; create it or set NORTHSTAR_SOURCES"]
