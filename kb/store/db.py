"""Open the knowledge base database: pragmas, migrations and idempotent views."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from kb.core.errors import ConfigError, DatabaseError, NoDatabase, SchemaOutdated
from kb.store.migrations import MIGRATION_SETS
from kb.store.views import VIEWS, ensure_views

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

    def execute(self, sql: str, parameters=(), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            self.abandon_if_full(exc)
            raise

    def executemany(self, sql: str, parameters, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as exc:
            self.abandon_if_full(exc)
            raise

    def abandon_if_full(self, exc: sqlite3.OperationalError) -> None:
        """Roll back the whole transaction when the disk is full.

        SQLite undoes only the statement that found no room; the statements before it would
        otherwise be committed by whoever commits next, leaving an article or a batch half written.
        """
        if is_disk_full(exc) and self.in_transaction:
            self.rollback()


# Page cache per connection, in KiB (the default is 2,000).
CACHE_KB = 64 * 1024


def busy_timeout_ms() -> int:
    """How long a connection waits for another writer: $KB_BUSY_TIMEOUT_MS, else 30 s."""
    value = os.environ.get("KB_BUSY_TIMEOUT_MS", "").strip()
    return int(value) if value.isdigit() else BUSY_TIMEOUT_MS


def max_db_bytes() -> int | None:
    """The database size cap from $KB_MAX_DB_MB (megabytes), or None when unset."""
    value = os.environ.get("KB_MAX_DB_MB", "").strip()
    if not value:
        return None
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = 0.0
    if not megabytes > 0:
        raise ConfigError(f"KB_MAX_DB_MB must be a number of megabytes above 0, not {value!r}")
    return int(megabytes * 1024 * 1024)


def cap_size(conn: sqlite3.Connection) -> None:
    """Let the database grow to $KB_MAX_DB_MB at most: a write beyond it fails as "database or disk is
    full"."""
    limit = max_db_bytes()
    if limit is not None:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(1, limit // page_size)}")


def is_disk_full(exc: BaseException) -> bool:
    """Whether a SQLite error means the disk (or the KB_MAX_DB_MB cap) is full."""
    return (getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(exc))


def is_write_refused(exc: BaseException) -> bool:
    """Whether a SQLite error is a write refused by a full disk, a read-only file or another writer's lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    return is_disk_full(exc) or primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_BUSY,
                                            sqlite3.SQLITE_LOCKED)


def write_problem(path: str | Path, exc: sqlite3.Error) -> DatabaseError:
    """A failed write named by its likely cause: a full disk, a lock, a read-only file or directory."""
    path = Path(path)
    if is_disk_full(exc):
        cap = max_db_bytes()
        where = (f"the disk is full or the KB_MAX_DB_MB cap of {round(cap / 1024 / 1024, 3):g} MB is reached"
                 if cap else "the disk is full")
        return DatabaseError(f"cannot write to database {path}: {where}; the unfinished work was rolled back "
                             "and the database is intact: free space (or raise the cap) and run again")
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


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A sqlite3 connection with WAL, foreign keys and a busy timeout set (read-only: nothing written)."""
    path = Path(path)
    if readonly:
        conn = connect_read_only(path)
    else:
        if path.parent and not path.parent.exists():
            raise DatabaseError(f"directory {path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(path), timeout=busy_timeout_ms() / 1000, factory=AtomicConnection)
        except sqlite3.OperationalError as exc:
            raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    try:  # in a read-only directory even a pragma can fail, reading the schema through the WAL index
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
        conn.execute("PRAGMA foreign_keys = ON")
        # SQLite's default page cache is 2 MB; a large knowledge base reads the same index
        # pages (event keys, story entities) over and over, so keep more of them in memory.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            cap_size(conn)
    except sqlite3.OperationalError as exc:
        conn.close()
        if readonly:
            raise DatabaseError(f"cannot read database {path}: {exc}") from exc
        raise write_problem(path, exc) from exc
    return conn


def readable_only_as_immutable(path: str | Path) -> bool:
    """Whether SQLite can read this database only as immutable: no -shm and a directory it cannot
    create one in."""
    path = Path(path)
    return (path.exists() and not Path(f"{path}-shm").exists()
            and not os.access(path.parent, os.W_OK) and not _wal_has_changes(path))


def _wal_has_changes(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes, even where the file or its directory is read-only.

    A WAL database is read through its -shm index, which SQLite creates next to the file. When
    the directory is read-only and no -shm is there (the last writer closed cleanly and removed
    it), there is also no -wal with pending pages, so the file alone is the whole database and
    it is opened as immutable. A leftover -wal that cannot be indexed is an error, not stale data.
    """
    existing_database(path)
    uri = path.resolve().as_uri()
    timeout = busy_timeout_ms() / 1000
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
        if _wal_has_changes(path):
            raise DatabaseError(f"cannot read database {path}: {path.name}-wal holds changes not yet in "
                                f"the file and SQLite cannot create {path.name}-shm in {path.parent}; run "
                                "any `kb` command once with write access to the directory")
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=timeout)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc}") from exc


def existing_database(path: str | Path) -> Path:
    """`path`, or NoDatabase when there is no file there (a mistyped --db must not create one)."""
    path = Path(path)
    if not path.exists():
        raise NoDatabase(f"database {path} does not exist (check --db or $KB_DB): create it with `kb init`, "
                         "or let `kb ingest` create it")
    return path


def open_db(path: str | Path | None = None, *, migrate: bool = True, read_only: bool = False,
            create: bool = True) -> sqlite_utils.Database:
    """Open (and create or upgrade) the knowledge base at `path`.

    With `read_only`, nothing is written: no WAL switch, no migrations. The schema must then be
    current, or SchemaOutdated says which migrations are pending. Without `create`, a missing
    file is NoDatabase instead of a new, empty database.
    """
    path = Path(path or default_db_path())
    if not create:
        existing_database(path)
    if read_only:
        db = sqlite_utils.Database(connect(path, readonly=True))
        try:
            outdated = pending_schema_changes(db)
        except sqlite3.DatabaseError as exc:
            db.conn.close()
            raise DatabaseError(f"cannot read database {path}: {exc}") from exc
        if outdated:
            db.conn.close()
            raise SchemaOutdated(f"database {path} needs `kb migrate` ({', '.join(outdated[:3])}"
                                 f"{', ...' if len(outdated) > 3 else ''} pending)")
        return db
    conn = connect(path)
    db = sqlite_utils.Database(conn)
    if migrate:
        migrate_db(db)
    return db


def open_for_reading(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open for a command that only reads: read-only when the schema is current, else migrated.

    So read commands work on a read-only file or directory, and still bring an old database up
    to date when they can write it. A missing database is NoDatabase: reading never creates one.
    """
    path = existing_database(path or default_db_path())
    try:
        return open_db(path, read_only=True)
    except SchemaOutdated as outdated:
        try:
            return open_db(path)
        except DatabaseError as exc:
            raise DatabaseError(f"{outdated}, and it cannot be migrated now: {exc}") from None


def pending_schema_changes(db: sqlite_utils.Database) -> list[str]:
    """Migrations not yet applied and views whose SQL changed, without writing anything."""
    pending = [f"{migrations.name}:{m.name}" for migrations in MIGRATION_SETS for m in migrations.pending(db)]
    stored = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    # The SQL kb.store.views.ensure_views stores for each view.
    pending += [f"view {name}" for name, body in VIEWS.items()
                if stored.get(name) != f"CREATE VIEW {name} AS {body.strip()}"]
    return pending


def migrate_db(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations of every migration set; return the names applied."""
    applied: list[str] = []
    try:
        for migrations in MIGRATION_SETS:
            pending = [m.name for m in migrations.pending(db)]
            if pending:
                migrations.apply(db)
                applied.extend(f"{migrations.name}:{name}" for name in pending)
        ensure_views(db)
    except sqlite3.OperationalError as exc:
        if is_disk_full(exc):
            raise write_problem(db.execute("PRAGMA database_list").fetchone()[2], exc) from exc
        raise DatabaseError(f"cannot migrate database: {exc}") from exc
    return applied
