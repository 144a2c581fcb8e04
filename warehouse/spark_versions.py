"""Published versions of a Spark warehouse directory: which Parquet folders make up each.

Northstar publishes into `<directory>/_northstar/` (Spark's own folders and other tools' tables
beside it are left alone; names starting with `_` are never read as tables):

    _northstar/tables/<schema>.<table>.<version>/part-*.parquet   one folder per table written
    _northstar/versions/<version>.json                            what makes up a version
    _northstar/CURRENT                                            the current version's name

A version's JSON maps every table (raw, meta.loads, rollups) to its folder, with its columns as
DuckDB names them and its fingerprint; a table unchanged since the previous version keeps that
version's folder. Folders are written before the JSON, the JSON before CURRENT, each file under a
temporary name then os.replace'd: a reader that reads CURRENT finds a whole version, and a
publish killed at any point leaves CURRENT on the version before it. Folders and JSON files no
kept version lists are what a killed publish left; the next publish sweeps them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = 1
HOME = "_northstar"
KEEP = 3  # versions kept: readers that opened one of the last few keep reading it


class VersionError(ValueError):
    """A version file or CURRENT exists but cannot be read; the message says which and why."""


@dataclass(frozen=True)
class PublishedTable:
    folder: str  # relative to the warehouse directory
    columns: list[tuple[str, str]]  # (name, DuckDB type) as readers see them
    rows: int
    digest: str  # fingerprints.TableFingerprint's ("" for rollups: rebuilt on every publish)

    def recorded(self) -> tuple[str, int, str]:
        """As TableFingerprint.same_as compares it."""
        return (json.dumps([list(c) for c in self.columns]), self.rows, self.digest)


@dataclass(frozen=True)
class SparkVersion:
    version: str
    published_at: str  # ISO 8601, UTC
    last_change: str | None  # ingest_meta.last_change of what was published, ISO 8601
    spec_text: str | None  # the validated metrics.yml it was published with
    tables: dict[str, PublishedTable] = field(default_factory=dict)  # "schema.table" → folder


def home(directory: Path) -> Path:
    return directory / HOME


def table_folder(directory: Path, qualified: str, version: str) -> Path:
    """Where a publish writes `qualified`'s Parquet files for `version` (a new folder)."""
    return home(directory) / "tables" / f"{qualified}.{version}"


def current_version(directory: Path) -> str | None:
    """The name in CURRENT; None when nothing was published into `directory`."""
    try:
        name = (home(directory) / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise VersionError(f"{home(directory) / 'CURRENT'} is unreadable ({exc})") from None
    if not name or "/" in name or name.startswith("."):
        raise VersionError(f"{home(directory) / 'CURRENT'} names no version ({name!r})")
    return name


def read_version(directory: Path, version: str) -> SparkVersion:
    path = home(directory) / "versions" / f"{version}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VersionError(
            f"version {version} of {directory} is gone (a publish keeps the last {KEEP}); "
            "open the current one"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VersionError(f"{path} is unreadable ({exc})") from None
    try:
        if data["format"] != FORMAT:
            raise VersionError(
                f"{path} has format {data['format']!r}, this Northstar reads {FORMAT}"
            )
        tables = {
            name: PublishedTable(
                folder=t["folder"],
                columns=[(c, d) for c, d in t["columns"]],
                rows=int(t["rows"]),
                digest=t["digest"],
            )
            for name, t in data["tables"].items()
        }
        return SparkVersion(
            data["version"], data["published_at"], data["last_change"], data["spec_text"], tables
        )
    except VersionError:  # a ValueError too: its own message, not "malformed (VersionError(…))"
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise VersionError(f"{path} is malformed ({exc!r})") from None


def write_version(directory: Path, published: SparkVersion) -> None:
    """Write the version's JSON, then point CURRENT at it (each replaced in one step)."""
    versions = home(directory) / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, **asdict(published)}
    _replace(versions / f"{published.version}.json", json.dumps(data, indent=1))
    _replace(home(directory) / "CURRENT", published.version + "\n")


def kept_versions(directory: Path) -> list[str]:
    """Versions with a JSON file, newest first (names sort by publish time)."""
    folder = home(directory) / "versions"
    if not folder.is_dir():
        return []
    names = [p.name[: -len(".json")] for p in folder.glob("*.json")]
    return sorted(names, reverse=True)


def sweep(directory: Path, keep: int = KEEP) -> list[str]:
    """Delete versions beyond the newest `keep` (never the current one), then every table folder
    no kept version lists (a killed publish's half-written ones among them); what was deleted.
    Only a publisher holding the publish lock calls this."""
    try:
        current = current_version(directory)
    except VersionError:  # the publish under way replaces it; keep the newest versions
        current = None
    names = kept_versions(directory)
    kept = [n for n in names if n == current or names.index(n) < keep]
    deleted = []
    for name in names:
        if name not in kept:
            (home(directory) / "versions" / f"{name}.json").unlink(missing_ok=True)
            deleted.append(name)
    listed = set()
    for name in kept:
        try:
            listed |= {t.folder for t in read_version(directory, name).tables.values()}
        except VersionError:
            continue  # an unreadable old version lists nothing; the current one is read above
    tables = home(directory) / "tables"
    for folder in sorted(tables.iterdir()) if tables.is_dir() else []:
        if str(folder.relative_to(directory)) not in listed:
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder.name)
    for stray in (home(directory) / "versions").glob("*.tmp"):
        stray.unlink(missing_ok=True)
    return deleted


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())  # the rename must not reach the disk before the bytes do
    os.replace(tmp, path)
