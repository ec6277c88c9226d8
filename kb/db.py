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


class AtomicConnection(sqlite3.Connection):
    """A connection whose `with conn:` block is one transaction, however its statements are run.

    sqlite-utils 4 commits a write made through Database.execute() at once when no transaction
    is open, and its table methods wrap themselves in `with conn:`; with a plain connection
    either splits a block into separately committed pieces, which a kill can leave half done.
    Here the outermost block begins the transaction (IMMEDIATE: it is meant to write) and only
    the outermost block commits or rolls back.
    """

    depth = 0

    def __enter__(self) -> AtomicConnection:
        if self.depth == 0 and not self.in_transaction:
            self.execute("BEGIN IMMEDIATE")
        self.depth += 1
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.depth -= 1
        if self.depth == 0:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        return False


def busy_timeout_ms() -> int:
    """How long a connection waits for another writer: $KB_BUSY_TIMEOUT_MS, else 30 s."""
    value = os.environ.get("KB_BUSY_TIMEOUT_MS", "").strip()
    return int(value) if value.isdigit() else BUSY_TIMEOUT_MS


def write_problem(path: str | Path, exc: sqlite3.Error) -> DatabaseError:
    """A failed write named by its likely cause: a lock, a read-only file or a read-only directory."""
    path = Path(path)
    if "locked" in str(exc) or "busy" in str(exc):
        return DatabaseError(f"database {path} is locked by another program's write "
                             f"(waited {busy_timeout_ms() / 1000:g}s); try again when it has finished")
    if not os.access(path.parent, os.W_OK):
        return DatabaseError(f"cannot write to database {path}: directory {path.parent} is not writable "
                             f"(SQLite keeps {path.name}-wal and {path.name}-shm next to the database)")
    if path.exists() and not os.access(path, os.W_OK):
        return DatabaseError(f"cannot write to database {path}: the file is read-only")
    return DatabaseError(f"cannot write to database {path}: {exc}")


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
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=busy_timeout_ms() / 1000)
    else:
        if path.parent and not path.parent.exists():
            raise DatabaseError(f"directory {path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(path), timeout=busy_timeout_ms() / 1000, factory=AtomicConnection)
        except sqlite3.OperationalError as exc:
            raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:
            raise write_problem(path, exc) from exc
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
