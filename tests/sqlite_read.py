"""Reading a test's SQLite file: one connection per query, closed again (a run may be writing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(db_path: str | Path, sql: str, params=()) -> list[tuple]:
    """Every row `sql` selects."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def one(db_path: str | Path, sql: str, params=()) -> tuple | None:
    """The first row `sql` selects, or None."""
    found = rows(db_path, sql, params)
    return found[0] if found else None
