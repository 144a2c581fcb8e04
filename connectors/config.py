"""Typed, frozen models of sources.yml: one source = name, kind, connection, tables, schedule, freshness.

Names that end up in SQL (source, table and column names) are checked against a strict pattern here,
so the loaders can quote them without ever splicing other text into SQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: object) -> timedelta:
    """'90s', '15m', '2h', '1d', '1w' (or a timedelta) → timedelta."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; write it like 30s, 15m, 2h, 1d or 1w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _check_name(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", value) or "__" in value:
        raise ValueError(
            f"{value!r} is not a valid name: use lower-case letters, digits and single underscores, "
            "starting with a letter (it becomes part of raw.<source>__<table>)"
        )
    return value


def _check_column(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"{value!r} is not a plain column name (letters, digits, _)")
    return value


def _check_dotted(value: str) -> str:
    for part in value.split("."):
        _check_column(part)
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Name = Annotated[str, AfterValidator(_check_name)]
Column = Annotated[str, AfterValidator(_check_column)]
DottedName = Annotated[str, AfterValidator(_check_dotted)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Schedule(Model):
    every: Duration | None = None
    cron: str | None = None

    @model_validator(mode="after")
    def _one_trigger(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of `every: 15m` or `cron: '*/15 * * * *'`")
        if self.cron is not None:
            from cron_schedule import crontab_trigger

            crontab_trigger(self.cron)  # CronError (a ValueError) says what is wrong
        return self


class Freshness(Model):
    warn_after: Duration | None = None
    error_after: Duration | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Freshness:
        if self.warn_after and self.error_after and self.warn_after > self.error_after:
            raise ValueError("warn_after must not be longer than error_after")
        return self


class TableCommon(Model):
    name: Name
    primary_key: list[Column] = Field(default_factory=list)


class SqlTable(TableCommon):
    table: DottedName  # the source table, `table` or `schema.table`
    cursor: Column | None = None
    # Rows changed up to this long before the last cursor are read again (late commits);
    # an int for integer cursors, a duration for timestamp cursors.
    lookback: Duration | int | None = None
    columns: list[Column] | None = None
    filter: str | None = None  # a SQL condition in the source's dialect, checked by sqlglot
    deletes: Literal["ignore", "soft"] = "ignore"
    batch_size: int = Field(default=100_000, gt=0)

    @model_validator(mode="after")
    def _needs_key(self) -> SqlTable:
        if self.lookback is not None and not self.primary_key:
            raise ValueError("lookback re-reads rows, so it needs a primary_key to merge them")
        if self.deletes == "soft" and not self.primary_key:
            raise ValueError("deletes: soft needs a primary_key to find deleted rows")
        if self.columns is not None:
            missing = [c for c in [*self.primary_key, self.cursor] if c and c not in self.columns]
            if missing:
                raise ValueError(f"columns must include the key/cursor column(s) {missing}")
        return self


class SqlSource(Model):
    kind: Literal["sql"]
    name: Name
    url: str = Field(repr=False)  # may hold a resolved password
    tables: list[SqlTable] = Field(min_length=1)
    schedule: Schedule | None = None
    freshness: Freshness = Freshness()


FileFormat = Literal["csv", "parquet", "json", "ndjson"]


class FileTable(TableCommon):
    glob: str
    format: FileFormat | None = None  # by extension when omitted

    def file_format(self, path: Path) -> FileFormat:
        if self.format:
            return self.format
        suffix = path.suffix.lower().lstrip(".")
        return {"jsonl": "ndjson", "pq": "parquet"}.get(suffix, suffix)  # type: ignore[return-value]


class FilesSource(Model):
    kind: Literal["files"]
    name: Name
    path: str  # a directory, relative to the sources file
    tables: list[FileTable] = Field(min_length=1)
    schedule: Schedule | None = None
    freshness: Freshness = Freshness()


class Pagination(Model):
    style: Literal["none", "page", "offset", "cursor", "link"] = "none"
    page_size: int = Field(default=100, gt=0)
    size_param: str | None = "per_page"  # for page style; `limit_param` for offset
    page_param: str = "page"
    start_page: int = 1
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_param: str = "cursor"
    next_cursor_path: str = "next_cursor"  # where the response body holds the next token
    max_pages: int = Field(default=100_000, gt=0)


class Incremental(Model):
    param: str = "since"  # query parameter that receives the last cursor value
    cursor_field: Column  # record field whose maximum becomes the next cursor
    initial: str | None = None


class HttpEndpoint(TableCommon):
    path: str
    records_path: str | None = None  # dotted path to the list of records; None = body is the list
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    pagination: Pagination = Pagination()
    incremental: Incremental | None = None


class HttpAuth(Model):
    type: Literal["bearer", "basic", "api_key"]
    token: str | None = Field(default=None, repr=False)
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    header: str = "X-API-Key"
    value: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _complete(self) -> HttpAuth:
        needed = {"bearer": ["token"], "basic": ["username", "password"], "api_key": ["value"]}
        missing = [f for f in needed[self.type] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"auth type {self.type} needs {', '.join(missing)}")
        return self


class HttpSource(Model):
    kind: Literal["http"]
    name: Name
    base_url: str
    auth: HttpAuth | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    endpoints: list[HttpEndpoint] = Field(min_length=1)
    timeout_seconds: float = Field(default=30, gt=0)
    max_retries: int = Field(default=5, ge=0)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_retry_after_seconds: float = Field(default=300, ge=0)
    schedule: Schedule | None = None
    freshness: Freshness = Freshness()

    @property
    def tables(self) -> list[HttpEndpoint]:
        return self.endpoints


Source = Annotated[SqlSource | FilesSource | HttpSource, Field(discriminator="kind")]


class SourcesFile(Model):
    sources: list[Source] = Field(default_factory=list)
