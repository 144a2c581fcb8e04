"""Where Northstar finds its files: environment variables over an optional northstar.toml.

| variable                  | default                 | meaning                                     |
|---------------------------|-------------------------|---------------------------------------------|
| NORTHSTAR_SETTINGS        | northstar.toml          | optional TOML file with the keys below      |
| NORTHSTAR_METRICS         | metrics.yml             | the metric layer spec                       |
| NORTHSTAR_SOURCES         | sources.yml             | connector sources                           |
| NORTHSTAR_WAREHOUSE       | data/warehouse.duckdb   | the read-write warehouse (ingest worker)    |
| NORTHSTAR_ENGINE          | duckdb                  | the warehouse engine: duckdb, postgres or   |
|                           |                         | spark (docs/scale-out.md)                   |
| NORTHSTAR_ENGINE_URL      | (empty)                 | postgres: postgresql://user@host:5432/db;   |
|                           |                         | a password only as a ${VAR} reference in    |
|                           |                         | the file; never printed. spark: local[N]    |
|                           |                         | (default local[2]) or sc://host:15002       |
| NORTHSTAR_SPARK_DIR       | data/spark              | spark: the Parquet tables, one folder per   |
|                           |                         | table (<dir>/raw/orders/…)                  |
| NORTHSTAR_SERVING_DIR     | data/serving            | published read-only snapshots (web app)     |
| NORTHSTAR_APP_DB          | sqlite:///data/app.db   | app state (alerts, check-ins, annotations)  |
| NORTHSTAR_HOST / _PORT    | 127.0.0.1 / 8050        | where `northstar serve` listens             |
| NORTHSTAR_AS_OF           | (empty: the real clock) | YYYY-MM-DD treated as today everywhere      |
| NORTHSTAR_CACHE           | simple                  | web result cache: simple, filesystem:<dir>, |
|                           |                         | or redis://host:port/db (shared by workers) |
| NORTHSTAR_SERVING_THREADS | 1                       | DuckDB threads of each web-side snapshot    |
| NORTHSTAR_SERVING_MEMORY  | 1GB                     | DuckDB memory ceiling of each of them       |
| NORTHSTAR_ALERTS_EVERY    | 15m                     | the worker checks alerts this often (and    |
|                           |                         | after each ingest); off: only after ingests |

Sign-in (README, "Sign-in"; off by default):

| variable                            | default            | meaning                          |
|-------------------------------------|--------------------|----------------------------------|
| NORTHSTAR_AUTH                      | off                | off, password or proxy           |
| NORTHSTAR_SECRET_KEY                | (kept in app db)   | signs session cookies            |
| NORTHSTAR_COOKIE_SECURE             | false              | cookies only over HTTPS          |
| NORTHSTAR_SESSION_HOURS             | 12                 | idle hours before a session ends |
| NORTHSTAR_LOGIN_ATTEMPTS            | 5                  | failed sign-ins per address or   |
| NORTHSTAR_LOGIN_WINDOW_MINUTES      | 15                 | name within this window, then no |
| NORTHSTAR_PROXY_USER_HEADER         | X-Forwarded-User   | proxy: header naming the user    |
| NORTHSTAR_PROXY_EMAIL_HEADER        | X-Forwarded-Email  | proxy: header with their email   |
| NORTHSTAR_PROXY_ADDRESSES           | 127.0.0.1,::1      | proxy: the proxy's addresses     |
| NORTHSTAR_PROXY_ROLE                | viewer             | proxy: role on a first visit     |
|                                     |                    | (empty: only users the CLI added)|
| NORTHSTAR_PUBLIC_URL                | (http://host:port) | start of printed screen links    |
| NORTHSTAR_ALLOW_PUBLIC_WITHOUT_AUTH | false              | listen beyond 127.0.0.1 with     |
|                                     |                    | sign-in off                      |

Alert email (README, "Alert channels"; only email channels need them):

| variable                 | default | meaning                                          |
|--------------------------|---------|--------------------------------------------------|
| NORTHSTAR_SMTP_HOST      | (empty) | the SMTP server; email channels fail without it  |
| NORTHSTAR_SMTP_PORT      | 587     | 587 (submission, with STARTTLS) or 25 (a relay)  |
| NORTHSTAR_SMTP_USER      | (empty) | log in as this user (empty: no login)            |
| NORTHSTAR_SMTP_PASSWORD  | (empty) | its password; environment only, never the file   |
| NORTHSTAR_SMTP_FROM      | (empty) | the From address of alert and report emails      |
| NORTHSTAR_SMTP_STARTTLS  | true    | upgrade the connection with STARTTLS first       |
| NORTHSTAR_SMTP_TIMEOUT   | 30      | seconds to wait for the server                   |
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from env_refs import ENV_REF, MissingVariable, expand_url, mask_url, redact, url_password

ENV_ONLY = {"smtp_password"}  # secrets: never read from the settings file
MEMORY_SIZE = re.compile(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    metrics: Path = Path("metrics.yml")
    sources: Path = Path("sources.yml")
    warehouse: Path = Path("data/warehouse.duckdb")
    # Where metrics are computed (docs/scale-out.md): duckdb, the `warehouse` file above, or
    # postgres, the database at engine_url (${VAR} references expand from the environment).
    engine: str = "duckdb"
    engine_url: str = field(default="", repr=False)  # may hold a password: never printed
    spark_dir: Path = Path("data/spark")  # engine = spark: its tables as Parquet folders
    serving_dir: Path = Path("data/serving")
    app_db: str = "sqlite:///data/app.db"
    host: str = "127.0.0.1"
    port: int = 8050
    cache: str = "simple"
    as_of: str = ""  # "treat this day as today": for history imported long after it happened
    # DuckDB on the web side (dashboard.serving): parallelism comes from gunicorn's workers and
    # threads, so one DuckDB thread per snapshot; the limit is a ceiling for one query's work
    # (larger operators spill to disk), not what a worker holds at rest.
    serving_threads: int = 1
    serving_memory: str = "1GB"
    # `northstar worker` evaluates alert rules this often (30m, 1h, 2 hours…) and after every
    # ingest that published a snapshot; "off" leaves only the latter.
    alerts_every: str = "15m"
    # Sign-in (auth/): off keeps `make demo` opening straight into the Overview.
    auth: str = "off"
    secret_key: str = ""  # empty: a key generated once and kept in the app database
    cookie_secure: bool = False
    session_hours: int = 12
    login_attempts: int = 5
    login_window_minutes: int = 15
    proxy_user_header: str = "X-Forwarded-User"
    proxy_email_header: str = "X-Forwarded-Email"
    proxy_addresses: str = "127.0.0.1,::1"
    proxy_role: str = "viewer"
    public_url: str = ""
    allow_public_without_auth: bool = False
    # Alert email (alerts/channels/email.py). The password comes from the environment only: a
    # settings file is easily committed; repr=False keeps it out of logs and tracebacks.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_starttls: bool = True
    smtp_timeout: float = 30.0

    def public_base(self) -> str:
        """The start of links people open from outside (screens, alert messages), no final /."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def as_of_date(self) -> date | None:
        """The configured as-of day, or None for the real clock; ValueError says how to fix it."""
        if not self.as_of.strip():
            return None
        return parse_as_of(self.as_of, "NORTHSTAR_AS_OF / as_of")

    def serving_duckdb(self) -> dict[str, str | int]:
        """DuckDB settings for the web side's snapshot connections; ValueError says how to fix."""
        if self.serving_threads < 1:
            raise ValueError(
                f"serving_threads must be 1 or more, not {self.serving_threads} "
                "(NORTHSTAR_SERVING_THREADS / serving_threads)"
            )
        if not MEMORY_SIZE.fullmatch(self.serving_memory):
            raise ValueError(
                f"serving_memory must be a size such as 512MB or 2GB, not "
                f"{self.serving_memory!r} (NORTHSTAR_SERVING_MEMORY / "
                "serving_memory)"
            )
        return {"threads": self.serving_threads, "memory_limit": self.serving_memory}

    def warehouse_engine(self, environ: dict[str, str] | None = None) -> EngineChoice:
        """The engine the metrics run on, its URL expanded; ValueError says what to write."""
        name = self.engine.strip().lower()
        if name not in ENGINES:
            raise ValueError(
                f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r} "
                '(NORTHSTAR_ENGINE / engine); write engine = "postgres" with engine_url = '
                '"postgresql://user@host:5432/db" to read a PostgreSQL database, engine = '
                '"spark" to read Parquet tables with Spark, or leave it out for the DuckDB file'
            )
        if name == "duckdb":
            return EngineChoice("duckdb", shown=str(self.warehouse))
        if name == "spark":
            return self._spark_engine(os.environ if environ is None else environ)
        if not self.engine_url.strip():
            raise ValueError(
                "engine = postgres needs engine_url (NORTHSTAR_ENGINE_URL / engine_url): write "
                "postgresql://user@host:5432/db, the password as ${PGPASSWORD} or in ~/.pgpass"
            )
        environ = os.environ if environ is None else environ
        try:
            url, values = expand_url(self.engine_url.strip(), environ)
        except MissingVariable as exc:
            raise ValueError(f"engine_url (NORTHSTAR_ENGINE_URL / engine_url): {exc}") from None
        password = url_password(url)
        secrets = [v for v in values if v]  # what a reference resolved to is never printed
        secrets += [p for p in (password, *_query_secrets(url)) if p]
        secrets += [unquote(p) for p in secrets]
        shown = redact(mask_url(url, SECRET_PARAMS), secrets)
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(
                f"engine_url must be a URL like postgresql://user@host:5432/db, not {shown!r} "
                "(NORTHSTAR_ENGINE_URL / engine_url)"
            )
        if password is not None and parts.password != password:
            raise ValueError(
                f"the password in engine_url ({shown}) holds '/', '?', '#' or '@' as they are, "
                "which moves the URL's host: percent-encode them (%2F, %3F, %23, %40) or write "
                "the password as a ${VAR} reference (NORTHSTAR_ENGINE_URL / engine_url)"
            )
        return EngineChoice(name, url, shown, tuple(secrets))

    def _spark_engine(self, environ) -> EngineChoice:  # type: ignore[no-untyped-def]
        """local[N] in this process (pyspark), or a Spark Connect server (sc://host:port, whose
        `;token=` is a secret); the tables are Parquet folders under spark_dir."""
        try:
            url, values = expand_url(self.engine_url.strip() or "local[2]", environ)
        except MissingVariable as exc:
            raise ValueError(f"engine_url (NORTHSTAR_ENGINE_URL / engine_url): {exc}") from None
        secrets = [v for v in values if v]
        secrets += [m.group(1) for m in _SPARK_TOKEN.finditer(url)]
        shown = redact(url, secrets)
        if not (_SPARK_LOCAL.fullmatch(url) or url.startswith("sc://")):
            raise ValueError(
                f"engine = spark needs engine_url local[N] (Spark in this process, e.g. local[2]) "
                f"or sc://host:15002 (a Spark Connect server), not {shown!r} "
                "(NORTHSTAR_ENGINE_URL / engine_url)"
            )
        return EngineChoice("spark", url, shown, tuple(secrets), str(self.spark_dir))

    def duckdb_only(self, what: str) -> None:
        """ValueError when the engine is not duckdb: `what` (building rollups) works on the
        DuckDB file only so far (docs/scale-out.md)."""
        name = self.engine.strip().lower()
        if name == "duckdb":
            return
        if name not in ENGINES:
            self.warehouse_engine()  # says which engines there are
        raise ValueError(
            f"{what} works on the DuckDB warehouse only, and engine = {name}: on {name} every "
            "query reads the raw tables, which `northstar ingest` publishes there "
            "(docs/scale-out.md); or unset NORTHSTAR_ENGINE / engine for the DuckDB file"
        )

    @classmethod
    def load(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        settings = cls()
        file = Path(env.get("NORTHSTAR_SETTINGS", "northstar.toml"))
        if file.exists():
            with file.open("rb") as fh:
                from_file = tomllib.load(fh)
            if ENV_ONLY & set(from_file):
                raise ValueError(
                    f"{', '.join(sorted(ENV_ONLY & set(from_file)))} may only come from the "
                    f"environment, not {file} (export NORTHSTAR_SMTP_PASSWORD instead)"
                )
            _check_file_url(from_file, file)
            settings = settings._with(from_file)
        from_env = {
            f.name: env[f"NORTHSTAR_{f.name.upper()}"]
            for f in fields(cls)
            if f"NORTHSTAR_{f.name.upper()}" in env
        }
        return settings._with(from_env)

    def _with(self, values: dict[str, object]) -> Settings:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        cast = {k: _cast(k, getattr(self, k), v) for k, v in values.items()}
        return replace(self, **cast)


ENGINES = ("duckdb", "postgres", "spark")
_SPARK_LOCAL = re.compile(r"local(\[(\d+|\*)\])?")  # as warehouse/spark_session.py reads it
_SPARK_TOKEN = re.compile(r";token=([^;]+)")  # a Spark Connect URL's credential
SECRET_PARAMS = ("password", "sslpassword")  # libpq URL parameters that carry a credential


@dataclass(frozen=True)
class EngineChoice:
    """The warehouse engine of Settings.warehouse_engine: `url` expanded (empty for duckdb),
    `shown` what messages print (the DuckDB file, or the URL with its password masked) and
    `secrets` what must never appear in a message (env_refs.redact)."""

    name: str
    url: str = field(default="", repr=False)
    shown: str = ""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    directory: str = ""  # spark: where its Parquet tables are


def _query_secrets(url: str) -> list[str]:
    query = url.partition("?")[2]
    return [v for k, v in parse_qsl(query) if k.lower() in SECRET_PARAMS]


def _check_file_url(values: dict[str, object], file: Path) -> None:
    """A settings file is easily committed: a password in its engine_url must be a reference."""
    url = str(values.get("engine_url", ""))
    password = url_password(url)
    tokens = [m.group(1) for m in _SPARK_TOKEN.finditer(url)]  # a Spark Connect credential
    literal = [
        p for p in (password, *_query_secrets(url), *tokens) if p and not ENV_REF.fullmatch(p)
    ]
    if literal:
        raise ValueError(
            f"engine_url in {file} holds a literal password; write it as a reference "
            "(postgresql://user:${PGPASSWORD}@host/db), keep it in ~/.pgpass, or export "
            "NORTHSTAR_ENGINE_URL instead"
        )


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def _cast(name: str, default: object, value: object) -> object:
    """A setting's value in its default's type; booleans from words, since bool("0") is True."""
    if isinstance(default, bool) and not isinstance(value, bool):
        word = str(value).strip().lower()
        if word not in TRUE | FALSE:
            raise ValueError(
                f"{name} must be true or false (1/0, yes/no, on/off), not {value!r} "
                f"(NORTHSTAR_{name.upper()} / {name})"
            )
        return word in TRUE
    return type(default)(value)


def parse_as_of(text: str, where: str) -> date:
    """An as-of day as typed by a user: YYYY-MM-DD within the range the calendars handle."""
    from metric_layer.bounds import check_day  # settings stays importable without the metric layer

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{where} must be a date like 2026-03-27, not {text!r}") from None
    check_day(day, where)
    return day
