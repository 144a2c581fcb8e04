"""Connectors: read sources (sql, files, http) as Arrow and load them into raw.<source>__<table>.

Knows nothing of metrics or pages; the metric layer plugs in through the after_load hook.
"""

from connectors.errors import ConfigIssue, ConnectorError, SchemaDriftError, SourceConfigError
from connectors.run import IngestReport, Progress, TableOutcome, run_ingest
from connectors.sources_file import SourcesConfig, load_sources

__all__ = [
    "ConfigIssue",
    "ConnectorError",
    "IngestReport",
    "Progress",
    "SchemaDriftError",
    "SourceConfigError",
    "SourcesConfig",
    "TableOutcome",
    "load_sources",
    "run_ingest",
]
