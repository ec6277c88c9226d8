"""Which exceptions are the request's fault: a 400 (naming the parameter when known) or a 503, not a 500.

A query stopped by the server's limits (limits.py) would otherwise fail with a plain 500.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from datasette.database import QueryInterrupted

from datasette_plugins.limits import MAX_VALUE_BYTES, ResultTooLarge, megabytes

BUSY_MESSAGE = ("this page took longer than the SQL time limit: narrow it with filters "
                "(a story, an entity, a type or a date range) or try again in a minute")


@dataclass
class Refusal:
    status: int
    message: str
    parameter: str | None = None


def classify(exception: BaseException, request) -> Refusal | None:
    """The answer to give for `exception`, or None to leave it to Datasette (a 500)."""
    if isinstance(exception, QueryInterrupted):
        return Refusal(503, BUSY_MESSAGE) if request.path.startswith("/-/") else None
    if isinstance(exception, ResultTooLarge):
        return Refusal(400, str(exception))
    if isinstance(exception, sqlite3.DataError):
        return Refusal(400, f"{exception}: no value may be longer than {megabytes(MAX_VALUE_BYTES)}")
    if isinstance(exception, MemoryError):
        return Refusal(503, "this query needs more memory than the server gives one request: ask for less")
    return None
