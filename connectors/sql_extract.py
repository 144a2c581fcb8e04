"""What every sql extractor (ADBC, connectorx, SQLAlchemy) hands the loader.

Its own module so that the fast drivers (connectors.sql) and the generic path
(connectors.sql_alchemy) share it without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class SqlExtract:
    """Arrow chunks of one table, plus column → DuckDB type casts applied while loading them."""

    chunks: Iterator[pa.Table | pa.RecordBatchReader]
    casts: dict[str, str] = field(default_factory=dict)
