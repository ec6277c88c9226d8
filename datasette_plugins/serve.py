"""Build and run the Datasette server of the knowledge base: settings, metadata file and database."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from datasette.utils import parse_metadata

from kb.core.errors import ConfigError

METADATA_FILE = Path(__file__).resolve().parent.parent / "data" / "datasette.yaml"
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


def metadata_path() -> Path:
    """The Datasette metadata file in the repository."""
    return METADATA_FILE


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


def build_datasette(db_path: str | Path, *, settings: dict[str, Any] | None = None):
    """A Datasette instance serving `db_path` (mutable, so ingest can write while it serves).

    A database SQLite can only read as immutable (a read-only directory without its -shm file)
    is served immutable.
    """
    from datasette.app import Datasette

    from kb.store.db import readable_only_as_immutable

    db_path = Path(db_path)
    files, immutables = ([], [str(db_path)]) if readable_only_as_immutable(db_path) else ([str(db_path)], [])
    return Datasette(files, immutables=immutables, metadata=load_metadata(db_path.stem),
                     settings=datasette_settings(settings), cors=False)


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette on host:port until interrupted, with SQLite's heap capped for the process."""
    import asyncio

    import uvicorn

    from datasette_plugins.sql_limits import limit_sqlite_heap

    limit_sqlite_heap()
    ds = build_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on", workers=1)
