"""The one Spark session of a process, and Spark's type names as DuckDB writes them.

A local session (`local`, `local[N]`, `local[*]`) starts a JVM through pyspark, which takes ten
seconds or more: it is started once and kept for the life of the process, and every Spark
warehouse of the process shares it (Spark allows one SparkContext per JVM). A Spark Connect URL
(`sc://host:port`) opens a client session to a running Spark Connect server; it needs pyspark's
connect extra (`pip install 'pyspark[connect]'`).

The session's time zone is UTC: the SQL written for Spark (metric_layer/spark_sql.py) reads a
TIMESTAMP (Spark's instant type, DuckDB's TIMESTAMPTZ) as UTC wall time when it casts one to a
TIMESTAMP_NTZ, as the metric layer's own conversions do on DuckDB.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from warehouse.connection import WarehouseError

LOCAL = re.compile(r"local(\[(\d+|\*)\])?")
# Settings every session gets. Small shuffles: the default 200 partitions make each small query
# a few hundred tasks; Spark's adaptive execution merges partitions but still plans them all.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",  # overflow and bad casts fail, as they do on DuckDB
}
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",  # a local session listens on loopback only
    "spark.driver.bindAddress": "127.0.0.1",
}

_lock = threading.Lock()
_sessions: dict[str, Any] = {}  # url → SparkSession; a local one under the key "local"


def spark_session(url: str, conf: Mapping[str, str] | None = None) -> Any:
    """The process's session for `url` (started on first use; `conf` applies then only)."""
    local = LOCAL.fullmatch(url)
    if not local and not url.startswith("sc://"):
        raise WarehouseError(
            f"Spark URL {url!r} is neither local[N] nor a Spark Connect URL (sc://host:port); "
            "set engine_url to one of them (docs/scale-out.md, Spark)"
        )
    for name, value in (conf or {}).items():
        if name in SESSION_CONF and value != SESSION_CONF[name]:
            raise WarehouseError(
                f"Spark setting {name}={value} is not allowed: the SQL Northstar writes for Spark "
                f"needs {SESSION_CONF[name]} (docs/scale-out.md, Spark)"
            )
    key = "local" if local else url
    with _lock:
        session = _sessions.get(key)
        if session is not None:
            if local and session.sparkContext.master != url:
                raise WarehouseError(
                    f"this process already runs Spark as {session.sparkContext.master}; one "
                    f"local session per process, so {url} cannot start beside it"
                )
            return session
        session = _start(url, bool(local), dict(conf or {}))
        _sessions[key] = session
        return session


def _start(url: str, local: bool, conf: dict[str, str]) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError(
            "the Spark engine needs pyspark: pip install 'northstar[spark]' (and Java 17 for a "
            "local session)"
        ) from None
    _quiet_query_errors()
    # pyspark warns that pandas 3 is newer than it knows; the suites here run on pandas 3.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    builder = SparkSession.builder.appName("northstar")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        cores = url.partition("[")[2].rstrip("]") or "1"
        shuffle = str(os.cpu_count() if cores == "*" else int(cores))
        # Spark's own catalogue folder (a schema's folder, managed tables): Northstar's tables
        # are external, so a scratch folder, not spark-warehouse/ in the working directory.
        scratch = tempfile.mkdtemp(prefix="northstar-spark-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        settings = {
            **LOCAL_CONF,
            "spark.sql.shuffle.partitions": shuffle,
            "spark.sql.warehouse.dir": scratch,
            **SESSION_CONF,
        }
        conf = _quiet_start(conf, Path(scratch))
        builder = builder.master(url)
    else:
        settings = dict(SESSION_CONF)
        builder = builder.remote(url)
    for key, value in {**settings, **conf}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except ImportError as exc:  # Spark Connect's client libraries
        raise WarehouseError(
            f"a Spark Connect URL needs pyspark's connect extra ({exc}): "
            "pip install 'pyspark[connect]'"
        ) from None
    except Exception as exc:  # the JVM did not start, or the server did not answer
        reason = f"{_first_line(exc)}{_hint(local)}"
        raise WarehouseError(f"cannot start Spark at {url}: {reason}") from None
    if local:
        session.sparkContext.setLogLevel("ERROR")
    else:  # a server's defaults are its own: this session's must be these
        for key, value in SESSION_CONF.items():
            session.conf.set(key, value)
    return session


# Errors only, on stderr: without a configuration of its own the JVM prints which default it
# uses and how to change the level on every start, before setLogLevel can be called.
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


def _quiet_start(conf: dict[str, str], scratch: Path) -> dict[str, str]:
    """`conf` with the local JVM's logging configured (added to any Java options it has)."""
    config = scratch / "log4j2.properties"
    config.write_text(_LOG4J2, encoding="utf-8")
    option = f"-Dlog4j2.configurationFile={config.as_uri()}"
    given = conf.get("spark.driver.extraJavaOptions", "")
    return {**conf, "spark.driver.extraJavaOptions": f"{given} {option}".strip()}


def _quiet_query_errors() -> None:
    """pyspark logs every failed query, JVM stack and all, before raising it; the warehouse
    raises it as a WarehouseError with its first lines, so the log would say it twice."""
    from pyspark.logger import PySparkLogger  # its own class: it logs with extra arguments

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _hint(local: bool) -> str:
    if local:
        return "; a local session needs Java 17 (java -version; apt-get install openjdk-17-jre-headless)"
    return "; check that the Spark Connect server runs and the URL's host and port"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- type names ------------------------------------------------------------------------------
# Spark's simpleString → the name DuckDB's information_schema gives the same type.
_TYPE_NAMES = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "timestamp_ntz": "TIMESTAMP",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "date": "DATE",
    "double": "DOUBLE",
    "float": "FLOAT",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "boolean": "BOOLEAN",
    "binary": "BLOB",
    "void": '"NULL"',
}


def duckdb_type_name(spark_type: str) -> str:
    """`decimal(12,2)` → DECIMAL(12,2), `timestamp` → TIMESTAMP WITH TIME ZONE, `array<int>` →
    INTEGER[]; a type DuckDB has no name for keeps Spark's name, upper-cased."""
    base, _, modifier = spark_type.partition("(")
    if base == "decimal":
        return f"DECIMAL({modifier.replace(' ', '')}"
    if spark_type.startswith("array<") and spark_type.endswith(">"):
        return duckdb_type_name(spark_type[6:-1]) + "[]"
    return _TYPE_NAMES.get(base, spark_type.upper())
