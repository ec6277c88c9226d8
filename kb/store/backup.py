"""Maintenance of the database file: online backups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kb.core.errors import DatabaseError
from kb.store.db import connect


def backup_database(db_path: str | Path, target: str | Path) -> int:
    """Copy the database to `target` with SQLite's online backup API; return the page count.

    Readers and a concurrent writer (kb ingest) keep working; the copy is a consistent
    snapshot. The target is written to a temporary name and renamed, so a failed backup
    never leaves a half-written file under the final name.
    """
    source_path, target = Path(db_path), Path(target)
    if not source_path.exists():
        raise DatabaseError(f"database {source_path} does not exist")
    if target.resolve() == source_path.resolve():
        raise DatabaseError("the backup target is the database itself")
    if not target.parent.exists():
        raise DatabaseError(f"directory {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = connect(source_path, readonly=True)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=1024)
            pages = dest.execute("PRAGMA page_count").fetchone()[0]
            ok = dest.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dest.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"backup failed: {exc}") from exc
    finally:
        source.close()
    if ok != "ok":
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"backup copy failed its integrity check: {ok}")
    partial.replace(target)
    return pages
