"""Read sources.yml: resolve ${ENV_VAR} references, validate, and report every issue with its line."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from connectors import credentials
from connectors.config import FilesSource, HttpSource, Source, SourcesFile, SqlSource
from connectors.errors import ConfigIssue, ConnectorError, SourceConfigError
from env_refs import ENV_REF
from located_yaml import KeyPath, LocatedYaml, format_path, load_located, yaml_problem

# Fields that may carry credentials: they must be ${ENV_VAR} references, never literals.
_SECRET_KEYS = {"token", "password", "value"}


@dataclass(frozen=True)
class SourcesConfig:
    file: Path
    sources: tuple[Source, ...]
    secrets: frozenset[str] = field(default=frozenset(), repr=False)

    def get(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConnectorError(f"no source named {name!r} in {self.file}; known sources: {known}")

    def base_dir(self) -> Path:
        return self.file.parent

    def redact(self, text: str) -> str:
        """Remove every resolved secret (and each piece of it) from a message before it is
        printed, logged or stored."""
        return credentials.redact(text, self.secrets)


def load_sources(path: str | Path, environ: Mapping[str, str] | None = None) -> SourcesConfig:
    """Parse and validate a sources file; raise SourceConfigError listing every problem."""
    file = Path(path)
    env = os.environ if environ is None else environ
    if not file.exists():
        raise SourceConfigError(
            [ConfigIssue(str(file), None, "", "file not found; create it or set NORTHSTAR_SOURCES")]
        )
    try:
        doc = load_located(file.read_text())
    except yaml.YAMLError as exc:
        found = yaml_problem(exc)  # one line: PyYAML's own text spans several
        raise SourceConfigError(
            [ConfigIssue(str(file), found.line, "", f"{found.message} ({found.hint})")]
        ) from None
    issues: list[ConfigIssue] = []

    def issue(key_path: KeyPath, message: str) -> None:
        issues.append(ConfigIssue(str(file), doc.line_of(key_path), format_path(key_path), message))

    for key_path, line, first in doc.duplicates:
        message = f"duplicate key (first on line {first}); remove one"
        issues.append(ConfigIssue(str(file), line, format_path(key_path), message))
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        issue((), "the file must be a mapping with a `sources:` list")
        raise SourceConfigError(issues)
    _check_literal_secrets(data, (), issue)
    secrets: set[str] = set()
    data = _resolve_env(data, (), env, issue, secrets)
    try:
        model = SourcesFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            key_path = _data_path(data, error["loc"])
            if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                key_path = (*key_path, "kind")
            issue(key_path, error["msg"].removeprefix("Value error, "))
        raise SourceConfigError(issues) from None
    _check_unique(model, doc, issue)
    if issues:
        raise SourceConfigError(issues)
    return SourcesConfig(
        file=file.resolve(), sources=tuple(model.sources), secrets=frozenset(secrets)
    )


def _resolve_env(value: Any, key_path: KeyPath, env: Mapping[str, str], issue, secrets: set) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_env(v, (*key_path, k), env, issue, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, (*key_path, i), env, issue, secrets) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    key = key_path[-1] if key_path else None

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            resolved = env[name]
        elif default is not None:
            resolved = default
        else:
            issue(key_path, f"environment variable {name} is not set; export {name}=... and retry")
            return ""
        if key in credentials.URL_KEYS:
            part = credentials.url_part(value, match.start(), match.end(), key)
            return credentials.resolve_in_url(resolved, part, secrets)
        if credentials.secret_field(key_path):
            secrets.add(resolved)
        return resolved

    return ENV_REF.sub(substitute, value)


def _check_literal_secrets(value: Any, key_path: KeyPath, issue) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            child = (*key_path, k)
            if k in _SECRET_KEYS and "auth" in key_path and isinstance(v, str):
                if not ENV_REF.search(v):
                    issue(child, f"write secrets as ${{ENV_VAR}} references, e.g. ${{{k.upper()}}}")
            elif k == "url" and isinstance(v, str) and urlsplit(ENV_REF.sub("x", v)).password:
                if not _password_is_reference(v):
                    issue(child, "the URL holds a literal password; use ${DB_PASSWORD} instead")
            else:
                _check_literal_secrets(v, child, issue)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_literal_secrets(v, (*key_path, i), issue)


def _password_is_reference(url: str) -> bool:
    netloc = url.split("://", 1)[-1].split("@", 1)[0]
    password = netloc.split(":", 1)[1] if ":" in netloc else ""
    return bool(ENV_REF.fullmatch(password))


def _data_path(data: Any, loc: tuple) -> KeyPath:
    """Map a pydantic error location onto our key path, dropping union tags like 'sql'."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif not isinstance(node, dict | list) or part in ("sql", "files", "http"):
            continue
        else:
            out.append(part)  # a missing key: report it at its parent's line
            break
    return tuple(out)


def _check_unique(model: SourcesFile, doc: LocatedYaml, issue) -> None:
    seen: set[str] = set()
    for i, source in enumerate(model.sources):
        if source.name in seen:
            issue(("sources", i, "name"), f"source name {source.name!r} is used twice")
        seen.add(source.name)
        table_key = "endpoints" if isinstance(source, HttpSource) else "tables"
        names: set[str] = set()
        for j, table in enumerate(source.tables):
            if table.name in names:
                issue(("sources", i, table_key, j, "name"), f"table {table.name!r} is used twice")
            names.add(table.name)
        if isinstance(source, SqlSource):
            _check_filters(source, i, issue)
        if isinstance(source, FilesSource) and not source.path:
            issue(("sources", i, "path"), "give the directory that holds the files")


def _check_filters(source: SqlSource, index: int, issue) -> None:
    from connectors.sql_query import FilterError, parse_filter

    for j, table in enumerate(source.tables):
        if table.filter is None:
            continue
        try:
            parse_filter(table.filter, source.url)
        except FilterError as exc:
            issue(("sources", index, "tables", j, "filter"), str(exc))
