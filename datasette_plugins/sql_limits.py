"""Bounds on what one request can make the server build, whatever SQL it sends.

Datasette's SQL time limit stops long queries but not big ones: `select randomblob(999999999)`
runs in one step and takes a gigabyte. Every connection Datasette opens gets SQLite limits on
the size of a value and of a statement, a byte budget on the rows a query returns, and no
fts3_tokenizer() (it hands out a heap pointer); `kb serve` also caps SQLite's whole heap.
"""

from __future__ import annotations

import re
import sqlite3
import weakref

from datasette import hookimpl

# The longest string or blob SQLite may build or read (fetched pages are capped at 10 MB).
MAX_VALUE_BYTES = 20_000_000
# The longest SQL statement (the pages' own queries are a few kilobytes).
MAX_SQL_BYTES = 100_000
# What the rows of one query may add up to, counted as Datasette's JSON writes them.
MAX_RESULT_BYTES = 32_000_000
# Characters JSON writes as \u00XX (six bytes each); tab, newline and return take two.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ResultTooLarge(sqlite3.OperationalError):
    """The rows of one query add up to more than MAX_RESULT_BYTES."""


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def json_size(value) -> int:
    """About how many bytes a value takes in Datasette's JSON, which writes every non-ASCII and
    control character as \\uXXXX: 19 MB of char(1) is 114 MB of JSON."""
    if isinstance(value, bytes):
        return len(value) * 4 // 3 + 4  # base64
    if not isinstance(value, str):
        return 8
    if value.isascii():
        return 6 * len(value) if CONTROL_CHARACTERS.search(value) else len(value)
    return len(value) + 5 * (len(value) - len(value.encode("ascii", "ignore")))


def budgeted_rows(limit: int = MAX_RESULT_BYTES):
    """A row factory making sqlite3.Row objects that stops a query whose rows pass `limit` bytes.

    The count starts again with each cursor (Datasette uses one per query).
    """
    state: dict = {"cursor": None, "total": 0}

    def make_row(cursor, values):
        current = state["cursor"]
        if current is None or current() is not cursor:
            state["cursor"], state["total"] = weakref.ref(cursor), 0
        state["total"] += sum(json_size(v) for v in values)
        if state["total"] > limit:
            raise ResultTooLarge(f"the result is larger than {megabytes(limit)}: "
                                 "ask for fewer rows (_size) or fewer and shorter columns")
        return sqlite3.Row(cursor, values)

    return make_row


def authorize(action, name, function, database, trigger):
    """Refuse fts3_tokenizer() when a statement is prepared ("not authorized to use function")."""
    if action == sqlite3.SQLITE_FUNCTION and function and function.lower() == "fts3_tokenizer":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn):
    """Limit value and statement size, budget result rows and refuse fts3_tokenizer()."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.set_authorizer(authorize)
    conn.row_factory = budgeted_rows()
