"""Build and run the Datasette server of the knowledge base: settings, metadata file and database.

The project's pages and limits are Datasette plugins (datasette_plugins/, loaded through their
entry points); this module only configures Datasette and runs it for `kb serve`.
"""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from datasette.app import Datasette
from datasette.utils import parse_metadata

from kb.core.errors import ConfigError
from kb.store.db import readable_only_as_immutable

METADATA_FILE = Path(__file__).resolve().parents[2] / "data" / "datasette.yaml"
# The metadata file describes the database under this name (data/kb.db).
METADATA_DATABASE = "kb"
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 2000,
    "facet_time_limit_ms": 300,
    "facet_suggest_time_limit_ms": 50,
    "suggest_facets": False,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,
    "allow_csv_stream": True,
    "max_csv_mb": 100,
    "truncate_cells_html": 2048,
    "num_sql_threads": 3,
    "default_cache_ttl": 60,
}
# Everything SQLite allocates in the `kb serve` process; a query asking for more fails.
SQLITE_HEAP_LIMIT = 160_000_000


def datasette_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Datasette settings for serving the knowledge base read-only on the web."""
    return {**SETTINGS, **(overrides or {})}


def load_metadata(database_name: str, path: Path | None = None) -> dict:
    """The metadata file, with its database section renamed to the served database's name."""
    path = path or METADATA_FILE
    try:
        metadata = parse_metadata(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read Datasette metadata {path}: {exc}") from exc
    except Exception as exc:  # parse_metadata raises BadMetadataError or YAML/JSON errors
        raise ConfigError(f"invalid Datasette metadata {path}: {exc}") from exc
    metadata = copy.deepcopy(metadata)
    databases = metadata.setdefault("databases", {})
    if database_name != METADATA_DATABASE and METADATA_DATABASE in databases:
        databases[database_name] = databases.pop(METADATA_DATABASE)
    metadata.setdefault("plugins", {}).setdefault("newskb", {})["database"] = database_name
    return metadata


def check_base_url(value: str) -> str:
    """The public address of the site ('https://news.example.com'), for the feeds' absolute links."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError("base URL must be an http(s) address such as https://news.example.com, "
                          f"got {value!r}")
    return value.strip().rstrip("/")


def build_datasette(db_path: str | Path, *, settings: dict[str, Any] | None = None,
                    base_url: str | None = None):
    """A Datasette instance serving `db_path` (mutable, so ingest can write while it serves).

    A database SQLite can only read as immutable (a read-only directory without its -shm file)
    is served immutable. `base_url` (else the metadata's plugin setting) makes the feeds' links
    absolute on that address; without it they are built from each request.
    """
    db_path = Path(db_path)
    files, immutables = ([], [str(db_path)]) if readable_only_as_immutable(db_path) else ([str(db_path)], [])
    metadata = load_metadata(db_path.stem)
    plugin = metadata["plugins"]["newskb"]
    if base_url or plugin.get("base_url"):
        plugin["base_url"] = check_base_url(base_url or plugin["base_url"])
    return Datasette(files, immutables=immutables, metadata=metadata,
                     settings=datasette_settings(settings), cors=False)


def limit_sqlite_heap(limit: int = SQLITE_HEAP_LIMIT) -> int:
    """Cap all SQLite allocations of this process (PRAGMA hard_heap_limit; it can only go down).

    Applies to every connection of the process, so `kb serve` sets it and tests do not.
    Returns the limit in force.
    """
    conn = sqlite3.connect(":memory:")
    try:
        return conn.execute(f"PRAGMA hard_heap_limit = {int(limit)}").fetchone()[0]
    finally:
        conn.close()


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001,
          base_url: str | None = None) -> None:
    """Run Datasette on host:port until interrupted, with SQLite's heap capped for the process."""
    limit_sqlite_heap()
    ds = build_datasette(db_path, base_url=base_url)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on", workers=1)

