"""docs/sources-yml.md documents every key sources.yml accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from connectors import config as c

DOC = Path(__file__).parents[2] / "docs" / "sources-yml.md"
MODELS = [
    c.Schedule,
    c.Freshness,
    c.SqlTable,
    c.SqlSource,
    c.FileTable,
    c.FilesSource,
    c.Pagination,
    c.Incremental,
    c.HttpEndpoint,
    c.HttpAuth,
    c.HttpSource,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_sources_key_is_documented(model: type[BaseModel]) -> None:
    documented = set(re.findall(r"`([a-z_]+)`", DOC.read_text(encoding="utf-8")))
    missing = [key for key in model.model_fields if key not in documented]
    assert not missing, f"{DOC.name} does not mention {missing} (keys of {model.__name__})"
