"""Open the knowledge base database: pragmas, migrations and idempotent views."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from kb.errors import DatabaseError

DEFAULT_DB = "data/kb.db"
BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> str:
    """The database path from $KB_DB, else data/kb.db."""
    return os.environ.get("KB_DB") or DEFAULT_DB


def utcnow() -> str:
    """The current UTC time as an ISO 8601 string with seconds precision."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A sqlite3 connection with WAL, foreign keys and a busy timeout set."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise DatabaseError(f"database {path} does not exist: run `kb init` first")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        if path.parent and not path.parent.exists():
            raise DatabaseError(f"directory {path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.OperationalError as exc:
            raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:
            raise DatabaseError(f"cannot write to database {path}: {exc}") from exc
    return conn


def open_db(path: str | Path | None = None, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (and create or upgrade) the knowledge base at `path`."""
    path = Path(path or default_db_path())
    conn = connect(path)
    db = sqlite_utils.Database(conn)
    if migrate:
        migrate_db(db)
    return db


def migrate_db(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations of every migration set; return the names applied."""
    from kb.schema import MIGRATION_SETS, ensure_views

    applied: list[str] = []
    try:
        for migrations in MIGRATION_SETS:
            pending = [m.name for m in migrations.pending(db)]
            if pending:
                migrations.apply(db)
                applied.extend(f"{migrations.name}:{name}" for name in pending)
        ensure_views(db)
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"cannot migrate database: {exc}") from exc
    return applied
